"""Votes: opening with a frozen electorate, casting and changing, closing with rules.decide."""

from __future__ import annotations

import hashlib
import json
import secrets
from collections import Counter
from datetime import datetime, timedelta
from typing import Any, NoReturn

from committees import log, notify
from committees.chain import canonical_json
from committees.charter import Charter, Secrecy
from committees.errors import NotFound, Refused, VoteRefused
from committees.lifecycle import Choice, Status
from committees.proposals import locked_proposal
from committees.rules import Count, Outcome, decide
from committees.service import get_committee, members
from committees.tables import CollegeTally, Elector, Membership, Proposal, Vote, VoteHistory
from committees.txn import writing
from regie.tables import Account


def ballot_commitment(proposal: int, ballot: int, college: str, choice: str, nonce: str) -> str:
    """What the log shows of a secret ballot: a hash that hides the choice (the nonce is kept
    private) and that `regie log verify` recomputes from the stored vote."""
    body = {"proposal": proposal, "ballot": ballot, "college": college, "choice": choice}
    return hashlib.sha256(canonical_json({**body, "nonce": nonce})).hexdigest()


def outcome_payload(outcome: Outcome) -> dict[str, Any]:
    """An outcome as logged and as recomputed by `regie log verify`: equal or tampered."""
    return {
        "result": outcome.result.value,
        "kind": outcome.kind.value,
        "rule": outcome.rule,
        "weighted_yes": outcome.weighted_yes_text,
        "reasons": list(outcome.reasons),
        "colleges": [
            {
                "college": c.college,
                "members": c.members,
                "yes": c.yes,
                "no": c.no,
                "abstain": c.abstain,
                "weight": str(c.weight),
                "quorum": str(c.quorum),
            }
            for c in outcome.colleges
        ],
    }


async def open_vote(
    proposal: int, *, now: datetime, deadline: datetime | None = None, by: int | None = None
) -> datetime:
    """Open the vote on a proposal of the agenda; only the members of this moment may vote
    (issue 4): their list is frozen now, with their colleges. `by` is the member who opened
    it from the app (logged; None from the command line). Returns the deadline."""
    async with writing():
        row = await locked_proposal(proposal)
        if row["status"] != Status.DEBATE:
            raise Refused("not_on_agenda", "only a proposal on the agenda can be put to the vote")
        info = await get_committee(row["committee"])
        until = deadline or now + timedelta(days=info.charter.vote_duration_days)
        if until <= now:
            raise Refused("bad_deadline", "the deadline must be later than the opening")
        electorate = await members(info.id, now)
        if by is not None and by not in {m.account for m in electorate}:
            raise Refused("not_a_member", "only a member of the committee opens its votes")
        if electorate:
            await Elector.insert(
                *(
                    Elector(proposal=proposal, account=m.account, college=m.college)
                    for m in electorate
                )
            )
        await Proposal.update(
            {
                Proposal.status: Status.VOTING,
                Proposal.vote_opened_at: now,
                Proposal.deadline: until,
            }
        ).where(Proposal.id == proposal)
        per_college = Counter(m.college for m in electorate)
        payload: dict[str, Any] = {
            "deadline": log.iso(until),
            "members": {c: per_college.get(c, 0) for c in info.charter.college_names},
        }
        if by is not None:
            payload["opened_by"] = by
        await log.append(log.VOTE_OPENED, payload, now, committee=info.id, proposal=proposal)
        await notify.tell_electors(proposal, notify.VOTE_OPENED, now)
    return until


async def cast_vote(account: int, proposal: int, choice: Choice | str, *, now: datetime) -> None:
    """Cast or change a vote until the deadline; the history keeps every earlier choice.
    Raises VoteRefused with the reason when the vote cannot be counted."""
    try:
        choice = Choice(choice)
    except ValueError:
        raise VoteRefused(
            "invalid_choice", f"a vote is yes, no or abstain, not {choice!r}"
        ) from None
    async with writing():
        # The proposal's row is locked first: votes and the closing of this proposal take turns.
        row = await locked_proposal(proposal)
        if row["status"] != Status.VOTING:
            raise VoteRefused("not_open", "this proposal is not open for voting")
        if now >= row["deadline"]:
            raise VoteRefused("deadline_passed", "the vote closed at its deadline")
        elector = (
            await Elector.select(Elector.college)
            .where((Elector.proposal == proposal) & (Elector.account == account))
            .first()
        )
        if elector is None:
            await _refuse_non_elector(row, account)
        college = elector["college"]
        current = (
            await Vote.select(Vote.id, Vote.choice)
            .where((Vote.proposal == proposal) & (Vote.account == account))
            .first()
        )
        if current is not None and current["choice"] == choice:
            return  # the same vote again changes nothing
        if current is None:
            vote = Vote(
                proposal=proposal, account=account, college=college, choice=choice, cast_at=now
            )
            await vote.save()  # the unique index (proposal, account) refuses a second one
            ballot = int(vote.id)
        else:
            ballot = int(current["id"])
            await Vote.update({Vote.choice: choice, Vote.cast_at: now}).where(Vote.id == ballot)
        nonce = secrets.token_hex(16)
        await VoteHistory(
            proposal=proposal,
            account=account,
            ballot=ballot,
            college=college,
            choice=choice,
            cast_at=now,
            nonce=nonce,
        ).save()
        info = await get_committee(row["committee"])
        payload = await _cast_payload(
            info.charter,
            proposal,
            account,
            ballot,
            college,
            choice,
            nonce,
            changed=current is not None,
        )
        await log.append(log.VOTE_CAST, payload, now, committee=info.id, proposal=proposal)


