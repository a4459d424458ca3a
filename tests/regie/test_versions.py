"""Data versions: the triggers raise a counter in the transaction of every change, whoever
writes (Piccolo, raw SQL, the ingest store), daily usage per month of the day changed."""

from __future__ import annotations

from datetime import date

import pytest

from regie.core.versions import data_versions, month_names, pick

pytestmark = pytest.mark.db


async def _household(ref: str = "H-1") -> int:
    from regie.tables import Household

    row = Household(reference=ref, name="Famille", persons=2, territory="lille")
    await row.save()
    return int(row.id)


async def test_daily_usage_counts_per_month_of_the_day_changed(db: str) -> None:
    from metering.tables import DailyUsage, Meter

    home = await _household()
    meter = Meter(serial="W-1", service="water", household=home)
    await meter.save()
    before = await data_versions()
    await DailyUsage.insert(
        DailyUsage(meter=meter.id, day=date(2026, 3, 31), register="total", consumption=5),
        DailyUsage(meter=meter.id, day=date(2026, 4, 1), register="total", consumption=6),
    )
    after = await data_versions()
    for month in ("daily_usage:2026-03", "daily_usage:2026-04"):
        assert after[month] > before.get(month, 0)
    assert after.get("daily_usage:2026-05", 0) == before.get("daily_usage:2026-05", 0)

    # A row rewritten in place (a late reading rolled up again) raises its month only.
    await DailyUsage.update({DailyUsage.consumption: 7}).where(DailyUsage.day == date(2026, 4, 1))
    edited = await data_versions()
    assert edited["daily_usage:2026-04"] > after["daily_usage:2026-04"]
    assert edited["daily_usage:2026-03"] == after["daily_usage:2026-03"]

    await DailyUsage.delete().where(DailyUsage.day == date(2026, 3, 31))
    gone = await data_versions()
    assert gone["daily_usage:2026-03"] > edited["daily_usage:2026-03"]
    assert gone["meter"] == before["meter"]


async def test_the_ingest_store_raises_the_months_it_writes(db: str) -> None:
    from metering.store import PostgresStore, SQLiteStore
    from metering.tables import Meter
    from regie.settings import get_settings

    home = await _household()
    meter = Meter(serial="W-1", service="water", household=home)
    await meter.save()
    before = await data_versions()
    rows = [(int(meter.id), "total", date(2026, 2, 27), 9, "measured")]
    db_settings = get_settings().database
    store: PostgresStore | SQLiteStore
    if db_settings.is_postgres:
        store = await PostgresStore.connect(db_settings.url)
    else:
        store = SQLiteStore(str(db_settings.sqlite_path))
    try:
        for consumption in (9, 10):  # a new day, then the same day again (an upsert)
            async with store.transaction() as tx:
                await tx.upsert_days([(*rows[0][:3], consumption, "measured")])
            now = await data_versions()
            assert now["daily_usage:2026-02"] > before.get("daily_usage:2026-02", 0)
            before = now
    finally:
        await store.close()


async def test_tables_raise_their_own_counter(db: str) -> None:
    from metering.tables import Meter
    from regie.tables import Household

    before = await data_versions()
    home = await _household()
    assert (await data_versions())["household"] > before.get("household", 0)
    before = await data_versions()
    await Household.update({Household.persons: 3}).where(Household.id == home)
    assert (await data_versions())["household"] > before["household"]
    before = await data_versions()
    await Meter(serial="E-1", service="electricity", household=home).save()
    after = await data_versions()
    assert after["meter"] > before.get("meter", 0)
    assert after["household"] == before["household"]


def test_month_names_and_keys() -> None:
    assert month_names(date(2025, 11, 15), date(2026, 2, 1)) == [
        "daily_usage:2025-11", "daily_usage:2025-12", "daily_usage:2026-01", "daily_usage:2026-02",
    ]  # fmt: skip
    assert pick({"meter": 4}, ["meter", "bill"]) == (("meter", 4), ("bill", 0))
