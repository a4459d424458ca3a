"""Proposals: filing (the right to contribute), co-signatures, the agenda and the debate."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from piccolo.query.functions.aggregate import Count

from committees import evaluation, log, notify
from committees.chain import canonical_json
from committees.charter import ProposalKind
from committees.errors import NotFound, Refused
from committees.lifecycle import AMENDABLE, COMMENTABLE, Status
from committees.service import CommitteeInfo, get_committee, membership_at
from committees.tables import Proposal, ProposalComment, Signature
from committees.txn import locked, writing
from metering.regulation import rule_file
from regie.tables import Account
from tariffs.tariff_file import parse_tariff


@dataclass(frozen=True)
class Filer:
    account: int
    name: str
    household: int | None
    territory: str | None


def content_sha256(title: str, body: str, tariff_text: str, details: str) -> str:
    """The hash of what is proposed, logged when filed: the text voted on cannot change after."""
    text = canonical_json({"title": title, "body": body, "tariff": tariff_text, "details": details})
    return hashlib.sha256(text).hexdigest()


async def filer(account: int) -> Filer:
    row = (
        await Account.select(
            Account.id, Account.name, Account.active, Account.household, Account.household.territory
        )
        .where(Account.id == account)
        .first()
    )
    if row is None or not row["active"]:
        raise NotFound("no_account", f"no active account {account}", params={"account": account})
    return Filer(row["id"], row["name"], row["household"], row["household.territory"])


def _check_content(
    committee: CommitteeInfo,
    kind: ProposalKind,
    tariff_text: str,
    details: Mapping[str, Any],
    effective_on: date | None,
) -> date | None:
    """What a proposal carries, checked when it is filed; returns the date it takes effect.

    A tariff change carries a valid tariff file for the committee's service, effective on its
    valid_from; an overconsumption rule carries a rule set of the regulation issue, effective
    on `effective_on` (or the day it is enacted); an evaluation carries its scored
    questionnaire (committees.evaluation). Other kinds carry no tariff."""
    if kind is not ProposalKind.TARIFF_CHANGE and tariff_text.strip():
        raise Refused("unexpected_tariff", "only a tariff change carries a tariff file")
    if kind is ProposalKind.OVERCONSUMPTION_RULE:
        try:
            rule_file.parse(details, committee.service)
        except rule_file.RuleSetError as exc:
            raise Refused("invalid_rules", f"the rule set has problems: {exc}") from None
    if kind is ProposalKind.EVALUATION:
        try:
            evaluation.parse(details)
        except evaluation.QuestionnaireError as exc:
            problem = f"the questionnaire has problems: {exc}"
            raise Refused("invalid_questionnaire", problem) from None
    if kind is not ProposalKind.TARIFF_CHANGE:
        return effective_on
    tariff, problems = parse_tariff(tariff_text, "proposal")
    if tariff is None:
        message = "; ".join(str(p) for p in problems) or "invalid tariff"
        raise Refused("invalid_tariff", message, problems)
    if tariff.service != committee.service:
        service = committee.service
        raise Refused(
            "wrong_service", f"this committee governs {service}", params={"service": service}
        )
    if effective_on is not None and effective_on != tariff.valid_from:
        raise Refused("bad_date", "a tariff change takes effect on its file's valid_from")
    return tariff.valid_from


async def file_proposal(
    account: int,
    committee: int,
    kind: ProposalKind | str,
    title: str,
    *,
    body: str = "",
    tariff_text: str = "",
    details: Mapping[str, Any] | None = None,
    amends: int | None = None,
    effective_on: date | None = None,
    now: datetime,
) -> int:
    """File a proposal. Any household of the committee's territory may (the booklet's *right
    to contribute*): it reaches the agenda with the charter's number of co-signatures. A
    member of the committee puts it on the agenda at once, and so does an amendment of a
    proposal that was on the agenda and not adopted, by its author's household or a member."""
    try:
        kind = ProposalKind(kind)
    except ValueError:
        message = f"unknown proposal kind {kind!r}"
        raise Refused("unknown_kind", message, params={"kind": repr(kind)}) from None
    if not title.strip():
        raise Refused("missing_title", "a proposal needs a title")
    info = await get_committee(committee)
    who = await filer(account)
    details = dict(details or {})
    try:
        details_text = canonical_json(details, "details").decode("utf-8")
    except TypeError as exc:  # floats, or values that are not JSON
        raise Refused("invalid_details", str(exc)) from None
    effective_on = _check_content(info, kind, tariff_text, details, effective_on)
    async with writing():
        member = await membership_at(committee, account, now)
        in_territory = who.household is not None and who.territory == info.territory
        if member is None and not in_territory:
            raise Refused(
                "not_of_territory",
                "only households of the territory and members of the committee may file",
            )
        agenda_by = "member" if member is not None else None
        if amends is not None:
            original = await _locked(amends)
            if original["committee"] != committee or original["kind"] != kind:
                raise Refused("bad_amendment", "an amendment is of the same committee and kind")
            if Status(original["status"]) not in AMENDABLE:
                raise Refused("not_amendable", "only a proposal not adopted can be amended")
            if agenda_by is None and who.household == original["household"]:
                agenda_by = "amendment"
        if agenda_by is None and info.charter.co_signatures == 0:
            agenda_by = "charter"
        row = Proposal(
            committee=committee,
            kind=kind.value,
            title=title,
            body=body,
            author=account,
            household=who.household if member is None else None,
            status=Status.DEBATE if agenda_by else Status.DRAFT,
            tariff_text=tariff_text,
            details=details_text,
            effective_on=effective_on,
            amends=amends,
            filed_at=now,
            agenda_at=now if agenda_by else None,
        )
        await row.save()
        payload = {
            "kind": kind.value,
            "title": title,
            "amends": amends,
            "effective_on": effective_on.isoformat() if effective_on else None,
            "content_sha256": content_sha256(title, body, tariff_text, details_text),
        }
        await log.append(log.PROPOSAL_FILED, payload, now, committee=committee, proposal=row.id)
        if agenda_by:
            await _reach_agenda(row.id, committee, now, signatures=0, by=agenda_by)
    return int(row.id)


