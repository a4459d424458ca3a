"""Episodes: which cases a day's checks open, keep, count down or close (pure).

One case per household and rule for one ongoing episode: a condition that holds again while
its case is open keeps that case; a case closes only after `close_after_days` days clear of
its condition (the first and the latest of them evaluated clear), so a condition that
flickers around its threshold is one episode, not a new case each time.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from metering.regulation.detect import Check, State

ENDED = "ended"  # the condition ended
ENDED_AFTER_NOTICE = "ended_after_notice"  # … and the information notice was the only measure
RULE_WITHDRAWN = "rule_withdrawn"  # the rule is no longer in the rule set in force


@dataclass(frozen=True, slots=True)
class OpenCase:
    id: int
    household: int
    rule: str
    last_active: date
    clear_since: date | None = None  # first day found clear since `last_active`
    exempted: bool = False


@dataclass
class Plan:
    opened: list[tuple[int, Check]] = field(default_factory=list)  # (household, check)
    kept: list[tuple[OpenCase, Check]] = field(default_factory=list)  # still active
    clearing: list[OpenCase] = field(default_factory=list)  # clear, not for long enough yet
    closed: list[tuple[OpenCase, str]] = field(default_factory=list)  # with the reason
    resumed: list[OpenCase] = field(default_factory=list)  # exemption over, case active again


def plan(
    day: date,
    checks: Mapping[int, Sequence[Check]],
    cases: Iterable[OpenCase],
    rule_keys: Collection[str],
    *,
    close_after_days: int,
    exempt: Collection[tuple[int, str]] = (),
) -> Plan:
    """What to do after the checks of `day` (households absent from `checks` were not
    evaluated: their cases stay as they are)."""
    out = Plan()
    by_key: dict[tuple[int, str], OpenCase] = {}
    for case in cases:
        if case.rule not in rule_keys:
            out.closed.append((case, RULE_WITHDRAWN))
        else:
            by_key[(case.household, case.rule)] = case
    for household, found in checks.items():
        for check in found:
            key = (household, check.rule)
            current = by_key.get(key)
            if check.state is State.ACTIVE:
                if current is None:
                    # An exempted household and rule (a medical need, a known pool filling)
                    # opens no case until its exemption ends.
                    if key not in exempt:
                        out.opened.append((household, check))
                    continue
                out.kept.append((current, check))
                if current.exempted and key not in exempt:
                    out.resumed.append(current)
            elif check.state is State.CLEAR and current is not None:
                since = current.clear_since or day
                if (day - since).days + 1 >= close_after_days:
                    out.closed.append((current, ENDED))
                elif current.clear_since is None:
                    out.clearing.append(current)
    return out