async def _cast_payload(
    charter: Charter,
    proposal: int,
    account: int,
    ballot: int,
    college: str,
    choice: str,
    nonce: str,
    *,
    changed: bool,
) -> dict[str, Any]:
    payload: dict[str, Any] = {"ballot": ballot, "college": college, "changed": changed}
    if charter.secrecy is Secrecy.NAMED:
        # A named vote is published with the voter's name (charter, `secrecy = "named"`).
        name = await Account.select(Account.name).where(Account.id == account).first()
        payload.update(account=account, voter=name["name"] if name else "", choice=choice)
    else:
        payload["commitment"] = ballot_commitment(proposal, ballot, college, choice, nonce)
    return payload


async def _refuse_non_elector(row: dict[str, Any], account: int) -> NoReturn:
    later = await Membership.exists().where(
        (Membership.committee == row["committee"])
        & (Membership.account == account)
        & (Membership.starts_at > row["vote_opened_at"])
    )
    if later:
        # Issue 4: only members at the moment a vote opens may vote on it.
        raise VoteRefused("joined_after_opening", "you joined the committee after this vote opened")
    raise VoteRefused(
        "not_a_member", "you were not a member of the committee when this vote opened"
    )


async def stored_tally(proposal: int) -> tuple[dict[str, Count], dict[str, int]]:
    """Counts per college from the stored current votes, and the electorate at opening."""
    counts: dict[str, Counter[str]] = {}
    for vote in await Vote.select(Vote.college, Vote.choice).where(Vote.proposal == proposal):
        counts.setdefault(vote["college"], Counter())[vote["choice"]] += 1
    tally = {
        college: Count(yes=c[Choice.YES], no=c[Choice.NO], abstain=c[Choice.ABSTAIN])
        for college, c in counts.items()
    }
    electorate = Counter(
        r["college"]
        for r in await Elector.select(Elector.college).where(Elector.proposal == proposal)
    )
    return tally, dict(electorate)


async def close_vote(proposal: int, *, now: datetime) -> Outcome:
    """Close a vote whose deadline has passed: decide it from the stored votes and the frozen
    electorate, store the counts per college, the rule and the reasons, and log the tally."""
    async with writing():
        row = await locked_proposal(proposal)
        if row["status"] != Status.VOTING:
            raise Refused("not_voting", "this proposal has no open vote")
        if now < row["deadline"]:
            raise Refused("before_deadline", "the vote stays open until its deadline")
        info = await get_committee(row["committee"])
        tally, electorate = await stored_tally(proposal)
        outcome = decide(info.charter, row["kind"], tally, electorate)
        await CollegeTally.insert(
            *(
                CollegeTally(
                    proposal=proposal,
                    college=c.college,
                    members=c.members,
                    yes=c.yes,
                    no=c.no,
                    abstain=c.abstain,
                )
                for c in outcome.colleges
            )
        )
        await Proposal.update(
            {
                Proposal.status: outcome.result.value,
                Proposal.closed_at: now,
                Proposal.result: outcome.result.value,
                Proposal.rule: outcome.rule,
                Proposal.weighted_yes: outcome.weighted_yes_text,
                Proposal.reasons: json.dumps(list(outcome.reasons), ensure_ascii=False),
            }
        ).where(Proposal.id == proposal)
        payload = {"deadline": log.iso(row["deadline"]), **outcome_payload(outcome)}
        await log.append(log.VOTE_CLOSED, payload, now, committee=info.id, proposal=proposal)
        await notify.tell_households(proposal, notify.DECIDED, now)
    return outcome


async def close_due_votes(now: datetime) -> list[int]:
    """Close every vote whose deadline has passed (the scheduler's catch-up after downtime)."""
    due = (
        await Proposal.select(Proposal.id)
        .where((Proposal.status == Status.VOTING) & (Proposal.deadline <= now))
        .order_by(Proposal.deadline)
    )
    closed = []
    for row in due:
        try:
            await close_vote(row["id"], now=now)
        except Refused:
            continue  # closed meanwhile by another process
        closed.append(row["id"])
    return closed


async def current_votes(proposal: int) -> list[dict[str, Any]]:
    """The current votes of a proposal (for the committee's and, if named, the public page)."""
    if not await Proposal.exists().where(Proposal.id == proposal):
        raise NotFound("no_proposal", f"no proposal {proposal}", params={"proposal": proposal})
    return list(
        await Vote.select(Vote.account, Vote.account.name, Vote.college, Vote.choice, Vote.cast_at)
        .where(Vote.proposal == proposal)
        .order_by(Vote.college)
    )


async def college_tallies(proposal: int) -> list[dict[str, Any]]:
    return list(
        await CollegeTally.select()
        .where(CollegeTally.proposal == proposal)
        .order_by(CollegeTally.id)
    )
