"""End to end: a real broker, the ingest worker, a real database."""

from __future__ import annotations

import asyncio
import random
import uuid
from datetime import UTC, datetime

import pytest

from metering.tables import RejectedReading
from tests.metering.helpers import (
    add_meters,
    build_stream,
    drain,
    expected_days,
    publish,
    settings_for,
    spoil,
    start_worker,
    stored_days,
    stored_readings,
)

pytestmark = [pytest.mark.db, pytest.mark.mqtt]


async def test_three_formats_with_duplicates_malformed_shuffled_and_a_gap(
    db: str, mqtt_url: str
) -> None:
    rng = random.Random(2026)
    # 60 meters × 125 hours sent (after a 30-hour gap) = 10k readings, in all three formats.
    stream, specs = build_stream(
        rng, run="E2E", meters=60, hours=155, start=datetime(2026, 3, 27, 5, tzinfo=UTC)
    )
    await add_meters(specs)
    spoil(stream, rng, serial=specs[0][0], share_dup=0.05, share_bad=0.01)
    expected_count = sum(len(v) for v in stream.expected.values())
    assert expected_count >= 10_000

    settings = settings_for(db, mqtt_url, f"test-e2e-{uuid.uuid4().hex[:6]}")
    worker, task = await start_worker(settings)
    await asyncio.to_thread(
        publish, mqtt_url, stream.messages, lambda: worker.pipeline.counters.messages
    )
    assert await drain(worker, task, len(stream.messages)) == 0

    stored = await stored_readings()
    assert sum(len(v) for v in stored.values()) == expected_count
    assert stored == stream.expected

    rejected = await RejectedReading.select()
    assert len(rejected) == stream.malformed
    assert all(r["reason"] and r["payload"] is not None for r in rejected)
    reasons = {r["reason"] for r in rejected}
    assert reasons == {
        "invalid_json",
        "unknown_meter",
        "unit_dimension",
        "invalid_utf8",
        "missing_field",
    }

    days = await stored_days()
    for key, points in stream.expected.items():
        assert days[key] == expected_days(points), key
    counters = worker.pipeline.counters
    assert counters.stored == expected_count
    assert counters.duplicates > 0
