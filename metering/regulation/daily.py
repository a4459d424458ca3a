"""The daily regulation run: night use rolled up from readings, every rule checked for
every household, cases opened, kept and closed. Idempotent: a day run twice changes nothing."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from metering.regulation import cases
from metering.regulation.defaults import default_rule_set
from metering.regulation.detect import Check, Context, Peak, Usage, evaluate, prepare
from metering.regulation.episodes import plan
from metering.regulation.nights import MAX_GAP, Night, night_bounds, night_of
from metering.regulation.rules import SERVICES, NightBaseLoad, NightFlow, OverPower, RuleSet
from metering.regulation.service import (
    as_date,
    drought_periods,
    local_today,
    regie_zone,
    rule_sets_in_force,
)
from metering.regulation.tables import NightUsage, RegulationExemption, RegulationRun
from metering.tables import Meter, Reading
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


async def roll_up_nights(day: date, *, only_incomplete: bool = False) -> int:
    """Night use of every meter for the night of `day`, from its readings (idempotent); with
    `only_incomplete`, only meters without a complete night yet (late readings)."""
    start, end = night_bounds(day, regie_zone())
    done = NightUsage.select(NightUsage.meter).where(
        (NightUsage.day == day) & (NightUsage.complete == True)  # noqa: E712 (SQL)
    )
    query = Reading.select(Reading.meter, Reading.register, Reading.ts, Reading.value).where(
        (Reading.ts >= _utc(start - MAX_GAP))
        & (Reading.ts <= _utc(end + MAX_GAP))
        & Reading.flag.is_null()
    )
    if only_incomplete:
        query = query.where(Reading.meter.not_in(done))
    series: dict[int, dict[str, list[tuple[int, int]]]] = defaultdict(lambda: defaultdict(list))
    for r in await query.order_by(Reading.meter).order_by(Reading.ts):
        series[r["meter"]][r["register"]].append((int(r["ts"].timestamp()), r["value"]))
    if not series:
        return 0
    digits = {m["id"]: m["digits"] for m in await Meter.select(Meter.id, Meter.digits)}
    nights: dict[int, Night] = {}
    for meter, registers in series.items():
        night = night_of(registers, day, regie_zone(), digits=digits.get(meter, 0))
        if night is not None:
            nights[meter] = night
    async with NightUsage._meta.db.transaction():
        if nights:
            await NightUsage.delete().where(
                (NightUsage.day == day) & NightUsage.meter.is_in(list(nights))
            )
            await NightUsage.insert(
                *[
                    NightUsage(
                        meter=m,
                        day=day,
                        min_hour=n.min_hour,
                        total=n.total,
                        hours=n.hours,
                        complete=n.complete,
                    )
                    for m, n in nights.items()
                ]
            )
    return len(nights)


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
    served = await Meter.select(Meter.household, Meter.service).where(Meter.household.is_not_null())
    adopted = await rule_sets_in_force(day)
    groups: dict[tuple[str, str], tuple[RuleSet, int | None]] = {}
    for m in served:
        territory = households[m["household"]]["territory"]
        key = (territory, m["service"])
        if key not in groups and m["service"] in SERVICES:
            groups[key] = adopted.get(key) or (default_rule_set(m["service"]), None)
    spans = [_spans(rs) for rs, _ in groups.values()] or [(1, 1, 1)]
    daily_span, night_span, peak_span = (max(s[i] for s in spans) for i in range(3))
    usage = await _usage(day, daily_span, night_span, peak_span)
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
        mine = [c for c in open_cases if (c.territory, c.service) == key]
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


async def _usage(day: date, daily: int, nights: int, peaks: int) -> dict[tuple[int, str], Series]:
    """Daily use (this year's window and last year's), nights and peaks per household and
    service, every meter of a household added up."""
    out: dict[tuple[int, str], Series] = defaultdict(lambda: ({}, {}, {}))
    last_year = day - timedelta(days=364)
    rows = await Meter.raw(
        "SELECT m.household AS h, m.service AS s, u.day AS d, SUM(u.consumption) AS v "
        "FROM daily_usage u JOIN meter m ON m.id = u.meter WHERE m.household IS NOT NULL "
        "AND ((u.day >= {} AND u.day <= {}) OR (u.day >= {} AND u.day <= {})) "
        "GROUP BY m.household, m.service, u.day",
        day - timedelta(days=daily - 1),
        day,
        last_year - timedelta(days=daily - 1),
        last_year,
    )
    for r in rows:
        out[(r["h"], r["s"])][0][as_date(r["d"])] = int(r["v"])
    rows = await Meter.raw(
        "SELECT m.household AS h, m.service AS s, n.day AS d, SUM(n.min_hour) AS v, "
        "SUM(n.hours) AS hours, MIN(CASE WHEN n.complete THEN 1 ELSE 0 END) AS c "
        "FROM night_usage n JOIN meter m ON m.id = n.meter WHERE m.household IS NOT NULL "
        "AND n.day >= {} AND n.day <= {} GROUP BY m.household, m.service, n.day",
        day - timedelta(days=nights - 1),
        day,
    )
    for r in rows:
        night = Night(int(r["v"]), 0, int(r["hours"]), bool(r["c"]))
        out[(r["h"], r["s"])][1][as_date(r["d"])] = night
    rows = await Meter.raw(
        "SELECT m.household AS h, m.service AS s, p.day AS d, MAX(p.max_va) AS v, "
        "MAX(p.subscribed_va) AS sub FROM power_peak p JOIN meter m ON m.id = p.meter "
        "WHERE m.household IS NOT NULL AND p.day >= {} AND p.day <= {} "
        "GROUP BY m.household, m.service, p.day",
        day - timedelta(days=peaks - 1),
        day,
    )
    for r in rows:
        out[(r["h"], r["s"])][2][as_date(r["d"])] = Peak(int(r["v"]), int(r["sub"]))
    return out


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


def _utc(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, UTC)
