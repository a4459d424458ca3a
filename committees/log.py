"""The decision log: appending chained entries under a lock, and reading them back."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from committees.chain import GENESIS, Entry, canonical_json, next_entry
from committees.tables import LogEntry, LogHead
from committees.txn import locked

# Kinds of entries (issue 4, "every event that matters").
COMMITTEE_CREATED = "committee_created"
MEMBER_JOINED = "member_joined"
MEMBER_LEFT = "member_left"
PROPOSAL_FILED = "proposal_filed"
REACHED_AGENDA = "reached_agenda"
VOTE_OPENED = "vote_opened"
VOTE_CAST = "vote_cast"
VOTE_CLOSED = "vote_closed"
TARIFF_VERSION_CREATED = "tariff_version_created"
RULE_SET_ADOPTED = "rule_set_adopted"  # an overconsumption rule set (regulation, issue 5)
DECISION_ENACTED = "decision_enacted"
EVALUATION_ANSWERED = "evaluation_answered"  # a scored questionnaire answered (no name)


def iso(moment: datetime) -> str:
    """The text of an entry's time: UTC ISO 8601, hashed exactly as stored."""
    if moment.tzinfo is None:
        raise ValueError("times of the decision log must be timezone-aware")
    return moment.astimezone(UTC).isoformat()


@dataclass(frozen=True)
class StoredEntry:
    """A log row as stored: the chained fields, and the ids copied for look-ups."""

    seq: int
    at: str
    kind: str
    payload: Mapping[str, Any]
    prev_hash: str
    hash: str
    committee: int | None
    proposal: int | None
    payload_text: str


async def append(
    kind: str,
    payload: Mapping[str, Any],
    now: datetime,
    *,
    committee: int | None = None,
    proposal: int | None = None,
) -> Entry:
    """Append an entry after the current head. Call inside `writing()`: the head row is locked
    (PostgreSQL) or the database is (SQLite), so concurrent appends take turns, and the unique
    `seq` refuses a second entry in the same place should anything slip through."""
    body = dict(payload)
    if committee is not None:
        body["committee"] = committee
    if proposal is not None:
        body["proposal"] = proposal
    text = canonical_json(body, kind).decode("utf-8")
    seq, prev_hash = await _locked_head()
    prev = None if seq == 0 else Entry(seq, "", "", {}, "", prev_hash)
    entry = next_entry(prev, iso(now), kind, body)
    await LogEntry.insert(
        LogEntry(
            seq=entry.seq,
            at=entry.at,
            kind=kind,
            payload=text,
            prev_hash=entry.prev_hash,
            hash=entry.hash,
            committee=committee,
            proposal=proposal,
        )
    )
    await LogHead.update({LogHead.seq: entry.seq, LogHead.hash: entry.hash}).where(LogHead.id == 1)
    return entry


async def _locked_head() -> tuple[int, str]:
    # The head row is created on first use (and rebuilt from the last entry if it was lost).
    last = (
        await LogEntry.select(LogEntry.seq, LogEntry.hash)
        .order_by(LogEntry.seq, ascending=False)
        .first()
    )
    seq, digest = (last["seq"], last["hash"]) if last else (0, GENESIS)
    await LogHead.insert(LogHead(id=1, seq=seq, hash=digest)).on_conflict(action="DO NOTHING")
    row = (await locked(LogHead.select(LogHead.seq, LogHead.hash).where(LogHead.id == 1)))[0]
    return int(row["seq"]), str(row["hash"])


async def head() -> tuple[int, str]:
    """(seq, hash) of the last entry: the chain head to copy into the minutes."""
    return await recorded_head() or (0, GENESIS)


async def recorded_head() -> tuple[int, str] | None:
    """The head row as stored, None when there is none (rebuilt by the next append)."""
    row = await LogHead.select(LogHead.seq, LogHead.hash).where(LogHead.id == 1).first()
    return (int(row["seq"]), str(row["hash"])) if row else None


async def entries(
    *, committee: int | None = None, proposal: int | None = None, after: int = 0, limit: int = 0
) -> list[StoredEntry]:
    """Entries in seq order, optionally of one committee or proposal, after a seq."""
    query = LogEntry.select().where(LogEntry.seq > after).order_by(LogEntry.seq)
    if committee is not None:
        query = query.where(LogEntry.committee == committee)
    if proposal is not None:
        query = query.where(LogEntry.proposal == proposal)
    if limit:
        query = query.limit(limit)
    return [_stored(row) for row in await query]


def _stored(row: dict[str, Any]) -> StoredEntry:
    try:
        payload = json.loads(row["payload"])
    except ValueError:
        payload = None  # cannot be the hashed payload: `verify` reports it
    if not isinstance(payload, dict):
        payload = {"<unreadable>": str(row["payload"])}
    return StoredEntry(
        seq=row["seq"],
        at=row["at"],
        kind=row["kind"],
        payload=payload,
        prev_hash=row["prev_hash"],
        hash=row["hash"],
        committee=row["committee"],
        proposal=row["proposal"],
        payload_text=row["payload"],
    )
