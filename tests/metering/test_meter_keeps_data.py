"""A meter with readings or daily usage cannot be deleted, on either engine (on PostgreSQL a
trigger stands where the per-row foreign key checks were, to keep ingest's COPY fast)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from metering.tables import DailyUsage, Meter, Reading

pytestmark = pytest.mark.db


async def _meter(serial: str) -> int:
    row = Meter(serial=serial, service="water", unit="L")
    await row.save()
    return int(row.id)


async def test_a_meter_with_readings_or_usage_is_not_deleted(db: str) -> None:
    now = datetime(2026, 11, 1, tzinfo=UTC)
    with_reading, with_usage, bare = await _meter("R-1"), await _meter("U-1"), await _meter("B-1")
    await Reading(meter=with_reading, ts=now, value=5, received_at=now).save()
    await DailyUsage(meter=with_usage, day=date(2026, 11, 1), consumption=5).save()
    for meter in (with_reading, with_usage):
        with pytest.raises(Exception, match=r"(?i)foreign key|has readings"):
            await Meter.delete().where(Meter.id == meter)
        assert await Meter.exists().where(Meter.id == meter)
    await Meter.delete().where(Meter.id == bare)
    assert not await Meter.exists().where(Meter.id == bare)
    assert await Reading.count() == 1 and await DailyUsage.count() == 1
