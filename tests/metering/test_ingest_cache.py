"""A worker's cached series state against the database: it continues from its cache only
while no other worker wrote the meter (meter_ingest_seq), and reloads otherwise."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from metering.directory import MeterDirectory
from metering.ingest_batch import Pipeline
from metering.store import PostgresStore, SQLiteStore
from metering.usage import DayCalendar
from regie.settings import DatabaseSettings
from tests.metering.helpers import add_meters, expected_days, iso, stored_days, stored_readings

pytestmark = pytest.mark.db

T0 = int(datetime(2026, 3, 10, 9, tzinfo=UTC).timestamp())  # 10:00 in Paris


async def open_store(url: str) -> SQLiteStore | PostgresStore:
    settings = DatabaseSettings(url=url)
    if settings.is_postgres:
        return await PostgresStore.connect(url)
    return SQLiteStore(str(settings.sqlite_path))


def message(ts: int, litres: int) -> tuple[str, bytes]:
    body = {"ts": iso(ts), "value": litres, "unit": "L"}
    return "regie/v1/water/CACHE-1/reading", json.dumps(body).encode()


async def test_a_worker_reloads_a_meter_another_worker_wrote(db: str) -> None:
    await add_meters([("CACHE-1", "water", None, 0)])
    directory = MeterDirectory()
    await directory.load()
    calendar = DayCalendar("Europe/Paris")
    first, second = Pipeline(directory, calendar), Pipeline(directory, calendar)
    store = await open_store(db)

    async def write(pipeline: Pipeline, ts: int, litres: int) -> None:
        pipeline.accept(*message(ts, litres), received_at=ts + 60)
        async with store.transaction() as tx:
            await pipeline.flush(tx)

    try:
        await write(first, T0, 100)
        await write(first, T0 + 3600, 110)  # its own last write: continues from its cache
        await write(second, T0 + 86_400, 300)  # the next day, through the other worker
        # The first worker's cache still ends at 110 the day before: used as is, the next
        # reading would spread 110 → 310 over the two days and misplace the midnight index.
        await write(first, T0 + 86_400 + 7200, 310)
    finally:
        await store.close()

    points = {T0: 100, T0 + 3600: 110, T0 + 86_400: 300, T0 + 86_400 + 7200: 310}
    assert (await stored_readings())[("CACHE-1", "total")] == points
    assert (await stored_days())[("CACHE-1", "total")] == expected_days(points)
    assert first.counters.duplicates == second.counters.duplicates == 0
