"""Votes on the real database: the frozen electorate, one current vote, refusals, closing."""

from __future__ import annotations

import asyncio
import itertools
import json
import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from committees import service, votes
from committees.errors import NotFound, Refused, VoteRefused
from committees.lifecycle import Status
from committees.proposals import get_proposal
from committees.rules import Result
from committees.tables import CollegeTally, Elector, LogEntry, Vote, VoteHistory
from committees.txn import is_postgres
from regie.core.database import engine
from tests.committees.test_service import T0, World, account, make_world, on_agenda

pytestmark = pytest.mark.db


@pytest.fixture
async def pool(db: str) -> AsyncIterator[None]:
    """A connection pool on PostgreSQL, as the web app runs (regie.app's lifespan)."""
    if not is_postgres():
        yield
        return
    await engine().start_connection_pool(min_size=2, max_size=20)  # type: ignore[attr-defined]
    try:
        yield
    finally:
        await engine().close_connection_pool()  # type: ignore[attr-defined]


async def voting(world: World) -> int:
    p = await on_agenda(world)
    await votes.open_vote(p, now=T0 + timedelta(days=1))
    return p


OPEN = T0 + timedelta(days=1)
DEADLINE = OPEN + timedelta(days=7)


async def test_opening_freezes_the_electorate_and_sets_the_deadline(db: str) -> None:
    world = await make_world()
    p = await on_agenda(world)
    with pytest.raises(NotFound) as missing:
        await votes.open_vote(p + 1000, now=OPEN)
    assert missing.value.reason == "no_proposal"
    assert await votes.open_vote(p, now=OPEN) == DEADLINE  # the charter's 7 days
    view = await get_proposal(p)
    assert view.status == Status.VOTING and view.deadline == DEADLINE
    assert await Elector.count().where(Elector.proposal == p) == 10
    with pytest.raises(Refused) as twice:
        await votes.open_vote(p, now=OPEN)
    assert twice.value.reason == "not_on_agenda"


async def test_a_vote_changes_until_the_deadline_and_keeps_its_history(db: str) -> None:
    world = await make_world()
    p = await voting(world)
    member = world.members["users"][0]
    await votes.cast_vote(member, p, "yes", now=OPEN + timedelta(hours=1))
    await votes.cast_vote(member, p, "yes", now=OPEN + timedelta(hours=2))  # same: no change
    await votes.cast_vote(member, p, "no", now=OPEN + timedelta(hours=3))
    await votes.cast_vote(member, p, "abstain", now=DEADLINE - timedelta(seconds=1))
    current = await Vote.select(Vote.choice, Vote.college).where(Vote.proposal == p)
    assert current == [{"choice": "abstain", "college": "users"}]
    history = await VoteHistory.select(VoteHistory.choice).where(VoteHistory.proposal == p)
    assert [h["choice"] for h in history] == ["yes", "no", "abstain"]
    logged = await LogEntry.select(LogEntry.payload).where(LogEntry.kind == "vote_cast")
    assert [json.loads(r["payload"])["changed"] for r in logged] == [False, True, True]


@pytest.mark.parametrize(
    ("who", "when", "reason"),
    [
        ("users", DEADLINE, "deadline_passed"),
        ("users", DEADLINE + timedelta(days=3), "deadline_passed"),
        ("stranger", OPEN, "not_a_member"),
        ("household", OPEN, "not_a_member"),
        ("newcomer", OPEN + timedelta(hours=2), "joined_after_opening"),
        ("former", OPEN + timedelta(hours=2), "not_a_member"),
    ],
)
async def test_votes_that_cannot_count_are_refused_with_their_reason(
    db: str, who: str, when: object, reason: str
) -> None:
    world = await make_world()
    # A member who left before the vote opened, and one who joins once it is open.
    former = world.members["operators"][2]
    await service.end_membership(
        world.committee, former, ends_at=OPEN - timedelta(hours=1), now=OPEN
    )
    newcomer = await account("nouvelle@example.org")
    await service.add_member(
        world.committee, newcomer, "users", starts_at=OPEN + timedelta(hours=1), now=OPEN
    )
    p = await voting(world)
    voter = {
        "users": world.members["users"][0],
        "stranger": world.stranger,
        "household": world.households[0],
        "newcomer": newcomer,
        "former": former,
    }[who]
    with pytest.raises(VoteRefused) as refused:
        await votes.cast_vote(voter, p, "yes", now=when)  # type: ignore[arg-type]
    assert refused.value.reason == reason
    assert refused.value.message
    assert await Vote.count() == 0


async def test_no_vote_before_opening_and_only_three_choices(db: str) -> None:
    world = await make_world()
    p = await on_agenda(world)
    with pytest.raises(VoteRefused) as closed:
        await votes.cast_vote(world.members["users"][0], p, "yes", now=OPEN)
    assert closed.value.reason == "not_open"
    await votes.open_vote(p, now=OPEN)
    with pytest.raises(VoteRefused) as invalid:
        await votes.cast_vote(world.members["users"][0], p, "maybe", now=OPEN)
    assert invalid.value.reason == "invalid_choice"


