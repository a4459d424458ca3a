"""Rule-set versions adopted by committees, drought levels, night rollups from readings, TIC
power peaks and the daily job (idempotent, catching up after downtime)."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta

import pytest

from metering.regulation import service, views
from metering.regulation.daily import evaluate_day, roll_up_nights, run_daily
from metering.regulation.defaults import default_rule_set
from metering.regulation.nights import night_bounds
from metering.regulation.rule_file import RuleSetError, document
from metering.regulation.rules import Level
from metering.regulation.tables import (
    NightUsage,
    RegulationCase,
    RegulationNotice,
    RegulationRun,
)
from metering.tables import DailyUsage, Meter, Reading
from regie.scheduler import all_jobs
from tests.metering.regulation import dbdata
from tests.metering.regulation.sim import PARIS

pytestmark = pytest.mark.db

NOW = datetime(2026, 4, 20, 6, 30, tzinfo=UTC)
START = date(2026, 3, 1)


def stricter(per_person: int) -> dict:
    doc = document(default_rule_set("water"))
    doc["rules"] = [r for r in doc["rules"] if r["key"] == "water-excess"]
    doc["rules"][0]["per_person_per_day"] = per_person
    return doc


async def test_adopt_rule_set_versions_and_the_decision_behind_them(db: str) -> None:
    first = await service.adopt_rule_set(
        "lille", "water", stricter(180), decision_ref="proposal:41", now=NOW
    )
    again = await service.adopt_rule_set(
        "lille", "water", stricter(180), decision_ref="proposal:41", now=NOW
    )
    assert again == first  # the same decision enacted twice makes one version
    second = await service.adopt_rule_set(
        "lille", "water", stricter(120), decision_ref="proposal:42", effective_on=date(2026, 5, 1)
    )
    assert (first.version, second.version, first.effective_on) == (1, 2, date(2026, 4, 20))
    in_force = await service.rule_sets_in_force(date(2026, 4, 30))
    rule_set, version = in_force[("lille", "water")]
    assert version == first.id and rule_set.keys == {"water-excess"}
    assert (await service.rule_sets_in_force(date(2026, 5, 1)))[("lille", "water")][1] == second.id
    assert ("roubaix", "water") not in in_force  # the shipped defaults apply there
    with pytest.raises(RuleSetError, match="measures"):
        await service.adopt_rule_set(
            "lille", "water", {"service": "water", "rules": [{"key": "x", "kind": "night_flow",
            "min_flow_per_hour": 1}]}, decision_ref="proposal:43",
        )  # fmt: skip
    text = 'service = "electricity"\n[[rules]]\nkey = "base"\nkind = "night_base_load"\n'
    text += 'factor = "3"\nmeasures = [{ kind = "notice", by = "régie" }]\n'
    elec = await service.adopt_rule_set("lille", "electricity", text, decision_ref=None, now=NOW)
    assert elec.version == 1


async def test_cases_follow_the_rule_set_in_force_and_close_when_a_rule_is_withdrawn(
    db: str,
) -> None:
    ids = await dbdata.households()
    await dbdata.usage(ids["W-2"], START, 60, per_day=170)  # 1 person, 170 L a day
    await evaluate_day(date(2026, 4, 9), now=NOW)
    assert await RegulationCase.count() == 0
    adopted = await service.adopt_rule_set(
        "lille", "water", stricter(150), decision_ref="proposal:42", effective_on=date(2026, 4, 10)
    )
    await evaluate_day(date(2026, 4, 10), now=NOW)
    [case] = await RegulationCase.select()
    assert (case["rule"], case["rule_set"], case["household"]) == (
        "water-excess",
        adopted.id,
        ids["H-2"],
    )
    doc = stricter(150)
    doc["rules"][0]["key"] = "water-excess-2026"
    await service.adopt_rule_set(
        "lille", "water", doc, decision_ref="proposal:50", effective_on=date(2026, 4, 11)
    )
    await evaluate_day(date(2026, 4, 11), now=NOW)
    rows = await RegulationCase.select().order_by(RegulationCase.id)
    assert [(r["rule"], r["status"], r["outcome"]) for r in rows] == [
        ("water-excess", "closed", "rule_withdrawn"),
        ("water-excess-2026", "open", None),
    ]


async def test_a_drought_level_is_shown_to_every_household_of_the_territory(db: str) -> None:
    ids = await dbdata.households()
    restriction = await service.declare_drought(
        "lille", "crise", date(2026, 8, 1), date(2026, 8, 31), declared_by="committee",
        decision_ref="proposal:60", now=NOW,
    )  # fmt: skip
    notices = await RegulationNotice.select().where(RegulationNotice.kind == "drought")
    assert sorted(n["household"] for n in notices) == sorted([ids["H-1"], ids["H-2"]])
    assert "crise" in notices[0]["message"] and "2026-08-01" in notices[0]["message"]
    assert await service.drought_level("lille", date(2026, 8, 15)) is Level.CRISE
    assert await service.drought_level("lille", date(2026, 9, 1)) is None
    assert await service.drought_level("roubaix", date(2026, 8, 15)) is None
    await service.lift_drought(restriction, date(2026, 8, 10))
    assert await service.drought_level("lille", date(2026, 8, 11)) is None
    with pytest.raises(ValueError, match="ends on or after"):
        await service.declare_drought(
            "lille", "alerte", date(2026, 8, 2), date(2026, 8, 1), declared_by="x"
        )


async def test_a_drought_opens_cases_from_the_right_day(db: str) -> None:
    ids = await dbdata.households()
    await dbdata.usage(ids["W-1"], date(2026, 6, 1), 92, per_day=3 * 190)  # 190 L/person/day
    await service.declare_drought(
        "lille", "crise", date(2026, 8, 1), declared_by="operator:3", now=NOW
    )
    await evaluate_day(date(2026, 8, 5), now=NOW)
    assert await RegulationCase.count() == 0
    await evaluate_day(date(2026, 8, 6), now=NOW)
    [case] = await RegulationCase.select().output(load_json=True)
    assert (
        case["figures"]["level"] == "crise"
        and case["figures"]["threshold_per_person_per_day"] == 140
    )


async def test_night_use_rolled_up_from_readings(db: str) -> None:
    ids = await dbdata.households()
    day = date(2026, 3, 10)
    start, end = night_bounds(day, PARIS)
    rows = [
        Reading(meter=ids["W-1"], ts=datetime.fromtimestamp(ts, UTC), register="total",
                value=1000 + 5 * (ts - start) // 3600, received_at=NOW)
        for ts in range(start - 3600, end + 3601, 900)
    ]  # fmt: skip
    rows += [
        Reading(meter=ids["W-2"], ts=datetime.fromtimestamp(ts, UTC), register="total",
                value=300, received_at=NOW)
        for ts in range(start - 3600, end + 3601, 900)
    ]  # fmt: skip
    rows.append(  # a flagged reading (spike) is not used
        Reading(meter=ids["W-2"], ts=datetime.fromtimestamp(start + 450, UTC), register="total",
                value=99_999, received_at=NOW, flag="spike")
    )  # fmt: skip
    await Reading.insert(*rows)
    assert await roll_up_nights(day) == 2
    assert await roll_up_nights(day) == 2  # again: replaced, not added
    assert await roll_up_nights(day, only_incomplete=True) == 0
    nights = await NightUsage.select().order_by(NightUsage.meter)
    assert [(n["meter"], n["min_hour"], n["total"], n["hours"], n["complete"]) for n in nights] == [
        (ids["W-1"], 5, 25, 5, True),
        (ids["W-2"], 0, 0, 5, True),
    ]


async def test_power_peaks_from_tic_open_an_over_power_case(db: str) -> None:
    ids = await dbdata.households()
    day = date(2026, 3, 10)
    peaks = [("E-1", day - timedelta(days=k), 6100, 6000) for k in range(3)]
    assert await service.record_power_peaks([*peaks, ("NOPE", day, 1, 1)]) == 3
    assert await service.record_power_peaks(peaks) == 3
    await evaluate_day(day, now=NOW)
    [case] = await RegulationCase.select()
    assert (case["household"], case["rule"], case["service"]) == (
        ids["H-1"],
        "electricity-over-power",
        "electricity",
    )


async def test_the_daily_job_is_idempotent_and_catches_up(db: str) -> None:
    ids = await dbdata.households()
    await dbdata.usage(
        ids["W-1"], START, 60, per_day=450, leak=(date(2026, 4, 10), date(2026, 4, 30), 6)
    )
    reports = await run_daily(NOW)  # first run: the week up to yesterday
    assert [r.day for r in reports] == [date(2026, 4, 13) + timedelta(days=k) for k in range(7)]
    assert reports[0].opened == 1 and sum(r.opened for r in reports) == 1
    again = await run_daily(NOW)  # same morning: yesterday again, nothing new
    assert [(r.day, r.opened, r.kept) for r in again] == [(date(2026, 4, 19), 0, 1)]
    later = await run_daily(NOW + timedelta(days=2))  # two days later: two days
    assert [r.day for r in later] == [date(2026, 4, 20), date(2026, 4, 21)]
    assert await RegulationCase.count() == 1
    assert await RegulationNotice.count() == 1
    assert await RegulationRun.count() == 9
    assert [j.id for j in all_jobs() if j.id == "metering.regulation_daily"]
    [row] = await views.committee_queue("lille")
    assert row.last_active == date(2026, 4, 21)


async def test_a_households_meters_and_registers_add_up(db: str) -> None:
    ids = await dbdata.households()
    [second] = await Meter.insert(Meter(serial="W-1b", service="water", household=ids["H-1"]))
    day = date(2026, 3, 31)
    await dbdata.usage(ids["W-1"], START, 31, per_day=200)
    await dbdata.usage(second["id"], START, 31, per_day=500, night=3)  # 700 L for 3 persons
    await DailyUsage.insert(
        *[
            DailyUsage(meter=ids["E-1"], day=START + timedelta(days=k), register=register,
                       consumption=30_000)
            for k in range(31)
            for register in ("hchc", "hchp")
        ]
    )  # fmt: skip
    await evaluate_day(day, now=NOW)
    rows = await RegulationCase.select().order_by(RegulationCase.rule).output(load_json=True)
    found = {r["rule"]: r["figures"] for r in rows}
    assert set(found) == {"electricity-excess", "water-excess", "water-night-leak"}
    assert found["water-excess"]["used"] == 30 * 700
    assert found["electricity-excess"]["used"] == 30 * 60_000  # hchc + hchp
    assert found["water-night-leak"]["lowest_per_hour"] == 3


@pytest.mark.skipif(
    not os.environ["REGIE_DATABASE_URL"].startswith("postgres"),
    reason="prepared statements' plans are PostgreSQL's",
)
async def test_the_daily_reads_keep_a_plan_for_their_days(db: str) -> None:
    """The daily job runs every day on the app's pooled connections, where asyncpg keeps its
    statements prepared: each run gets a plan for its own days, never a generic one."""
    from metering.regulation import store
    from regie.core.database import engine

    day = date(2026, 11, 30)
    last_year = day - timedelta(days=364)
    spans = [(day - timedelta(days=29), day), (last_year - timedelta(days=29), last_year)]
    pool = engine()
    await pool.start_connection_pool(min_size=1, max_size=1)  # type: ignore[attr-defined]
    try:
        for _ in range(8):
            async with store.reads() as reads:
                await reads.daily(day, spans)
                await reads.nights(day, day - timedelta(days=29))
        async with store.reads() as reads:
            plans = await reads.connection.fetch(
                "SELECT generic_plans, custom_plans FROM pg_prepared_statements"
                " WHERE statement LIKE 'SELECT meter, array_agg%'"
            )
    finally:
        await pool.close_connection_pool()  # type: ignore[attr-defined]
    assert sorted(tuple(p) for p in plans) == [(0, 8), (0, 8)]
