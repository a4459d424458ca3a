"""Cases: a day's plan applied, each case's history (measures, replies, exemptions, outcome)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from metering.regulation import rule_file
from metering.regulation.defaults import default_rule_set
from metering.regulation.episodes import ENDED, ENDED_AFTER_NOTICE, OpenCase, Plan
from metering.regulation.notices import closed_message, opened_message
from metering.regulation.rules import Measure, MeasureKind, Rule, RuleSet
from metering.regulation.tables import (
    RegulationCase,
    RegulationCaseEvent,
    RegulationExemption,
    RegulationNotice,
    RuleSetVersion,
)

OPEN, EXEMPTED, CLOSED = "open", "exempted", "closed"
SYSTEM = "system"
# What a household may answer from its page (issue 5): a known pool filling, a repaired leak,
# a medical need, or anything else in its own words.
REPLY_REASONS = ("pool_filling", "leak_repaired", "medical_need", "other")


class CaseNotFound(LookupError):
    """No case has that id (or it is not this household's)."""


class CaseClosed(ValueError):
    """The case is closed: nothing more can be recorded on it."""


class MeasureNotAttached(ValueError):
    """The rule the case was opened under does not provide this measure."""


@dataclass(frozen=True, slots=True)
class StoredCase:
    case: OpenCase
    territory: str
    service: str


async def open_cases() -> list[StoredCase]:
    """Every case not closed yet, open or exempted."""
    c = RegulationCase
    rows = await c.select(
        c.id, c.household, c.rule, c.last_active, c.clear_since, c.status, c.territory, c.service
    ).where(c.status != CLOSED)
    return [_stored(r) for r in rows]


def _stored(r: dict[str, Any]) -> StoredCase:
    exempted = r["status"] == EXEMPTED
    case = OpenCase(
        r["id"], r["household"], r["rule"], r["last_active"], r["clear_since"], exempted
    )
    return StoredCase(case, r["territory"], r["service"])


async def apply_plans(
    day: date, plans: Sequence[tuple[tuple[str, str], RuleSet, int | None, Plan]], *, now: datetime
) -> None:
    """Carry out the plans of a day in one transaction."""
    async with RegulationCase._meta.db.transaction():
        for (territory, service), rule_set, version, p in plans:
            await _open(day, territory, service, rule_set, version, p, now)
            for case, check in p.kept:
                values: dict[Any, Any] = {
                    RegulationCase.figures: dict(check.figures),
                    RegulationCase.clear_since: None,
                }
                if day > case.last_active:  # a day counted once, however often it is run
                    values[RegulationCase.last_active] = day
                    values[RegulationCase.volume] = RegulationCase.volume + check.day_volume
                await RegulationCase.update(values).where(RegulationCase.id == case.id)
            if p.clearing:
                await RegulationCase.update({RegulationCase.clear_since: day}).where(
                    RegulationCase.id.is_in([c.id for c in p.clearing])
                )
            if p.resumed:
                await RegulationCase.update({RegulationCase.status: OPEN}).where(
                    RegulationCase.id.is_in([c.id for c in p.resumed])
                )
                await _events(
                    [(c.id, "resumed", SYSTEM, "exemption over", {}) for c in p.resumed], now
                )
            await _close(day, p, now)


async def _open(
    day: date,
    territory: str,
    service: str,
    rule_set: RuleSet,
    version: int | None,
    p: Plan,
    now: datetime,
) -> None:
    if not p.opened:
        return
    await RegulationCase.insert(
        *[
            RegulationCase(
                household=household,
                territory=territory,
                service=service,
                rule=check.rule,
                kind=str(rule_set.rule(check.rule).kind),
                rule_set=version,
                status=OPEN,
                opened_on=day,
                last_active=day,
                figures=dict(check.figures),
                volume=check.volume,
                created_at=now,
            )
            for household, check in p.opened
        ]
    )
    # The open-case key (household, rule) is unique: it finds the new ids whatever the engine.
    rows = await RegulationCase.select(
        RegulationCase.id, RegulationCase.household, RegulationCase.rule
    ).where(
        (RegulationCase.status == OPEN)
        & (RegulationCase.opened_on == day)
        & RegulationCase.household.is_in(list({h for h, _ in p.opened}))
    )
    ids = {(r["household"], r["rule"]): r["id"] for r in rows}
    events, notices = [], []
    for household, check in p.opened:
        case = ids[(household, check.rule)]
        rule = rule_set.rule(check.rule)
        notice = rule.measures[0]  # always the information notice (rule_file checks it)
        events.append((case, "opened", SYSTEM, "", dict(check.figures)))
        events.append((case, "measure", SYSTEM, "", {"kind": str(notice.kind), "by": notice.by}))
        notices.append(
            RegulationNotice(
                household=household,
                case=case,
                kind="case_opened",
                message=opened_message(rule.kind, service, check.figures),
                figures={"rule": rule.key, "kind": str(rule.kind), **check.figures},
                created_at=now,
            )
        )
    await _events(events, now)
    await RegulationNotice.insert(*notices)


async def _close(day: date, p: Plan, now: datetime) -> None:
    if not p.closed:
        return
    ids = [c.id for c, _ in p.closed]
    # "Ended after a notice": the condition ended with no measure beyond the notice.
    helped = {
        r["case"]
        for r in await RegulationCaseEvent.select(
            RegulationCaseEvent.case, RegulationCaseEvent.data
        )
        .where(RegulationCaseEvent.case.is_in(ids) & (RegulationCaseEvent.kind == "measure"))
        .output(load_json=True)
        if r["data"].get("kind") != MeasureKind.NOTICE
    }
    for case, reason in p.closed:
        if reason == ENDED and not case.exempted and case.id not in helped:
            reason = ENDED_AFTER_NOTICE
        await RegulationCase.update(
            {
                RegulationCase.status: CLOSED,
                RegulationCase.closed_on: day,
                RegulationCase.outcome: reason,
            }
        ).where(RegulationCase.id == case.id)
    await _events([(c.id, "closed", SYSTEM, reason, {}) for c, reason in p.closed], now)
    await RegulationNotice.insert(
        *[
            RegulationNotice(
                household=c.household,
                case=c.id,
                kind="case_closed",
                message=closed_message(),
                figures={"rule": c.rule, "reason": reason},
                created_at=now,
            )
            for c, reason in p.closed
        ]
    )


async def _events(rows: list[tuple[int, str, str, str, dict[str, Any]]], now: datetime) -> None:
    if rows:
        await RegulationCaseEvent.insert(
            *[
                RegulationCaseEvent(case=case, at=now, kind=kind, actor=actor, text=text, data=data)
                for case, kind, actor, text, data in rows
            ]
        )


async def _case(case_id: int) -> dict[str, Any]:
    row = await RegulationCase.select().where(RegulationCase.id == case_id).first()
    if row is None:
        raise CaseNotFound(case_id)
    return row


async def rule_of(case: dict[str, Any]) -> Rule:
    """The rule a case was opened under (its rule-set version, or the shipped defaults)."""
    if case["rule_set"] is None:
        return default_rule_set(case["service"]).rule(case["rule"])
    row = (
        await RuleSetVersion.select(RuleSetVersion.document)
        .where(RuleSetVersion.id == case["rule_set"])
        .output(load_json=True)
        .first()
    )
    return rule_file.parse(row["document"]).rule(case["rule"])  # type: ignore[index]


async def measures_of(case_id: int) -> tuple[Measure, ...]:
    """The measures the case's rule provides (what an operator may record); none when the
    rule cannot be found any more."""
    try:
        return (await rule_of(await _case(case_id))).measures
    except KeyError:
        return ()


async def record_measure(
    case_id: int,
    kind: MeasureKind | str,
    *,
    actor: str,
    note: str = "",
    now: datetime | None = None,
) -> None:
    """Record that a measure the rule provides was carried out (by whom the rule says)."""
    case = await _case(case_id)
    if case["status"] == CLOSED:
        raise CaseClosed(case_id)
    kind = MeasureKind(kind)
    measure = next((m for m in (await rule_of(case)).measures if m.kind is kind), None)
    if measure is None:
        raise MeasureNotAttached(f"rule {case['rule']} provides no {kind}")
    data: dict[str, Any] = {"kind": str(kind), "by": measure.by}
    if kind is MeasureKind.FLOW_LIMITER:
        data["keeps_l_per_h"] = measure.keeps_l_per_h  # never a cut-off of essential water
    await _events([(case_id, "measure", actor, note, data)], now or datetime.now(UTC))


async def reply_to_case(
    case_id: int, *, household: int, reason: str, text: str, now: datetime | None = None
) -> None:
    """A household's answer from its page (a pool filling, a repaired leak, a medical need)."""
    case = await _case(case_id)
    if case["household"] != household:
        raise CaseNotFound(case_id)  # another household's case does not exist for it
    if reason not in REPLY_REASONS:
        raise ValueError(f"reason must be one of {', '.join(REPLY_REASONS)}")
    await _events(
        [(case_id, "reply", "household", text[:2000], {"reason": reason})],
        now or datetime.now(UTC),
    )


async def grant_exemption(
    case_id: int,
    *,
    until: date | None,
    reason: str,
    decision_ref: str | None = None,
    by: str = "",
    now: datetime | None = None,
) -> None:
    """The committee exempts the household from the case's rule until `until` (inclusive, None
    for good): the case stays in the queue as exempted, no new case opens meanwhile. `by`
    names the member who recorded the committee's decision."""
    now = now or datetime.now(UTC)
    case = await _case(case_id)
    if case["status"] != OPEN:
        raise CaseClosed(case_id)  # closed, or already exempted
    async with RegulationCase._meta.db.transaction():
        await RegulationExemption.insert(
            RegulationExemption(
                household=case["household"],
                rule=case["rule"],
                until=until,
                reason=reason,
                decision_ref=decision_ref,
                case=case_id,
                granted_at=now,
            )
        )
        await RegulationCase.update({RegulationCase.status: EXEMPTED}).where(
            RegulationCase.id == case_id
        )
        data = {"until": str(until or ""), "decision_ref": decision_ref or "", "by": by}
        await _events([(case_id, "exemption", "committee", reason, data)], now)


async def record_outcome(
    case_id: int, text: str, *, actor: str, now: datetime | None = None
) -> None:
    """What came of the measures, in words (a repaired leak, a changed subscription…)."""
    await _case(case_id)
    await _events([(case_id, "outcome", actor, text, {})], now or datetime.now(UTC))
