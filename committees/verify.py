"""`regie log verify`: the hash chain, and every logged fact recomputed from the stored rows."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from committees import log
from committees.chain import verify as verify_chain
from committees.lifecycle import Status
from committees.replay import Problem, State, check_entry
from committees.tables import Committee, EvaluationAnswer, Proposal, Vote, VoteHistory

__all__ = ["Problem", "Report", "verify_log"]


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
    state = State(
        committees={r["id"]: r for r in await Committee.select()},
        proposals={r["id"]: r for r in await Proposal.select()},
    )
    for row in await VoteHistory.select().order_by(VoteHistory.id):
        state.history.setdefault(row["proposal"], []).append(row)
    for entry in entries:
        problems.extend(await check_entry(entry, state))
    problems.extend(await _check_unlogged(state))
    problems.extend(await _check_answers(state))
    problems.extend(await _check_tariff_versions(state))
    return Report(len(entries), entries[-1].hash if entries else "", tuple(problems))


async def _check_unlogged(state: State) -> list[Problem]:
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


async def _check_answers(state: State) -> list[Problem]:
    """Every stored evaluation answer is the last one logged for its id, and every logged
    answer is still stored."""
    problems: list[Problem] = []
    stored = {r["id"]: r for r in await EvaluationAnswer.select()}
    for key in sorted(set(stored) | set(state.answers)):
        row, (seq, logged) = stored.get(key), state.answers.get(key, (None, None))
        if logged is None:
            problems.append(Problem(None, "evaluation_answer", f"answer {key} was never logged"))
        elif row is None:
            problems.append(Problem(seq, log.EVALUATION_ANSWERED, f"answer {key} is deleted"))
        elif (row["proposal"], row["respondent"], json.loads(row["scores"])) != (
            logged["proposal"],
            logged.get("respondent"),
            logged.get("scores"),
        ):
            problems.append(
                Problem(seq, log.EVALUATION_ANSWERED, f"answer {key} differs from the one logged")
            )
    return problems


async def _check_tariff_versions(state: State) -> list[Problem]:
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
