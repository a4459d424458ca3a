"""Enactment: an adopted tariff change becomes a tariff version; the scheduler's deadline run."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime

from committees import log, notify
from committees.charter import ProposalKind
from committees.errors import Refused
from committees.lifecycle import Status
from committees.proposals import locked_proposal
from committees.service import get_committee
from committees.tables import Proposal
from committees.txn import writing
from committees.votes import close_due_votes

logger = logging.getLogger("regie.committees")

# Kinds whose adoption changes something the régie can apply by itself. The other kinds
# (overconsumption rules until their issue lands, evaluations, work organisation, motions)
# stay "adopted": the decision is public and logged, and people carry it out.
ENACTABLE = frozenset({ProposalKind.TARIFF_CHANGE})


def decision_ref(proposal: int) -> str:
    """The reference a tariff version carries back to the decision that created it."""
    return f"proposal:{proposal}"


def tariff_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


async def enact_decision(proposal: int, *, now: datetime) -> int | None:
    """Enact an adopted proposal: a tariff change creates its tariff version, effective on the
    proposal's date (issue 4: operators draft, committees decide). Idempotent: enacting again
    returns the same version; everything happens in one transaction with its log entries.
    Returns the tariff version's id, or None for a kind with nothing to enact."""
    from tariffs.service import create_version

    async with writing():
        row = await locked_proposal(proposal)
        ref = decision_ref(proposal)
        if row["status"] == Status.ENACTED:
            version = await create_version(
                row["tariff_text"],
                (await get_committee(row["committee"])).territory,
                origin="decision",
                decision_ref=ref,
                now=now,
            )  # returns the version created the first time
            return version.id
        if row["status"] != Status.ADOPTED:
            raise Refused("not_adopted", "only an adopted proposal is enacted")
        if ProposalKind(row["kind"]) not in ENACTABLE:
            return None
        info = await get_committee(row["committee"])
        version = await create_version(
            row["tariff_text"], info.territory, origin="decision", decision_ref=ref, now=now
        )
        payload = {
            "version": version.id,
            "decision_ref": ref,
            "service": version.service,
            "territory": version.territory,
            "valid_from": version.valid_from.isoformat(),
            "tariff_sha256": tariff_sha256(version.toml),
        }
        await log.append(
            log.TARIFF_VERSION_CREATED, payload, now, committee=info.id, proposal=proposal
        )
        await Proposal.update({Proposal.status: Status.ENACTED, Proposal.enacted_at: now}).where(
            Proposal.id == proposal
        )
        enacted = {"effective_on": version.valid_from.isoformat(), "version": version.id}
        await log.append(log.DECISION_ENACTED, enacted, now, committee=info.id, proposal=proposal)
    return version.id


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
