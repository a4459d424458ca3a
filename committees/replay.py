"""The decision log replayed against the stored rows: each entry's facts, recomputed."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from committees import log
from committees.lifecycle import Status
from committees.proposals import content_sha256
from committees.rules import decide
from committees.service import charter_sha256, parse_charter
from committees.tables import CollegeTally, Elector
from committees.votes import ballot_commitment, outcome_payload, stored_tally


@dataclass(frozen=True)
class Problem:
    seq: int | None  # the entry that does not match; None for a row that no entry accounts for
    kind: str
    message: str

    def __str__(self) -> str:
        where = f"entry {self.seq} ({self.kind})" if self.seq is not None else self.kind
        return f"{where}: {self.message}"


@dataclass
class State:
    """What the replay of the log has established so far."""

    committees: dict[int, dict[str, Any]] = field(default_factory=dict)
    proposals: dict[int, dict[str, Any]] = field(default_factory=dict)
    history: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # per proposal
    cast_seen: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    last_cast: dict[tuple[int, int], int] = field(default_factory=dict)  # (proposal, ballot)
    closed: dict[int, str] = field(default_factory=dict)  # proposal → logged result
    versions: dict[int, int] = field(default_factory=dict)  # tariff version → entry seq
    answers: dict[int, tuple[int, dict[str, Any]]] = field(default_factory=dict)  # last logged


def _p(entry: log.StoredEntry, message: str) -> Problem:
    return Problem(entry.seq, entry.kind, message)


async def check_entry(entry: log.StoredEntry, state: State) -> list[Problem]:
    payload = entry.payload
    if entry.committee != payload.get("committee") or entry.proposal != payload.get("proposal"):
        return [_p(entry, "its committee or proposal columns differ from its payload")]
    committee = state.committees.get(entry.committee) if entry.committee is not None else None
    if entry.committee is not None and committee is None:
        return [_p(entry, f"committee {entry.committee} is missing")]
    if entry.kind == log.COMMITTEE_CREATED and committee is not None:
        if payload.get("charter_sha256") != charter_sha256(committee["charter_text"]):
            return [_p(entry, "the committee's charter differs from the one it was created with")]
        return []
    if entry.proposal is None:
        return []
    proposal = state.proposals.get(entry.proposal)
    if proposal is None:
        return [_p(entry, f"proposal {entry.proposal} is missing")]
    check = _CHECKS.get(entry.kind)
    return await check(entry, proposal, committee or {}, state) if check else []


async def _filed(
    e: log.StoredEntry, p: dict[str, Any], c: dict[str, Any], s: State
) -> list[Problem]:
    digest = content_sha256(p["title"], p["body"], p["tariff_text"], p["details"])
    if e.payload.get("content_sha256") != digest or e.payload.get("kind") != p["kind"]:
        return [_p(e, f"proposal {p['id']}'s text differs from the one filed")]
    return []


async def _opened(
    e: log.StoredEntry, p: dict[str, Any], c: dict[str, Any], s: State
) -> list[Problem]:
    rows = await Elector.select(Elector.college).where(Elector.proposal == p["id"])
    counts: dict[str, int] = defaultdict(int)
    for row in rows:
        counts[row["college"]] += 1
    logged = {k: v for k, v in e.payload.get("members", {}).items() if v}
    if logged != dict(counts):
        return [_p(e, f"the electorate of proposal {p['id']} differs from the one frozen")]
    if p["deadline"] is None or log.iso(p["deadline"]) != e.payload.get("deadline"):
        return [_p(e, f"the deadline of proposal {p['id']} differs from the one logged")]
    return []


async def _cast(
    e: log.StoredEntry, p: dict[str, Any], c: dict[str, Any], s: State
) -> list[Problem]:
    index = s.cast_seen[p["id"]]
    s.cast_seen[p["id"]] += 1
    rows = s.history.get(p["id"], [])
    if index >= len(rows):
        return [_p(e, f"no stored vote of proposal {p['id']} matches this entry (deleted)")]
    h = rows[index]
    ballot = e.payload.get("ballot")
    s.last_cast[(p["id"], h["ballot"])] = e.seq
    if h["ballot"] != ballot or h["college"] != e.payload.get("college"):
        return [_p(e, f"the stored vote history of proposal {p['id']} differs from the log")]
    if "commitment" in e.payload:
        mine = ballot_commitment(p["id"], h["ballot"], h["college"], h["choice"], h["nonce"])
        if mine != e.payload["commitment"]:
            return [_p(e, f"stored ballot {ballot} does not match its commitment")]
    elif h["choice"] != e.payload.get("choice") or h["account"] != e.payload.get("account"):
        return [_p(e, f"stored ballot {ballot} differs from the named vote logged")]
    return []


async def _closed(
    e: log.StoredEntry, p: dict[str, Any], c: dict[str, Any], s: State
) -> list[Problem]:
    s.closed[p["id"]] = str(e.payload.get("result"))
    try:
        tally, electorate = await stored_tally(p["id"])
        charter = parse_charter(c["charter_text"], c["charter_format"])
        recomputed = outcome_payload(decide(charter, p["kind"], tally, electorate))
    except ValueError as exc:  # counts that cannot be (more votes than members…)
        return [_p(e, f"the stored votes of proposal {p['id']} cannot be counted: {exc}")]
    logged = {k: e.payload.get(k) for k in recomputed}
    if recomputed != logged:
        return [
            _p(
                e,
                f"the tally of proposal {p['id']} recomputed from the stored votes "
                f"({recomputed['result']}, yes share {recomputed['weighted_yes']}) "
                f"differs from the one logged ({logged['result']})",
            )
        ]
    stored = {
        "result": p["result"],
        "rule": p["rule"],
        "weighted_yes": p["weighted_yes"],
        "reasons": json.loads(p["reasons"]),
    }
    if any(stored[k] != recomputed[k] for k in stored):
        return [_p(e, f"the outcome stored with proposal {p['id']} differs from the log")]
    rows = await CollegeTally.select(
        CollegeTally.college,
        CollegeTally.members,
        CollegeTally.yes,
        CollegeTally.no,
        CollegeTally.abstain,
    ).where(CollegeTally.proposal == p["id"])
    keys = ("college", "members", "yes", "no", "abstain")
    mine = sorted(tuple(r[k] for k in keys) for r in rows)
    if mine != sorted(tuple(c[k] for k in keys) for c in recomputed["colleges"]):
        return [_p(e, f"the counts per college stored for proposal {p['id']} differ")]
    return []


async def _version(
    e: log.StoredEntry, p: dict[str, Any], c: dict[str, Any], s: State
) -> list[Problem]:
    """A change made by a decision (tariff version, rule set) follows a logged adoption."""
    version = e.payload.get("version")
    if e.kind == log.TARIFF_VERSION_CREATED and isinstance(version, int):
        s.versions[version] = e.seq
    if s.closed.get(p["id"]) != Status.ADOPTED:
        return [_p(e, f"a change made for proposal {p['id']}, which was not adopted")]
    return []


async def _answered(
    e: log.StoredEntry, p: dict[str, Any], c: dict[str, Any], s: State
) -> list[Problem]:
    """An evaluation's answer: the stored row must be the last one logged for its id (checked
    once the whole log is read, in verify)."""
    answer = e.payload.get("answer")
    if not isinstance(answer, int):
        return [_p(e, "an answer entry without an answer id")]
    s.answers[answer] = (e.seq, {"proposal": p["id"], **e.payload})
    return []


_CHECKS = {
    log.PROPOSAL_FILED: _filed,
    log.VOTE_OPENED: _opened,
    log.VOTE_CAST: _cast,
    log.VOTE_CLOSED: _closed,
    log.TARIFF_VERSION_CREATED: _version,
    log.RULE_SET_ADOPTED: _version,
    log.EVALUATION_ANSWERED: _answered,
}