async def test_100_concurrent_votes_of_one_member_leave_one_current_vote(
    db: str, pool: None
) -> None:
    world = await make_world()
    p = await voting(world)
    member = world.members["public"][1]
    rng = random.Random(4)
    choices = [rng.choice(["yes", "no", "abstain"]) for _ in range(100)]
    await asyncio.gather(
        *(
            votes.cast_vote(member, p, c, now=OPEN + timedelta(seconds=i))
            for i, c in enumerate(choices)
        )
    )
    current = await Vote.select().where((Vote.proposal == p) & (Vote.account == member))
    assert len(current) == 1
    history = (
        await VoteHistory.select(VoteHistory.choice, VoteHistory.ballot)
        .where(VoteHistory.proposal == p)
        .order_by(VoteHistory.id)
    )
    # Every change is in the history, in the order applied; the last one is the current vote.
    assert history[-1]["choice"] == current[0]["choice"]
    assert {h["ballot"] for h in history} == {current[0]["id"]}
    assert all(a["choice"] != b["choice"] for a, b in itertools.pairwise(history))
    assert await LogEntry.count().where(LogEntry.kind == "vote_cast") == len(history)
    seqs = [r["seq"] for r in await LogEntry.select(LogEntry.seq).order_by(LogEntry.seq)]
    assert seqs == list(range(1, len(seqs) + 1))


async def test_the_database_refuses_a_second_current_vote(db: str) -> None:
    world = await make_world()
    p = await voting(world)
    member = world.members["public"][0]
    await votes.cast_vote(member, p, "yes", now=OPEN)
    with pytest.raises(Exception, match=r"(?i)unique"):
        await Vote(proposal=p, account=member, college="public", choice="no", cast_at=OPEN).save()


async def test_closing_decides_from_the_stored_votes(db: str) -> None:
    world = await make_world()
    p = await voting(world)
    ballots = {
        "public": ["yes", "yes", "no"],
        "operators": ["yes", "no"],
        "users": ["no", "no", "yes"],
    }
    for college, choices in ballots.items():
        for member, choice in zip(world.members[college], choices, strict=False):
            await votes.cast_vote(member, p, choice, now=OPEN + timedelta(hours=1))
    with pytest.raises(Refused) as early:
        await votes.close_vote(p, now=DEADLINE - timedelta(seconds=1))
    assert early.value.reason == "before_deadline"
    assert await votes.close_due_votes(DEADLINE - timedelta(seconds=1)) == []
    assert await votes.close_due_votes(DEADLINE) == [p]
    view = await get_proposal(p)
    # Weighted yes: (2/3 + 1/2 + 1/3) / 3 = 1/2, not more than 1/2: rejected (a tie).
    assert view.status == Result.REJECTED and view.weighted_yes == "1/2"
    assert view.rule == "weighted_majority+users_veto" and view.closed_at == DEADLINE
    assert any("not more than 1/2" in r for r in view.reasons)
    rows = (
        await CollegeTally.select(
            CollegeTally.college,
            CollegeTally.members,
            CollegeTally.yes,
            CollegeTally.no,
            CollegeTally.abstain,
        )
        .where(CollegeTally.proposal == p)
        .order_by(CollegeTally.id)
    )
    assert rows == [
        {"college": "public", "members": 3, "yes": 2, "no": 1, "abstain": 0},
        {"college": "operators", "members": 3, "yes": 1, "no": 1, "abstain": 0},
        {"college": "users", "members": 4, "yes": 1, "no": 2, "abstain": 0},
    ]
    closed = await LogEntry.select(LogEntry.payload).where(LogEntry.kind == "vote_closed")
    payload = json.loads(closed[0]["payload"])
    assert payload["result"] == "rejected" and payload["colleges"][2]["no"] == 2
    with pytest.raises(VoteRefused):
        await votes.cast_vote(world.members["users"][3], p, "yes", now=DEADLINE)
    assert await votes.close_due_votes(DEADLINE + timedelta(days=1)) == []  # idempotent


async def test_the_users_veto_a_tariff_change(db: str) -> None:
    world = await make_world()
    p = await voting(world)
    for college, choice in (("public", "yes"), ("operators", "yes"), ("users", "no")):
        for member in world.members[college]:
            await votes.cast_vote(member, p, choice, now=OPEN)
    outcome = await votes.close_vote(p, now=DEADLINE)
    assert outcome.result is Result.VETOED
    assert (await get_proposal(p)).status == Status.VETOED


async def test_secret_ballots_log_a_commitment_named_ones_the_voter(db: str) -> None:
    for secrecy in ("secret", "named"):
        from regie.core.database import truncate_all

        await truncate_all()
        world = await make_world(secrecy=secrecy)
        p = await voting(world)
        await votes.cast_vote(world.members["users"][0], p, "no", now=OPEN)
        row = await LogEntry.select(LogEntry.payload).where(LogEntry.kind == "vote_cast")
        payload = json.loads(row[0]["payload"])
        if secrecy == "secret":
            assert "choice" not in payload and "voter" not in payload
            assert len(payload["commitment"]) == 64
        else:
            assert payload["voter"] == "Users0" and payload["choice"] == "no"


async def test_the_scheduled_job_closes_votes_whose_deadline_passed_during_downtime(
    db: str,
) -> None:
    from regie.jobs.committees import JOBS, deadlines

    job = next(j for j in JOBS if j.id == "committees.deadlines")
    assert job.run_at_start and job.trigger == "interval" and job.trigger_args == {"minutes": 1}
    world = await make_world()
    p = await on_agenda(world)
    real_now = datetime.now(UTC)  # the job reads the real clock
    await votes.open_vote(p, now=real_now - timedelta(days=8), deadline=real_now - timedelta(1))
    await deadlines()
    view = await get_proposal(p)
    assert view.status == Status.NO_QUORUM and view.closed_at is not None
