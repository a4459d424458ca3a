"""The decision log on the real database: appends in order, and `regie log verify` catches
every edit, deletion or reordering of a vote or log row made directly in SQL."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass
from datetime import timedelta

import pytest
from click.testing import CliRunner

from committees import log, proposals, votes
from committees.chain import GENESIS
from committees.enact import enact_decision
from committees.tables import LogEntry, Vote
from committees.verify import verify_log
from regie.cli import main
from tests.committees.test_service import T0, World, make_world, on_agenda, tariff_text

pytestmark = pytest.mark.db

OPEN = T0 + timedelta(days=1)
DEADLINE = OPEN + timedelta(days=7)


@dataclass
class Decided:
    world: World
    adopted: int  # a tariff change, adopted and enacted
    rejected: int  # a free motion, rejected
    version: int


async def decided(secrecy: str = "secret") -> Decided:
    world = await make_world(secrecy=secrecy)
    adopted = await on_agenda(world)
    rejected = await proposals.file_proposal(
        world.members["public"][0], world.committee, "free_motion", "Fontaines", now=T0
    )
    for p in (adopted, rejected):
        await votes.open_vote(p, now=OPEN)
    for college, members in world.members.items():
        for i, member in enumerate(members):
            await votes.cast_vote(member, adopted, "no" if i == 0 else "yes", now=OPEN)
            if (college, i) != ("users", 3):  # one member does not vote on the motion
                await votes.cast_vote(member, rejected, "no", now=OPEN + timedelta(hours=1))
    await votes.cast_vote(world.members["users"][0], adopted, "abstain", now=OPEN)  # changed
    await votes.close_due_votes(DEADLINE)
    version = await enact_decision(adopted, now=DEADLINE)
    assert version is not None
    return Decided(world, adopted, rejected, version)


async def cli(*args: str) -> tuple[int, str]:
    """`regie …` through click's runner, in a thread (the command runs its own event loop)."""
    result = await asyncio.to_thread(CliRunner().invoke, main, list(args))
    return result.exit_code, result.output


async def sql(statements: str) -> None:
    for statement in statements.split(";"):
        await LogEntry.raw(statement)


async def test_entries_are_chained_in_order(db: str) -> None:
    assert await log.head() == (0, GENESIS)
    assert (await verify_log()).ok
    d = await decided()
    entries = await log.entries()
    assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
    assert entries[0].prev_hash == GENESIS
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(entries))
    kinds = [e.kind for e in entries]
    for kind in (
        "committee_created",
        "member_joined",
        "proposal_filed",
        "reached_agenda",
        "vote_opened",
        "vote_cast",
        "vote_closed",
        "tariff_version_created",
        "decision_enacted",
    ):
        assert kind in kinds
    assert await log.head() == (entries[-1].seq, entries[-1].hash)
    mine = await log.entries(proposal=d.adopted)
    assert {e.proposal for e in mine} == {d.adopted}
    report = await verify_log()
    assert report.ok and report.entries == len(entries) and report.head == entries[-1].hash
    code, out = await cli("log", "verify")
    assert code == 0 and out.startswith(f"ok: {len(entries)} entries, head {entries[-1].hash}")
    code, out = await cli("log", "head")
    assert out.split() == [str(entries[-1].seq), entries[-1].hash]


async def _first_vote(proposal: int, choice: str = "yes") -> int:
    row = (
        await Vote.select(Vote.id)
        .where((Vote.proposal == proposal) & (Vote.choice == choice))
        .order_by(Vote.id)
        .first()
    )
    return int(row["id"])


# Each case: what is done in SQL, and the kind of the first entry `verify` must report.
TAMPERING = {
    "vote edited": ("UPDATE vote SET choice = 'no' WHERE id = {yes}", "vote_cast"),
    "vote deleted": ("DELETE FROM vote WHERE id = {yes}", "vote_cast"),
    "vote moved to another college": (
        "UPDATE vote SET college = 'public' WHERE id = {users_yes}",
        "vote_cast",
    ),
    "vote inserted": (
        "INSERT INTO vote (proposal, account, college, choice, cast_at) "
        "SELECT proposal, account, college, 'yes', '2026-03-04 10:00:00+00:00' FROM elector "
        "WHERE proposal = {rejected} AND college = 'users' AND account NOT IN "
        "(SELECT account FROM vote WHERE proposal = {rejected}) LIMIT 1",
        "vote_closed",
    ),
    "vote history edited": (
        "UPDATE vote_history SET choice = 'no' WHERE ballot = {yes}",
        "vote_cast",
    ),
    "vote history reordered": (
        "UPDATE vote_history SET ballot = CASE WHEN ballot = {yes} THEN {no} ELSE {yes} END "
        "WHERE ballot IN ({yes}, {no})",
        "vote_cast",
    ),
    "vote history deleted": ("DELETE FROM vote_history WHERE ballot = {yes}", "vote_cast"),
    "tally edited": (
        "UPDATE college_tally SET yes = yes + 1 WHERE proposal = {adopted}",
        "vote_closed",
    ),
    "outcome edited": (
        "UPDATE proposal SET result = 'adopted', status = 'adopted' WHERE id = {rejected}",
        "vote_closed",
    ),
    "electorate edited": (
        "DELETE FROM elector WHERE proposal = {rejected} AND account NOT IN "
        "(SELECT account FROM vote WHERE proposal = {rejected})",
        "vote_opened",
    ),
    "proposal text edited": (
        "UPDATE proposal SET tariff_text = replace(tariff_text, '0.60', '0.06') "
        "WHERE id = {adopted}",
        "proposal_filed",
    ),
    "charter edited": (
        "UPDATE committee SET charter_text = 'co_signatures = 0'",
        "committee_created",
    ),
    "log payload edited": (
        "UPDATE log_entry SET payload = replace(payload, '\"adopted\"', '\"rejected\"') "
        "WHERE kind = 'vote_closed'",
        "vote_closed",
    ),
    "log entry deleted": ("DELETE FROM log_entry WHERE seq = 20", "*"),
    "last log entries deleted": (
        "DELETE FROM log_entry WHERE seq > (SELECT MAX(seq) - 2 FROM log_entry)",
        "head",
    ),
    "log entries reordered": (
        "UPDATE log_entry SET seq = -1 WHERE seq = 20; "
        "UPDATE log_entry SET seq = 20 WHERE seq = 21; "
        "UPDATE log_entry SET seq = 21 WHERE seq = -1",
        "*",
    ),
    "log time edited": ("UPDATE log_entry SET at = '2026-01-01T00:00:00+00:00' WHERE seq = 3", "*"),
}


