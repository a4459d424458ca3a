"""Enactment: adopted tariff changes and overconsumption rules take effect; the deadline run."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from committees import log, notify
from committees.charter import ProposalKind
from committees.errors import Refused
from committees.lifecycle import Status
from committees.proposals import locked_proposal
from committees.service import CommitteeInfo, get_committee
from committees.tables import Proposal
from committees.txn import writing
from committees.votes import close_due_votes

logger = logging.getLogger("regie.committees")

# Kinds whose adoption changes something the régie applies by itself. The other kinds
# (evaluations, work organisation, access, free motions) stay "adopted": the decision is
# public and logged, and people carry it out.
ENACTABLE = frozenset({ProposalKind.TARIFF_CHANGE, ProposalKind.OVERCONSUMPTION_RULE})


def decision_ref(proposal: int) -> str:
    """The reference a tariff version or rule set carries back to the decision that made it."""
    return f"proposal:{proposal}"


def tariff_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


async def enact_decision(proposal: int, *, now: datetime) -> int | None:
    """Enact an adopted proposal: a tariff change creates its tariff version effective on the
    proposal's date (issue 4: operators draft, committees decide); an overconsumption rule
    becomes the territory's rule set. Idempotent: enacting again returns what the first time
    made, and the change is made in one transaction with its log entries. Returns the id of
    the tariff version or rule set version, or None for a kind with nothing to enact."""
    async with writing():
        row = await locked_proposal(proposal)
        status = row["status"]
        if status not in (Status.ADOPTED, Status.ENACTED):
            raise Refused("not_adopted", "only an adopted proposal is enacted")
        if ProposalKind(row["kind"]) not in ENACTABLE:
            return None
        info = await get_committee(row["committee"])
        made, kind, payload = await _apply(row, info, now)
        if status == Status.ENACTED:
            return made  # already enacted: the creators returned what they made then
        await log.append(kind, payload, now, committee=info.id, proposal=proposal)
        await Proposal.update({Proposal.status: Status.ENACTED, Proposal.enacted_at: now}).where(
            Proposal.id == proposal
        )
        enacted = {"effective_on": payload["effective_on"], "enacted_as": kind, "id": made}
        await log.append(log.DECISION_ENACTED, enacted, now, committee=info.id, proposal=proposal)
    return made


async def _apply(
    row: dict[str, Any], info: CommitteeInfo, now: datetime
) -> tuple[int, str, dict[str, Any]]:
    ref = decision_ref(row["id"])
    if row["kind"] == ProposalKind.TARIFF_CHANGE:
        from tariffs.service import create_version

        version = await create_version(
            row["tariff_text"], info.territory, origin="decision", decision_ref=ref, now=now
        )
        return (
            version.id,
            log.TARIFF_VERSION_CREATED,
            {
                "version": version.id,
                "decision_ref": ref,
                "service": version.service,
                "territory": version.territory,
                "effective_on": version.valid_from.isoformat(),
                "tariff_sha256": tariff_sha256(version.toml),
            },
        )
    from metering.regulation.service import adopt_rule_set

    adopted = await adopt_rule_set(
        info.territory,
        info.service,
        json.loads(row["details"]),
        decision_ref=ref,
        effective_on=row["effective_on"],
        now=now,
    )
    return (
        adopted.id,
        log.RULE_SET_ADOPTED,
        {
            "rule_set": adopted.id,
            "version": adopted.version,
            "decision_ref": ref,
            "service": adopted.service,
            "territory": adopted.territory,
            "effective_on": adopted.effective_on.isoformat(),
            "rules_sha256": tariff_sha256(row["details"]),
        },
    )


async def enact_adopted(now: datetime) -> list[int]:
    """Enact every adopted proposal of an enactable kind (catch-up after downtime too)."""
    rows = (
        await Proposal.select(Proposal.id)
        .where(
            (Proposal.status == Status.ADOPTED) & Proposal.kind.is_in([k.value for k in ENACTABLE])
        )
        .order_by(Proposal.closed_at)
    )
    done = []
    for row in rows:
        try:
            await enact_decision(row["id"], now=now)
        except Exception:
            # One decision that cannot take effect (e.g. its date precedes bills already
            # issued) must not block the others; it stays "adopted" and is retried.
            logger.exception("proposal %s could not be enacted", row["id"])
            continue
        done.append(row["id"])
    return done


@dataclass(frozen=True)
class DeadlineRun:
    closed: list[int]
    enacted: list[int]
    reminded: int


async def run_deadlines(now: datetime) -> DeadlineRun:
    """What the scheduler runs every minute, and once at start: close the votes whose
    deadline passed, enact what they adopted, remind the members of votes closing soon."""
    closed = await close_due_votes(now)
    enacted = await enact_adopted(now)
    reminded = await notify.remind_closing_votes(now)
    return DeadlineRun(closed, enacted, reminded)