async def _locked(proposal: int) -> dict[str, Any]:
    row = await locked(Proposal.select().where(Proposal.id == proposal))
    if not row:
        raise NotFound("no_proposal", f"no proposal {proposal}", params={"proposal": proposal})
    return row[0]


async def locked_proposal(proposal: int) -> dict[str, Any]:
    """The proposal's row, locked until the end of the transaction (PostgreSQL)."""
    return await _locked(proposal)


async def sign_proposal(account: int, proposal: int, *, now: datetime) -> int:
    """Co-sign a draft for one's household; returns the number of co-signatures."""
    who = await filer(account)
    async with writing():
        row = await _locked(proposal)
        info = await get_committee(row["committee"])
        if row["status"] != Status.DRAFT:
            raise Refused("not_collecting", "this proposal is no longer gathering signatures")
        if who.household is None or who.territory != info.territory:
            raise Refused("not_of_territory", "only households of the territory may co-sign")
        if who.household == row["household"]:
            raise Refused("author_household", "the author's household already counts as filing")
        # One co-signature per household (a unique index backs this check).
        if await Signature.exists().where(
            (Signature.proposal == proposal) & (Signature.household == who.household)
        ):
            raise Refused("already_signed", "this household has already co-signed")
        await Signature(
            proposal=proposal, household=who.household, account=account, signed_at=now
        ).save()
        count = await Signature.count().where(Signature.proposal == proposal)
        if count >= info.charter.co_signatures:
            await Proposal.update({Proposal.status: Status.DEBATE, Proposal.agenda_at: now}).where(
                Proposal.id == proposal
            )
            await _reach_agenda(proposal, row["committee"], now, signatures=count, by="signatures")
    return int(count)


async def _reach_agenda(
    proposal: int, committee: int, now: datetime, *, signatures: int, by: str
) -> None:
    payload = {"signatures": signatures, "by": by}
    await log.append(log.REACHED_AGENDA, payload, now, committee=committee, proposal=proposal)
    await notify.tell_households(proposal, notify.ON_AGENDA, now)


async def comment(account: int, proposal: int, body: str, *, now: datetime) -> int:
    """Add a comment to the debate: households of the territory and members may speak."""
    if not body.strip():
        raise Refused("empty_comment", "a comment needs some text")
    who = await filer(account)
    row = await Proposal.select(Proposal.committee, Proposal.status).where(Proposal.id == proposal)
    if not row:
        raise NotFound("no_proposal", f"no proposal {proposal}", params={"proposal": proposal})
    if row[0]["status"] not in COMMENTABLE:
        raise Refused("debate_closed", "this proposal has been decided")
    info = await get_committee(row[0]["committee"])
    if who.territory != info.territory and await membership_at(info.id, account, now) is None:
        raise Refused("not_of_territory", "only households of the territory and members comment")
    saved = ProposalComment(proposal=proposal, account=account, body=body, at=now)
    await saved.save()
    return int(saved.id)


