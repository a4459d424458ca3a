"""TIC power peaks end to end: frames through a real broker and the ingest worker into
`power_peak`, then the daily regulation job opens an over-power case."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import date, datetime, time, timedelta

import pytest

from metering.regulation.daily import evaluate_day
from metering.regulation.tables import PowerPeak, RegulationCase
from metering.tables import Reading, RejectedReading
from tests.metering.helpers import PARIS, drain, publish, settings_for, start_worker
from tests.metering.regulation import dbdata

pytestmark = [pytest.mark.db, pytest.mark.mqtt]


def label(value: int | str) -> dict[str, object]:
    return {"raw": str(value), "value": value}


def history(serial: str, papp: int | str, isousc: int = 30, hchc: int = 1000) -> bytes:
    """A history-mode frame (no horodate: the time it arrives is the reading time)."""
    doc = {"ADCO": label(serial), "ISOUSC": label(isousc), "HCHC": label(hchc),
           "HCHP": label(2000), "PAPP": label(papp)}  # fmt: skip
    return json.dumps(doc).encode()


def standard(serial: str, day: date, smaxsn: int, pref: int) -> bytes:
    """A standard-mode frame of `day` at noon, local time, with the day's peak at 07:30."""

    def stamp(at: time) -> dict[str, str]:
        local = datetime.combine(day, at, PARIS)
        season = "summer" if local.dst() else "winter"
        return {"date": local.replace(tzinfo=None).isoformat() + ".000Z", "dst": season}

    doc = {
        "ADSC": label(serial),
        "DATE": {"raw": "", "value": "", "timestamp": stamp(time(12))},
        "EAST": label(5000),
        "PREF": label(pref),
        "SMAXSN": {**label(smaxsn), "timestamp": stamp(time(7, 30))},
    }
    return json.dumps(doc).encode()


async def test_a_papp_above_isousc_times_200_is_a_peak_and_then_a_case(
    db: str, mqtt_url: str
) -> None:
    ids = await dbdata.households()  # E-1: H-1's electricity meter (registers hchc, hchp)
    today = datetime.now(PARIS).date()
    topic = "teleinfo/E-1"
    messages = [
        (topic, standard("E-1", today - timedelta(days=2), smaxsn=6_300, pref=6)),
        (topic, standard("E-1", today - timedelta(days=1), smaxsn=5_000, pref=6)),
        (topic, standard("E-1", today - timedelta(days=1), smaxsn=6_100, pref=6)),  # raises it
        (topic, history("E-1", papp="A", hchc=1001)),  # garbled PAPP: its indexes still count
        (topic, history("E-1", papp=6_600)),  # 6,600 VA on 30 A × 200 = 6,000 VA subscribed
        (topic, history("E-1", papp=6_600)),  # redelivered: changes nothing
        (topic, history("E-1", papp=2_000)),  # later, lower: the day's maximum stays
        ("teleinfo/E-404", history("E-404", papp=9_000)),  # no such meter
        ("teleinfo/W-1", standard("W-1", today - timedelta(days=1), smaxsn=100, pref=6)),
    ]
    settings = settings_for(db, mqtt_url, f"test-peaks-{uuid.uuid4().hex[:6]}", batch_size=3)
    worker, task = await start_worker(settings)
    await asyncio.to_thread(publish, mqtt_url, messages, lambda: worker.pipeline.counters.messages)
    assert await drain(worker, task, len(messages)) == 0

    peaks = await PowerPeak.select().order_by(PowerPeak.day)
    received_on = peaks[-1]["day"]  # the history frames' day (the day they arrived)
    assert received_on in (today, today + timedelta(days=1))  # unless ingest ran past midnight
    assert [(p["meter"], p["day"], p["max_va"], p["subscribed_va"]) for p in peaks] == [
        (ids["E-1"], today - timedelta(days=2), 6_300, 6_000),
        (ids["E-1"], today - timedelta(days=1), 6_100, 6_000),
        (ids["E-1"], received_on, 6_600, 6_000),
    ]
    rejected = sorted((r["reason"], r["topic"]) for r in await RejectedReading.select())
    assert rejected == [
        ("not_a_number", topic),
        ("service_mismatch", "teleinfo/W-1"),  # its peak; its EAST index in Wh, too:
        ("unit_dimension", "teleinfo/W-1"),
        ("unknown_meter", "teleinfo/E-404"),
    ]
    stored = await Reading.select(Reading.register, Reading.value).where(
        Reading.meter == ids["E-1"]
    )
    assert {(r["register"], r["value"]) for r in stored} >= {("hchc", 1001), ("hchp", 2000)}

    report = await evaluate_day(received_on)  # the daily job's check of that day
    assert report.by_rule == {"electricity-over-power": 1}
    [case] = await RegulationCase.select().output(load_json=True)
    assert (case["household"], case["rule"]) == (ids["H-1"], "electricity-over-power")
    assert case["figures"]["highest_va"] == 6_600 and case["figures"]["days"] == 3
