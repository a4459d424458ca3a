"""The schema migrates on the configured engine and keeps readings unique."""

from datetime import UTC, datetime

import pytest

pytestmark = pytest.mark.db


async def test_migrations_create_every_table(db: str) -> None:
    from metering.tables import DailyUsage, Meter, Reading, RejectedReading
    from regie.tables import Household

    for table in (Household, Meter, Reading, RejectedReading, DailyUsage):
        assert await table.count() == 0


async def test_reading_key_refuses_a_second_copy(db: str) -> None:
    from metering.tables import Meter, Reading

    meter = Meter(serial="W-1", service="water")
    await meter.save()
    ts = datetime(2026, 1, 1, tzinfo=UTC)
    await Reading(meter=meter.id, ts=ts, register="total", value=10, received_at=ts).save()
    with pytest.raises(Exception, match=r"(?i)unique"):
        await Reading(meter=meter.id, ts=ts, register="total", value=11, received_at=ts).save()
    assert await Reading.count() == 1
