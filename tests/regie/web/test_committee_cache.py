"""The committee dashboard is computed once per committee, day and data versions: the same
answer while nothing it reads changes (today's live use included), a new one after a new or
rewritten day of usage in its months, a new tariff version, a changed household or meter."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from tests.regie.web.test_committees import _use, make_committees, water_tariff

pytestmark = pytest.mark.db


async def test_the_dashboard_is_kept_until_what_it_reads_changes(people) -> None:  # type: ignore[no-untyped-def]
    from committees.service import get_committee
    from metering.tables import DailyUsage, Meter
    from regie.tables import Household
    from regie.web import committee_data
    from tariffs import service as tariffs
    from tariffs.impact import last_twelve_months

    world = await make_committees(people)
    info = await get_committee(world.a)
    today = date.today()
    start, end = last_twelve_months(today)
    first = await committee_data.dashboard(info, today)
    assert await committee_data.dashboard(info, today) is first  # kept

    # Today's live use lies outside the dashboard's whole months: still the same answer.
    meter = await Meter.select(Meter.id).where(Meter.serial == "W-H-1").first()
    assert meter is not None
    await DailyUsage.update({DailyUsage.consumption: 5000}).where(
        (DailyUsage.meter == meter["id"]) & (DailyUsage.day == today)
    )
    assert await committee_data.dashboard(info, today) is first

    # A day of a past month rewritten in place (a late reading rolled up again).
    await DailyUsage.update({DailyUsage.consumption: 300 + 1000}).where(
        (DailyUsage.meter == meter["id"]) & (DailyUsage.day == start)
    )
    rewritten = await committee_data.dashboard(info, today)
    assert rewritten.total == first.total + 1000
    assert await committee_data.dashboard(info, today) is rewritten

    # A new day in the months of the year before (the trend's reference).
    await DailyUsage.delete().where(
        (DailyUsage.meter == meter["id"]) & (DailyUsage.day == start - timedelta(days=1))
    )
    assert (await committee_data.dashboard(info, today)).last_total == first.last_total - 200
    await _use(meter["id"], start - timedelta(days=1), start - timedelta(days=1), 200)
    again = await committee_data.dashboard(info, today)
    assert again.last_total == first.last_total

    # A household's persons change its thresholds; a new tariff version its blocks.
    await Household.update({Household.social: False}).where(Household.reference == "H-1")
    moved = await committee_data.dashboard(info, today)
    assert moved is not again and moved.social == first.social - 1
    await tariffs.create_version(
        water_tariff("3.10", (end - timedelta(days=3)).isoformat()).replace(
            'name = "', 'name = "Nouveau ', 1
        ),
        "lille",
        origin="decision",
        decision_ref="test-cache-1",
    )
    priced = await committee_data.dashboard(info, today)
    assert priced is not moved and priced.tariff != moved.tariff

    # Another day asks again.
    assert await committee_data.dashboard(info, today + timedelta(days=1)) is not priced


async def test_the_queue_and_proposals_follow_cases_replies_and_filings(people) -> None:  # type: ignore[no-untyped-def]
    from committees import proposals
    from committees.service import get_committee
    from metering.regulation.cases import reply_to_case
    from regie.core.versions import data_versions
    from regie.tables import Household
    from regie.web import committee_data

    world = await make_committees(people)
    info = await get_committee(world.a)
    today = date.today()

    async def queue() -> list:  # type: ignore[type-arg]
        return await committee_data.queue(info, today, False, await data_versions())

    first = await queue()
    assert [(c.case, c.replies) for c in first] == [(world.case, 0)]
    assert await queue() is first  # kept while nothing changes
    await reply_to_case(
        world.case, household=world.households["H-2"], reason="pool_filling", text=""
    )
    assert [(c.case, c.replies) for c in await queue()] == [(world.case, 1)]
    await Household.update({Household.persons: 5}).where(Household.reference == "H-2")
    assert [c.persons for c in await queue()] == [5]

    before = {p.id for p in await committee_data.proposals(info, await data_versions())}
    member = world.accounts[world.logins["users_a"]]
    filed = await proposals.file_proposal(
        member, world.a, "free_motion", "Encore une motion", now=datetime.now(UTC)
    )
    after = {p.id for p in await committee_data.proposals(info, await data_versions())}
    assert after == before | {filed}


async def test_costs_and_weekly_case_counts_follow_their_tables(people) -> None:  # type: ignore[no-untyped-def]
    from committees.service import get_committee
    from metering.regulation.cases import grant_exemption
    from metering.regulation.tables import RegulationCase
    from regie.core.versions import data_versions
    from regie.web import committee_data
    from tariffs import costs, costs_store
    from tariffs.impact import last_twelve_months

    world = await make_committees(people)
    info = await get_committee(world.a)
    today = date.today()
    start, end = last_twelve_months(today)
    none = await committee_data.costs(info, start, end, await data_versions())
    assert none.lines == 0
    assert await committee_data.costs(info, start, end, await data_versions()) is none
    line = costs.parse_line(
        service="water", territory="lille", starts_on=start.isoformat(),
        ends_on=end.isoformat(), category="staff", label="Personnel", amount="1000",
    )  # fmt: skip
    recorded = await costs_store.record(line, by="test", now=datetime.now(UTC))
    found = await committee_data.costs(info, start, end, await data_versions())
    assert found.cents == 100_000 and found.lines == 1
    await costs_store.withdraw(recorded, by="test", now=datetime.now(UTC))
    assert (await committee_data.costs(info, start, end, await data_versions())).lines == 0

    weeks = await committee_data.case_weeks(info, today, await data_versions())
    assert weeks["case_stats"].opened == 1
    assert await committee_data.case_weeks(info, today, await data_versions()) is weeks
    await grant_exemption(world.case, until=None, reason="test")
    after = await committee_data.case_weeks(info, today, await data_versions())
    assert after is not weeks and after["case_stats"].still_open == 1
    await RegulationCase.delete().where(RegulationCase.id == world.case)
    gone = await committee_data.case_weeks(info, today, await data_versions())
    assert gone["case_stats"].opened == 0


async def test_a_seat_is_decided_at_each_request_though_memberships_are_kept(people) -> None:  # type: ignore[no-untyped-def]
    """Memberships are kept per data versions, but who sits is decided at each call: a term
    that ends, or begins, takes effect at its hour with nothing written."""
    from committees.service import add_member
    from regie.core.accounts import create_account
    from regie.web import committee_data

    world = await make_committees(people)
    versions = {"membership": 1, "college": 1, "committee": 1}  # nothing changes in between
    account = (await create_account("nouvelle@asso.example", "Nouvelle")).id
    begins = datetime.now(UTC) + timedelta(days=2)
    await add_member(world.a, account, "users", starts_at=begins, now=datetime.now(UTC))
    before = await committee_data.seat_in(world.a, account, begins - timedelta(hours=1), versions)
    during = await committee_data.seat_in(world.a, account, begins + timedelta(hours=1), versions)
    assert before is None
    assert during is not None and during.college == "users" and during.since == begins