@dataclass(frozen=True)
class ProposalView:
    id: int
    committee: int
    kind: str
    title: str
    body: str
    status: str
    author: int
    household: int | None
    tariff_text: str
    details: dict[str, Any]
    effective_on: date | None
    amends: int | None
    filed_at: datetime
    agenda_at: datetime | None
    vote_opened_at: datetime | None
    deadline: datetime | None
    closed_at: datetime | None
    enacted_at: datetime | None
    result: str | None
    rule: str
    weighted_yes: str | None
    reasons: tuple[str, ...]
    signatures: int


async def get_proposal(proposal: int) -> ProposalView:
    rows = await Proposal.select().where(Proposal.id == proposal)
    if not rows:
        raise NotFound("no_proposal", f"no proposal {proposal}", params={"proposal": proposal})
    count = await Signature.count().where(Signature.proposal == proposal)
    return _view(rows[0], count)


async def list_proposals(committee: int, status: str | None = None) -> list[ProposalView]:
    """A committee's proposals in filing order, with their co-signature counts."""
    query = Proposal.select().where(Proposal.committee == committee).order_by(Proposal.id)
    if status is not None:
        query = query.where(Proposal.status == status)
    rows = await query
    counts = {
        r["proposal"]: r["n"]
        for r in await Signature.select(Signature.proposal, Count(alias="n"))
        .where(Signature.proposal.is_in([r["id"] for r in rows] or [-1]))
        .group_by(Signature.proposal)
    }
    return [_view(r, counts.get(r["id"], 0)) for r in rows]


async def proposals_for_household(
    committees: Sequence[int], household: int, statuses: Iterable[str]
) -> list[tuple[ProposalView, bool]]:
    """The proposals of `committees` in `statuses` or filed by `household`, in filing order,
    each with its co-signature count and whether `household` co-signed it: two queries
    whatever the number of committees."""
    if not committees:
        return []
    rows = (
        await Proposal.select()
        .where(
            Proposal.committee.is_in(list(committees))
            & (Proposal.status.is_in(list(statuses)) | (Proposal.household == household))
        )
        .order_by(Proposal.id)
    )
    if not rows:
        return []
    ids = [int(r["id"]) for r in rows]
    marks = ", ".join("{}" for _ in ids)
    counts = {
        int(r["proposal"]): (int(r["n"]), bool(r["mine"]))
        for r in await Signature.raw(
            "SELECT proposal, COUNT(*) AS n,"
            " SUM(CASE WHEN household = {} THEN 1 ELSE 0 END) AS mine"
            f" FROM signature WHERE proposal IN ({marks}) GROUP BY proposal",
            household,
            *ids,
        )
    }
    return [
        (_view(r, counts.get(r["id"], (0, False))[0]), counts.get(r["id"], (0, False))[1])
        for r in rows
    ]


async def comments(proposal: int) -> list[tuple[str, str, datetime]]:
    rows = (
        await ProposalComment.select(
            ProposalComment.account.name, ProposalComment.body, ProposalComment.at
        )
        .where(ProposalComment.proposal == proposal)
        .order_by(ProposalComment.id)
    )
    return [(r["account.name"], r["body"], r["at"]) for r in rows]


def _view(r: dict[str, Any], signatures: int) -> ProposalView:
    return ProposalView(
        id=r["id"],
        committee=r["committee"],
        kind=r["kind"],
        title=r["title"],
        body=r["body"],
        status=r["status"],
        author=r["author"],
        household=r["household"],
        tariff_text=r["tariff_text"],
        details=json.loads(r["details"]),
        effective_on=r["effective_on"],
        amends=r["amends"],
        filed_at=r["filed_at"],
        agenda_at=r["agenda_at"],
        vote_opened_at=r["vote_opened_at"],
        deadline=r["deadline"],
        closed_at=r["closed_at"],
        enacted_at=r["enacted_at"],
        result=r["result"],
        rule=r["rule"],
        weighted_yes=r["weighted_yes"],
        reasons=tuple(json.loads(r["reasons"])),
        signatures=signatures,
    )
