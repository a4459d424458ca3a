"""`regie log verify`: the hash chain, and every logged fact recomputed from the stored rows."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from committees import log
from committees.chain import verify as verify_chain
from committees.lifecycle import Status
from committees.proposals import content_sha256
from committees.rules import decide
from committees.service import charter_sha256, parse_charter
from committees.tables import CollegeTally, Committee, Elector, Proposal, Vote, VoteHistory
from committees.votes import ballot_commitment, outcome_payload


@dataclass(frozen=True)
class Problem:
    seq: int | None  # the entry that does not match; None for a row that no entry accounts for
    kind: str
    message: str

    def __str__(self) -> str:
        where = f"entry {self.seq} ({self.kind})" if self.seq is not None else self.kind
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class Report:
    entries: int
    head: str
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first(self) -> Problem | None:
        """The first entry that does not match (problems without an entry come last)."""
        ordered = sorted(self.problems, key=lambda p: (p.seq is None, p.seq or 0))
        return ordered[0] if ordered else None


@dataclass
class _State:
    """What the replay of the log has established so far."""

    committees: dict[int, dict[str, Any]] = field(default_factory=dict)
    proposals: dict[int, dict[str, Any]] = field(default_factory=dict)
    history: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # per proposal
    cast_seen: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    last_cast: dict[tuple[int, int], int] = field(default_factory=dict)  # (proposal, ballot)
    closed: dict[int, str] = field(default_factory=dict)  # proposal → logged result
    versions: dict[int, int] = field(default_factory=dict)  # tariff version → entry seq


async def verify_log(published_head: str | None = None) -> Report:
    """Check the whole decision log; `published_head` is a head copied into minutes (the
    recorded head is used otherwise), which catches entries deleted from the end."""
    entries = await log.entries()
    recorded = await log.recorded_head()
    head = published_head or (recorded[1] if recorded else None)
    problems: list[Problem] = []
    broken = verify_chain(entries, head=head)
    if broken is not None:
        if broken < len(entries):
            e = entries[broken]
            problems.append(
                Problem(
                    e.seq,
                    e.kind,
                    "the hash chain breaks here (edited, moved, or an entry before it deleted)",
                )
            )
        else:
            last = entries[-1].seq if entries else 0
            problems.append(
                Problem(
                    last,
                    "head",
                    f"the log does not end on head {head}: entries were deleted from its end",
                )
            )
    state = _State(
        committees={r["id"]: r for r in await Committee.select()},
        proposals={r["id"]: r for r in await Proposal.select()},
    )
    for row in await VoteHistory.select().order_by(VoteHistory.id):
        state.history.setdefault(row["proposal"], []).append(row)
    for entry in entries:
        problems.extend(await _check_entry(entry, state))
    problems.extend(await _check_unlogged(state))
    problems.extend(await _check_tariff_versions(state))
    return Report(len(entries), entries[-1].hash if entries else "", tuple(problems))


def _p(entry: log.StoredEntry, message: str) -> Problem:
    return Problem(entry.seq, entry.kind, message)


async def _check_entry(entry: log.StoredEntry, state: _State) -> list[Problem]:
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
    e: log.StoredEntry, p: dict[str, Any], c: dict[str, Any], s: _State
) -> list[Problem]:
    digest = content_sha256(p["title"], p["body"], p["tariff_text"], p["details"])
    if e.payload.get("content_sha256") != digest or e.payload.get("kind") != p["kind"]:
        return [_p(e, f"proposal {p['id']}'s text differs from the one filed")]
    return []


async def _opened(
    e: log.StoredEntry, p: dict[str, Any], c: dict[str, Any], s: _State
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
    e: log.StoredEntry, p: dict[str, Any], c: dict[str, Any], s: _State
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
    e: log.StoredEntry, p: dict[str, Any], c: dict[str, Any], s: _State
) -> list[Problem]:
    from committees.votes import stored_tally

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
    e: log.StoredEntry, p: dict[str, Any], c: dict[str, Any], s: _State
) -> list[Problem]:
    version = e.payload.get("version")
    if isinstance(version, int):
        s.versions[version] = e.seq
    if s.closed.get(p["id"]) != Status.ADOPTED:
        return [_p(e, f"a tariff version for proposal {p['id']}, which was not adopted")]
    return []


_CHECKS = {
    log.PROPOSAL_FILED: _filed,
    log.VOTE_OPENED: _opened,
    log.VOTE_CAST: _cast,
    log.VOTE_CLOSED: _closed,
    log.TARIFF_VERSION_CREATED: _version,
}


async def _check_unlogged(state: _State) -> list[Problem]:
    """Stored rows that no entry accounts for: extra history, current votes that differ from
    their last logged choice, decided proposals without a logged tally."""
    problems: list[Problem] = []
    for proposal, rows in state.history.items():
        if len(rows) > state.cast_seen[proposal]:
            problems.append(
                Problem(
                    None, "vote_history", f"proposal {proposal} has votes the log does not record"
                )
            )
    last: dict[tuple[int, int], Mapping[str, Any]] = {}
    for proposal, rows in state.history.items():
        for row in rows:
            last[(proposal, row["ballot"])] = row
    current = {(r["proposal"], r["id"]): r for r in await Vote.select()}
    for key in sorted(set(last) | set(current)):
        h, v = last.get(key), current.get(key)
        same = (
            h is not None
            and v is not None
            and all(h[k] == v[k] for k in ("account", "college", "choice"))
        )
        if not same:
            seq = state.last_cast.get(key)
            what = "deleted" if v is None else "not the last choice logged"
            problems.append(
                Problem(
                    seq,
                    log.VOTE_CAST if seq else "vote",
                    f"current vote {key[1]} of proposal {key[0]} is {what}",
                )
            )
    decided = {
        s.value
        for s in (Status.ADOPTED, Status.REJECTED, Status.VETOED, Status.NO_QUORUM, Status.ENACTED)
    }
    for pid, p in sorted(state.proposals.items()):
        if p["status"] in decided and pid not in state.closed:
            problems.append(
                Problem(None, "proposal", f"proposal {pid} is {p['status']} without a logged vote")
            )
    return problems


async def _check_tariff_versions(state: _State) -> list[Problem]:
    """A tariff version of origin "decision" exists only for an adopted proposal whose tally
    recomputes identically (checked at its vote_closed entry) and whose text it carries; after
    the one set-up version of a service and territory, only decisions create versions."""
    from committees.enact import decision_ref, tariff_sha256
    from tariffs.service import list_versions

    problems: list[Problem] = []
    found = await list_versions()
    setups: dict[tuple[str, str], int] = defaultdict(int)
    for v in found:
        if v.origin != "decision":
            setups[(v.service, v.territory)] += 1
            if v.origin != "setup" or setups[(v.service, v.territory)] > 1:
                problems.append(
                    Problem(
                        None,
                        "tariff_version",
                        f"tariff version {v.id} ({v.origin}) follows the set-up without a decision",
                    )
                )
            continue
        seq = state.versions.get(v.id)
        pid = _proposal_of(v.decision_ref, state.proposals)
        if seq is None or pid is None or v.decision_ref != decision_ref(pid):
            problems.append(
                Problem(
                    seq,
                    "tariff_version",
                    f"tariff version {v.id} ({v.decision_ref}) has no logged adopted decision",
                )
            )
            continue
        if state.closed.get(pid) != Status.ADOPTED or tariff_sha256(v.toml) != tariff_sha256(
            state.proposals[pid]["tariff_text"]
        ):
            problems.append(
                Problem(
                    seq,
                    log.TARIFF_VERSION_CREATED,
                    f"tariff version {v.id} is not the tariff adopted by proposal {pid}",
                )
            )
    ids = {v.id for v in found}
    for version, seq in state.versions.items():
        if version not in ids:
            problems.append(
                Problem(seq, log.TARIFF_VERSION_CREATED, f"tariff version {version} is missing")
            )
    return problems


def _proposal_of(ref: str | None, proposals: Iterable[int]) -> int | None:
    if not ref or not ref.startswith("proposal:"):
        return None
    try:
        pid = int(ref.removeprefix("proposal:"))
    except ValueError:
        return None
    return pid if pid in proposals else None
