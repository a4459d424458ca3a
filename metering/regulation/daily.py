"""The daily regulation run: night use rolled up from readings, every rule checked for
every household, cases opened, kept and closed. Idempotent: a day run twice changes nothing."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from metering.regulation import cases, store
from metering.regulation.defaults import default_rule_set
from metering.regulation.detect import Check, Context, Peak, Usage, evaluate, prepare
from metering.regulation.episodes import plan
from metering.regulation.nights import Night
from metering.regulation.rules import SERVICES, NightBaseLoad, NightFlow, OverPower, RuleSet
from metering.regulation.service import (
    as_date,
    drought_periods,
    local_today,
    roll_up_nights,
    rule_sets_in_force,
)
from metering.regulation.tables import PowerPeak, RegulationExemption, RegulationRun
from metering.tables import Meter
from regie.tables import Household

CATCH_UP_DAYS = 7  # after downtime, the job evaluates at most this many missed days
LATE_NIGHTS = 2  # earlier nights rolled up again where readings came late


@dataclass
class DayReport:
    day: date
    households: int = 0
    opened: int = 0
    kept: int = 0
    closed: int = 0
    by_rule: dict[str, int] = field(default_factory=dict)  # cases opened per rule


async def run_daily(now: datetime | None = None) -> list[DayReport]:
    """The daily job: roll up last night's use and evaluate every rule for yesterday, and for
    missed days since the last run (at most a week). Running it again for the same day
    changes nothing: cases are opened once per episode."""
    now = now or datetime.now(UTC)
    yesterday = local_today(now) - timedelta(days=1)
    last = (
        await RegulationRun.select(RegulationRun.day)
        .order_by(RegulationRun.day, ascending=False)
        .first()
    )
    first = yesterday - timedelta(days=CATCH_UP_DAYS - 1)
    if last is not None:
        # Never evaluate a day before the last one evaluated: it would reopen closed cases.
        first = max(first, min(as_date(last["day"]) + timedelta(days=1), yesterday))
    reports = []
    day = first
    while day <= yesterday:
        await roll_up_nights(day)
        for back in range(1, LATE_NIGHTS + 1):
            await roll_up_nights(day - timedelta(days=back), only_incomplete=True)
        reports.append(await evaluate_day(day, now=now))
        day += timedelta(days=1)
    return reports


async def evaluate_day(day: date, *, now: datetime | None = None) -> DayReport:
    """Check every rule for every household on `day`, then open, keep and close cases."""
    now = now or datetime.now(UTC)
    households = {
        h["id"]: h
        for h in await Household.select(Household.id, Household.persons, Household.territory)
    }
    served = await Meter.select(Meter.id, Meter.household, Meter.service).where(
        Meter.household.is_not_null()
    )
    adopted = await rule_sets_in_force(day)
    groups: dict[tuple[str, str], tuple[RuleSet, int | None]] = {}
    for m in served:
        territory = households[m["household"]]["territory"]
        key = (territory, m["service"])
        if key not in groups and m["service"] in SERVICES:
            groups[key] = adopted.get(key) or (default_rule_set(m["service"]), None)
    spans = [_spans(rs) for rs, _ in groups.values()] or [(1, 1, 1)]
    daily_span, night_span, peak_span = (max(s[i] for s in spans) for i in range(3))
    meters = {m["id"]: (m["household"], m["service"]) for m in served}
    usage = await _usage(day, meters, daily_span, night_span, peak_span)
    periods = await drought_periods(None, day - timedelta(days=daily_span), day)
    contexts: dict[tuple[str, str], Context] = {
        key: prepare(rs, day, periods.get(key[0], [])) for key, (rs, _) in groups.items()
    }
    checks: dict[tuple[str, str], dict[int, list[Check]]] = defaultdict(dict)
    for (household, service), (daily, nights, peaks) in usage.items():
        h = households[household]
        key = (h["territory"], service)
        if key in contexts:
            usage_of = Usage(h["persons"], daily, nights, peaks)
            checks[key][household] = evaluate(contexts[key], usage_of)
    open_cases = await cases.open_cases()
    exempt = await _exemptions(day)
    report = DayReport(day, households=sum(len(c) for c in checks.values()))
    plans = []
    for key, (rule_set, version) in groups.items():
        # By the household's territory today: a household that moved keeps its case.
        mine = [c for c in open_cases if (_territory(households, c), c.service) == key]
        found = checks.get(key, {})
        p = plan(day, found, [c.case for c in mine], rule_set.keys,
                 close_after_days=rule_set.close_after_days, exempt=exempt)  # fmt: skip
        plans.append((key, rule_set, version, p))
    await cases.apply_plans(day, plans, now=now)
    for _key, _rs, _v, p in plans:
        report.opened += len(p.opened)
        report.kept += len(p.kept)
        report.closed += len(p.closed)
        for _h, check in p.opened:
            report.by_rule[check.rule] = report.by_rule.get(check.rule, 0) + 1
    await _record_run(day, now, report)
    return report


def _spans(rule_set: RuleSet) -> tuple[int, int, int]:
    """Days of daily use, nights and power peaks that a rule set looks back over."""
    daily = nights = peaks = 1
    for rule in rule_set.rules:
        c = rule.condition
        if isinstance(c, NightBaseLoad):
            nights = max(nights, c.nights + c.usual_nights)
        elif isinstance(c, NightFlow):
            nights = max(nights, c.nights)
        elif isinstance(c, OverPower):
            peaks = max(peaks, c.window_days)
        else:
            daily = max(daily, c.window_days)
    return daily, nights, peaks


Series = tuple[dict[date, int], dict[date, Night], dict[date, Peak]]


async def _usage(
    day: date, meters: dict[int, tuple[int, str]], daily: int, nights: int, peaks: int
) -> dict[tuple[int, str], Series]:
    """Daily use (this year's window and last year's), nights and peaks per household and
    service, every meter (and register) of a household added up."""
    out: dict[tuple[int, str], Series] = defaultdict(lambda: ({}, {}, {}))
    dates = [day - timedelta(days=k) for k in range(max(364 + daily, nights, peaks) + 1)]
    last_year = day - timedelta(days=364)
    spans = [
        (day - timedelta(days=daily - 1), day),
        (last_year - timedelta(days=daily - 1), last_year),
    ]
    async with store.reads() as db:
        daily_rows = await db.daily(day, spans)
        night_rows = await db.nights(day, day - timedelta(days=nights - 1))
    for meter, back, (values,) in daily_rows:
        if meter in meters:
            used = out[meters[meter]][0]
            if used:  # a second register or meter of the household's: its use adds up
                for d, v in zip(map(dates.__getitem__, back), values, strict=True):
                    used[d] = used.get(d, 0) + v
            else:
                used.update(zip(map(dates.__getitem__, back), values, strict=True))
    for meter, back, (mins, totals, hours, complete) in night_rows:
        if meter in meters:
            seen = out[meters[meter]][1]
            days = map(dates.__getitem__, back)
            found = zip(days, map(Night, mins, totals, hours, complete), strict=True)
            if not seen:
                seen.update(found)
                continue
            for d, n in found:  # a second meter of the household's: its nights add up
                seen[d] = n if d not in seen else _added(seen[d], n)
    rows = await PowerPeak.select(
        PowerPeak.meter, PowerPeak.day, PowerPeak.max_va, PowerPeak.subscribed_va
    ).where((PowerPeak.day >= day - timedelta(days=peaks - 1)) & (PowerPeak.day <= day))
    for r in rows:
        if r["meter"] in meters:
            seen_peaks = out[meters[r["meter"]]][2]
            d = as_date(r["day"])
            peak = Peak(r["max_va"], r["subscribed_va"])
            if d not in seen_peaks or peak.max_va > seen_peaks[d].max_va:
                seen_peaks[d] = peak
    return out


def _territory(households: dict[int, dict[str, Any]], case: cases.StoredCase) -> str:
    household = households.get(case.case.household)
    return case.territory if household is None else household["territory"]


def _added(a: Night, b: Night) -> Night:
    complete = a.complete and b.complete
    return Night(a.min_hour + b.min_hour, a.total + b.total, min(a.hours, b.hours), complete)


async def _exemptions(day: date) -> set[tuple[int, str]]:
    rows = await RegulationExemption.select(
        RegulationExemption.household, RegulationExemption.rule
    ).where(RegulationExemption.until.is_null() | (RegulationExemption.until >= day))
    return {(r["household"], r["rule"]) for r in rows}


async def _record_run(day: date, now: datetime, report: DayReport) -> None:
    counts = {"households": report.households, "opened": report.opened, "kept": report.kept,
              "closed": report.closed, "by_rule": report.by_rule}  # fmt: skip
    async with RegulationRun._meta.db.transaction():
        await RegulationRun.delete().where(RegulationRun.day == day)
        await RegulationRun.insert(
            RegulationRun(day=day, started_at=now, finished_at=datetime.now(UTC), counts=counts)
        )
