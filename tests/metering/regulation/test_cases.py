"""Cases in the database: one case per episode however often the day is run, closed when the
condition ends, a history, replies and exemptions, and the committee's queue without names."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from metering.regulation import cases, views
from metering.regulation.daily import evaluate_day
from metering.regulation.episodes import ENDED, ENDED_AFTER_NOTICE
from metering.regulation.tables import RegulationCase, RegulationNotice
from regie.tables import Household
from tests.metering.regulation import dbdata

pytestmark = pytest.mark.db

START = date(2026, 3, 1)
LEAK = (date(2026, 3, 10), date(2026, 3, 20), 8)  # first night, last night, L/h
NOW = datetime(2026, 4, 20, 6, 30, tzinfo=UTC)


async def run(first: date, last: date) -> None:
    day = first
    while day <= last:
        await evaluate_day(day, now=NOW)
        day += timedelta(days=1)


async def all_cases() -> list[dict]:
    return await RegulationCase.select().order_by(RegulationCase.id).output(load_json=True)


@pytest.fixture
async def leaking(db: str) -> dict[str, int]:
    ids = await dbdata.households()
    await dbdata.usage(ids["W-1"], START, 40, per_day=450, leak=LEAK)
    await dbdata.usage(ids["W-2"], START, 40, per_day=140)
    return ids


async def test_a_case_opens_once_per_episode_and_closes_when_it_ends(leaking) -> None:
    await run(START, date(2026, 3, 11))
    assert await all_cases() == []
    await run(date(2026, 3, 12), date(2026, 3, 12))  # the third night of the leak
    await run(date(2026, 3, 12), date(2026, 3, 12))  # the same day again: nothing new
    await run(date(2026, 3, 13), date(2026, 3, 22))
    [case] = await all_cases()
    assert (case["household"], case["rule"], case["status"]) == (
        leaking["H-1"],
        "water-night-leak",
        "open",
    )
    assert (case["opened_on"], case["last_active"]) == (date(2026, 3, 12), date(2026, 3, 20))
    assert case["figures"]["lowest_per_hour"] == 8
    # Three leaking nights at opening, then one more day for each night up to the 20th.
    assert case["volume"] == 3 * 8 * 24 + 8 * 8 * 24
    await run(date(2026, 3, 23), date(2026, 3, 23))  # three days clear: 21, 22, 23
    [case] = await all_cases()
    assert (case["status"], case["closed_on"], case["outcome"]) == (
        "closed",
        date(2026, 3, 23),
        ENDED_AFTER_NOTICE,
    )
    notices = await RegulationNotice.select().order_by(RegulationNotice.id)
    assert [(n["household"], n["kind"]) for n in notices] == [
        (leaking["H-1"], "case_opened"),
        (leaking["H-1"], "case_closed"),
    ]
    assert "n'est pas revenu à zéro" in notices[0]["message"] and "8 L" in notices[0]["message"]


async def test_a_new_leak_after_the_case_closed_is_a_new_episode(leaking) -> None:
    await dbdata.usage(
        leaking["W-1"],
        date(2026, 4, 10),
        5,
        per_day=450,
        leak=(date(2026, 4, 10), date(2026, 4, 14), 5),
    )
    await run(date(2026, 3, 12), date(2026, 3, 23))
    await run(date(2026, 4, 12), date(2026, 4, 12))
    rows = await all_cases()
    assert [(c["opened_on"], c["status"]) for c in rows] == [
        (date(2026, 3, 12), "closed"),
        (date(2026, 4, 12), "open"),
    ]


async def test_a_measure_beyond_the_notice_is_not_ended_after_notice(leaking) -> None:
    await run(date(2026, 3, 12), date(2026, 3, 12))
    [case] = await all_cases()
    await cases.record_measure(case["id"], "advice_visit", actor="operator:3", note="cistern")
    with pytest.raises(cases.MeasureNotAttached):
        await cases.record_measure(case["id"], "flow_limiter", actor="operator:3")
    await run(date(2026, 3, 21), date(2026, 3, 23))
    [case] = await all_cases()
    assert case["outcome"] == ENDED


async def test_history_replies_and_exemption(leaking) -> None:
    await run(date(2026, 3, 12), date(2026, 3, 12))
    [case] = await all_cases()
    with pytest.raises(cases.CaseNotFound):  # not H-2's case
        await cases.reply_to_case(case["id"], household=leaking["H-2"], reason="other", text="?")
    await cases.reply_to_case(
        case["id"], household=leaking["H-1"], reason="leak_repaired", text="Plombier passé."
    )
    await cases.record_outcome(case["id"], "Joint de chasse d'eau changé", actor="operator:3")
    await cases.grant_exemption(
        case["id"], until=date(2026, 4, 30), reason="repair under way", decision_ref="proposal:7"
    )
    history = await views.case_history(case["id"])
    assert [(e.kind, e.actor) for e in history] == [
        ("opened", "system"),
        ("measure", "system"),
        ("reply", "household"),
        ("outcome", "operator:3"),
        ("exemption", "committee"),
    ]
    assert history[1].data["kind"] == "notice" and history[2].data == {"reason": "leak_repaired"}
    [row] = await views.committee_queue("lille")
    assert (row.status, row.measures, row.replies) == ("exempted", ("notice",), 1)
    # The exempted case closes when the leak ends; a leak within the exemption opens none.
    await run(date(2026, 3, 13), date(2026, 3, 23))
    await dbdata.usage(
        leaking["W-1"],
        date(2026, 4, 10),
        5,
        per_day=450,
        leak=(date(2026, 4, 10), date(2026, 4, 14), 5),
    )
    await run(date(2026, 4, 12), date(2026, 4, 14))
    assert [(c["status"], c["outcome"]) for c in await all_cases()] == [("closed", ENDED)]


async def test_the_committee_queue_carries_no_name_or_address(leaking) -> None:
    await run(date(2026, 3, 12), date(2026, 3, 12))
    queue = await views.committee_queue("lille", "water", bands={leaking["H-1"]: "comfort"})
    serialized = json.dumps([row.as_dict() for row in queue], ensure_ascii=False)
    for household in (dbdata.MARTIN, dbdata.DUPONT):
        assert household["name"] not in serialized
        assert household["address"] not in serialized
    for fragment in ("Martin", "Dupont", "Lilas"):
        assert fragment not in serialized
    [row] = [r.as_dict() for r in queue]
    assert {"name", "address", "household_id"}.isdisjoint(row)
    assert (row["household"], row["persons"], row["social"], row["band"]) == (
        "H-1",
        3,
        True,
        "comfort",
    )
    assert row["figures"]["lowest_per_hour"] == 8 and row["opened_on"] == "2026-03-12"
    assert await views.committee_queue("roubaix") == []
    # The operators see who it is.
    [op] = await views.operator_cases("lille")
    assert (op.name, op.address, op.household) == ("Famille Martin", "1 rue des Lilas", "H-1")


async def test_dashboard_counts_by_rule_and_week(leaking) -> None:
    await run(date(2026, 3, 12), date(2026, 3, 23))
    board = await views.dashboard("lille", "water", since=START, until=date(2026, 3, 31))
    assert board.opened_by_rule_and_week == {"water-night-leak": {"2026-W11": 1}}
    assert board.volume_by_rule == {"water-night-leak": 11 * 8 * 24}
    assert (board.opened, board.still_open, board.ended, board.ended_after_notice) == (1, 0, 1, 1)


async def test_messages_for_the_household_and_for_email(leaking) -> None:
    await run(date(2026, 3, 12), date(2026, 3, 12))
    [notice] = await views.household_notices(leaking["H-1"])
    assert notice.kind == "case_opened" and notice.figures["rule"] == "water-night-leak"
    assert await views.household_notices(leaking["H-2"]) == []
    pending = await views.pending_emails()
    assert [p.id for p in pending] == [notice.id]
    await views.mark_emailed([notice.id], NOW)
    assert await views.pending_emails() == []
    await views.mark_read(leaking["H-2"], [notice.id], NOW)  # not H-2's: unchanged
    assert len(await views.household_notices(leaking["H-1"], unread_only=True)) == 1
    await views.mark_read(leaking["H-1"], [notice.id], NOW)
    assert await views.household_notices(leaking["H-1"], unread_only=True) == []
    [mine] = await views.household_cases(leaking["H-1"])
    assert mine.rule == "water-night-leak"


async def test_a_household_that_moves_keeps_its_case(leaking) -> None:
    await run(date(2026, 3, 12), date(2026, 3, 12))
    await Household.update({Household.territory: "roubaix"}).where(Household.id == leaking["H-1"])
    await run(date(2026, 3, 13), date(2026, 3, 13))
    [case] = await all_cases()
    assert (case["status"], case["last_active"]) == ("open", date(2026, 3, 13))
