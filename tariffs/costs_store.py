"""The régie's cost lines in the database: recorded, withdrawn (never edited nor deleted),
and summed over a span for the committees' dashboards."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from tariffs import costs
from tariffs.tables import CostLine as CostRow


@dataclass(frozen=True)
class StoredCost:
    id: int
    line: costs.CostLine
    recorded_by: str
    recorded_at: datetime
    withdrawn_by: str | None
    withdrawn_at: datetime | None


class CostNotFound(LookupError):
    """No cost line of that id, or one already withdrawn."""


async def record(line: costs.CostLine, *, by: str, now: datetime) -> int:
    row = CostRow(
        service=line.service, territory=line.territory, starts_on=line.starts_on,
        ends_on=line.ends_on, category=line.category, label=line.label,
        amount_cents=line.amount_cents, currency=line.currency, recorded_by=by, recorded_at=now,
    )  # fmt: skip
    await row.save()
    return int(row.id)


async def withdraw(cost: int, *, by: str, now: datetime) -> None:
    """Withdraw a mistaken line: it stays listed, struck out, and counts no more."""
    live = (CostRow.id == cost) & CostRow.withdrawn_at.is_null()
    if not await CostRow.exists().where(live):
        raise CostNotFound(cost)
    await CostRow.update({CostRow.withdrawn_by: by, CostRow.withdrawn_at: now}).where(live)


def _line(r: dict[str, Any]) -> costs.CostLine:
    return costs.CostLine(
        r["service"], r["territory"], r["starts_on"], r["ends_on"], r["category"], r["label"],
        int(r["amount_cents"]), r["currency"],
    )  # fmt: skip


async def listed(
    service: str | None = None, territory: str | None = None, limit: int = 200
) -> list[StoredCost]:
    """Cost lines, the latest recorded first, withdrawn ones included."""
    query = CostRow.select().order_by(CostRow.id, ascending=False).limit(limit)
    if service is not None:
        query = query.where(CostRow.service == service)
    if territory is not None:
        query = query.where(CostRow.territory == territory)
    found = []
    for r in await query:
        who = (r["recorded_by"], r["recorded_at"], r["withdrawn_by"], r["withdrawn_at"])
        found.append(StoredCost(r["id"], _line(r), *who))
    return found


async def between(service: str, territory: str, start: date, end: date) -> costs.CostSummary:
    """The costs of a service and territory that fall from `start` to `end` (inclusive)."""
    rows = await CostRow.select().where(
        (CostRow.service == service)
        & (CostRow.territory == territory)
        & CostRow.withdrawn_at.is_null()
        & (CostRow.starts_on <= end)
        & (CostRow.ends_on >= start)
    )
    return costs.summarise([_line(r) for r in rows], start, end)