@pytest.mark.parametrize("case", sorted(TAMPERING))
async def test_tampering_in_sql_is_caught_by_regie_log_verify(db: str, case: str) -> None:
    d = await decided()
    assert (await verify_log()).ok
    users_yes = (
        await Vote.select(Vote.id)
        .where((Vote.proposal == d.adopted) & (Vote.college == "users") & (Vote.choice == "yes"))
        .first()
    )
    statement, kind = TAMPERING[case]
    await sql(
        statement.format(
            yes=await _first_vote(d.adopted),
            no=await _first_vote(d.adopted, "no"),
            users_yes=users_yes["id"],
            adopted=d.adopted,
            rejected=d.rejected,
        )
    )
    report = await verify_log()
    assert not report.ok, case
    first = report.first
    assert first is not None
    if kind != "*":
        assert first.kind == kind, (case, str(first))
    if case == "log entry deleted":
        assert first.seq == 21, str(first)  # the entry whose link now points at nothing
    if case == "log entries reordered":
        assert first.seq == 20, str(first)
    code, out = await cli("log", "verify")
    assert code == 1 and out.startswith("FAILED "), out
    assert str(first) in out


async def test_a_named_vote_edited_in_sql_is_caught(db: str) -> None:
    d = await decided(secrecy="named")
    assert (await verify_log()).ok
    ballot = await _first_vote(d.adopted)
    await sql(f"UPDATE vote SET choice = 'no' WHERE id = {ballot}")
    await sql(f"UPDATE vote_history SET choice = 'no' WHERE ballot = {ballot}")
    first = (await verify_log()).first
    assert first is not None and first.kind == "vote_cast" and "named vote" in first.message


async def test_a_published_head_catches_a_rewritten_end(db: str) -> None:
    await decided()
    seq, published = await log.head()
    # Delete the last entry and the head row together: the chain still holds on its own…
    await sql(f"DELETE FROM log_entry WHERE seq = {seq}")
    await sql("DELETE FROM log_head")
    assert (await verify_log()).ok
    # …but not against the head copied into the minutes.
    report = await verify_log(published)
    assert report.first is not None and report.first.kind == "head"
    code, out = await cli("log", "verify", "--head", published)
    assert code == 1 and "entries were deleted from its end" in out


async def test_appending_after_a_lost_head_row_continues_the_chain(db: str) -> None:
    world = await make_world()
    await sql("DELETE FROM log_head")
    await on_agenda(world)
    assert (await verify_log()).ok


# -- tariff versions come from adopted decisions only ----------------------------------------


async def test_a_tariff_version_needs_an_adopted_decision_that_recomputes(db: str) -> None:
    d = await decided()
    # Enacting again is idempotent: the same version, no new entry.
    before = await LogEntry.count()
    assert await enact_decision(d.adopted, now=DEADLINE + timedelta(minutes=1)) == d.version
    assert await LogEntry.count() == before
    assert (await verify_log()).ok
    # A decision version slipped in by hand, for the rejected motion: caught.
    await sql(
        "INSERT INTO tariff_version (service, territory, valid_from, name, unit, period, "
        "currency, toml, origin, decision_ref, created_at) SELECT service, territory, "
        "'2027-01-01', name, unit, period, currency, toml, 'decision', "
        f"'proposal:{d.rejected}', created_at FROM tariff_version WHERE id = {d.version}"
    )
    first = (await verify_log()).first
    assert (
        first is not None and first.kind == "tariff_version" and "no logged adopted" in str(first)
    )


async def test_a_version_whose_decision_no_longer_recomputes_is_caught(db: str) -> None:
    d = await decided()
    # Turn enough yes votes into no that the stored votes would have rejected the change.
    await sql(f"UPDATE vote SET choice = 'no' WHERE proposal = {d.adopted}")
    report = await verify_log()
    kinds = {p.kind for p in report.problems}
    assert "vote_closed" in kinds and "vote_cast" in kinds
    closed = next(p for p in report.problems if p.kind == "vote_closed")
    assert "recomputed from the stored votes (rejected" in closed.message


async def test_a_second_setup_version_is_caught(db: str) -> None:
    from tariffs.service import create_version

    world = await make_world()
    await create_version(tariff_text(valid_from="2026-01-01"), "dunkerque", origin="setup")
    assert (await verify_log()).ok
    await sql(
        "INSERT INTO tariff_version (service, territory, valid_from, name, unit, period, "
        "currency, toml, origin, created_at) SELECT service, territory, '2026-09-01', name, "
        "unit, period, currency, toml, 'setup', created_at FROM tariff_version"
    )
    first = (await verify_log()).first
    assert first is not None and first.kind == "tariff_version", world
