"""Ingest health: counters of every worker, rejected readings by reason, silent meters."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from litestar import Controller, Request, get
from litestar.response import Template
from piccolo.query.functions.aggregate import Count

from metering.tables import IngestStatus, Meter, Reading, RejectedReading
from regie.web.render import page


async def ingest_health() -> dict[str, Any]:
    """What operators need to see that ingest is alive (no personal data)."""
    workers = []
    for row in await IngestStatus.select().order_by(IngestStatus.worker):
        counters = row["counters"]
        if isinstance(counters, str):
            counters = json.loads(counters or "{}")
        workers.append(
            {"worker": row["worker"], "updated_at": row["updated_at"].isoformat(), **counters}
        )
    by_reason = await RejectedReading.select(
        RejectedReading.reason, Count(RejectedReading.id, alias="count")
    ).group_by(RejectedReading.reason)
    since = datetime.now(UTC) - timedelta(hours=24)
    heard = await Reading.select(Reading.meter).where(Reading.received_at >= since).distinct()
    meters = await Meter.count()
    return {
        "workers": workers,
        "rejected_by_reason": {r["reason"]: r["count"] for r in by_reason},
        "meters": meters,
        "silent_meters_24h": max(meters - len(heard), 0),
        "readings": await Reading.count(),
    }


class StatusController(Controller):
    path = "/"

    @get("/status", name="status", include_in_schema=False)
    async def status(self, request: Request[Any, Any, Any]) -> Template:
        return await page(
            request, "operators/ingest.html", "ingest_counters", health=await ingest_health()
        )

    @get("/api/ingest", name="api-ingest")
    async def api_ingest(self) -> dict[str, Any]:
        """Ingest counters per worker, rejected readings by reason, silent meters."""
        return await ingest_health()
