"""Detection: each rule of a rule set checked on one day over a household's usage (pure).

A check says `active` (the condition holds), `clear` (it certainly does not) or `unknown`
(too little data to say): a meter that stops reporting neither opens nor closes a case.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from fractions import Fraction

from metering.regulation.nights import Night
from metering.regulation.rules import (
    DroughtPeriod,
    ExcessPerPerson,
    ExcessVsLastYear,
    Level,
    NightBaseLoad,
    NightFlow,
    OverPower,
    Rule,
    RuleSet,
    level_on,
)

LAST_YEAR = timedelta(days=364)  # 52 weeks: the same season and the same weekdays
Figures = Mapping[str, int | str]


class State(StrEnum):
    ACTIVE = "active"
    CLEAR = "clear"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Peak:
    max_va: int  # the day's highest apparent power (TIC SMAXSN)
    subscribed_va: int  # the subscribed power that day (TIC PREF, in VA)


@dataclass(frozen=True, slots=True)
class Usage:
    """What detection knows of one household for one service."""

    persons: int
    daily: Mapping[date, int]  # consumption per local day, L or Wh
    nights: Mapping[date, Night] = field(default_factory=dict)
    peaks: Mapping[date, Peak] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Check:
    rule: str
    state: State
    figures: Figures = field(default_factory=dict)
    volume: int = 0  # volume involved over the rule's window (above allowance, or leaked)
    day_volume: int = 0  # the evaluated day's share of it


@dataclass(frozen=True, slots=True)
class _Prepared:
    """One rule as it applies on the day: its window and drought-adjusted thresholds."""

    rule: Rule
    days: tuple[date, ...]  # the window, oldest first, ending on the evaluated day
    ref_days: tuple[date, ...] = ()  # excess vs last year: the same window 52 weeks before
    per_household: tuple[int, ...] = ()  # excess: allowance per household, per window day
    per_person: tuple[int, ...] = ()  # excess: allowance per person, per window day
    multiple: Fraction = Fraction(1)  # excess vs last year, with the day's drought factor
    threshold: int = 0  # night flow, with the day's drought factor


@dataclass(frozen=True)
class Context:
    """A rule set prepared for one day of one territory, shared by all its households."""

    day: date
    rule_set: RuleSet
    level: Level | None
    prepared: tuple[_Prepared, ...]


def prepare(rule_set: RuleSet, day: date, periods: Iterable[DroughtPeriod] = ()) -> Context:
    """Work out once per territory and day what each rule needs (drought factors per day)."""
    periods = tuple(periods)
    level = level_on(periods, day)
    out = []
    for rule in rule_set.rules:
        c = rule.condition
        span = getattr(c, "window_days", 0) or getattr(c, "nights", 1)
        if isinstance(c, NightBaseLoad):
            span = c.nights + c.usual_nights
        days = tuple(day - timedelta(days=i) for i in range(span - 1, -1, -1))
        if isinstance(c, ExcessPerPerson):
            factors = [rule_set.factor(rule, level_on(periods, d)) for d in days]
            # Drought lowers the allowance, never under the essential volume per person.
            floor = min(rule_set.drought.essential_per_person_per_day, c.per_person_per_day)
            out.append(
                _Prepared(
                    rule,
                    days,
                    per_household=tuple(int(c.per_household_per_day * f) for f in factors),
                    per_person=tuple(max(int(c.per_person_per_day * f), floor) for f in factors),
                )
            )
        elif isinstance(c, ExcessVsLastYear):
            m = c.multiple * rule_set.factor(rule, level)
            out.append(_Prepared(rule, days, tuple(d - LAST_YEAR for d in days), multiple=m))
        elif isinstance(c, NightFlow):
            threshold = max(1, int(c.min_flow_per_hour * rule_set.factor(rule, level)))
            out.append(_Prepared(rule, days, threshold=threshold))
        else:
            out.append(_Prepared(rule, days))
    return Context(day, rule_set, level, tuple(out))


def evaluate(ctx: Context, usage: Usage) -> list[Check]:
    """Every rule of the context checked for one household."""
    return [_check(p, ctx, usage) for p in ctx.prepared]


def _check(p: _Prepared, ctx: Context, u: Usage) -> Check:
    c = p.rule.condition
    if isinstance(c, ExcessPerPerson):
        return _excess(p, c, ctx, u)
    if isinstance(c, ExcessVsLastYear):
        return _vs_last_year(p, c, ctx, u)
    if isinstance(c, NightFlow):
        return _night_flow(p, c, u)
    if isinstance(c, NightBaseLoad):
        return _night_base(p, c, u)
    return _over_power(p, c, u)


def _excess(p: _Prepared, c: ExcessPerPerson, ctx: Context, u: Usage) -> Check:
    persons = max(u.persons, 1)
    used = n = allowance = 0
    day_allowance = None
    for d, household, person in zip(p.days, p.per_household, p.per_person, strict=True):
        value = u.daily.get(d)
        if value is not None:
            used += value
            n += 1
            allowance += household + persons * person
            day_allowance = household + persons * person
    if n < c.min_days:
        return Check(p.rule.key, State.UNKNOWN)
    if used <= allowance:
        return Check(p.rule.key, State.CLEAR)
    figures: dict[str, int | str] = {
        "used": used,
        "allowance": allowance,
        "days": n,
        "persons": persons,
        "per_person_per_day": used // (n * persons),
        "threshold_per_person_per_day": p.per_person[-1],
        "level": str(ctx.level or ""),
    }
    today = u.daily.get(ctx.day)
    day_volume = 0
    if today is not None and day_allowance is not None:
        day_volume = max(0, today - day_allowance)
    return Check(p.rule.key, State.ACTIVE, figures, used - allowance, day_volume)


def _vs_last_year(p: _Prepared, c: ExcessVsLastYear, ctx: Context, u: Usage) -> Check:
    now = [v for d in p.days if (v := u.daily.get(d)) is not None]
    before = [v for d in p.ref_days if (v := u.daily.get(d)) is not None]
    if len(now) < c.min_days or len(before) < c.min_days or sum(before) <= 0:
        return Check(p.rule.key, State.UNKNOWN)
    used, ref, n, n0 = sum(now), sum(before), len(now), len(before)
    persons = max(u.persons, 1)
    m = p.multiple
    # used / n > m × ref / n0, in integers
    if used <= c.min_use_per_person_per_day * persons * n or (
        used * n0 * m.denominator <= m.numerator * ref * n
    ):
        return Check(p.rule.key, State.CLEAR)
    expected = m * ref * n / n0
    figures: dict[str, int | str] = {
        "used": used,
        "last_year": ref,
        "days": n,
        "days_last_year": n0,
        "per_day": used // n,
        "per_day_last_year": ref // n0,
        "multiple": str(m),
        "level": str(ctx.level or ""),
    }
    today = u.daily.get(ctx.day)
    day_volume = max(0, int(today - m * ref / n0)) if today is not None else 0
    return Check(p.rule.key, State.ACTIVE, figures, int(used - expected), day_volume)


def _night_flow(p: _Prepared, c: NightFlow, u: Usage) -> Check:
    nights = [u.nights.get(d) for d in p.days]
    # A known hour under the threshold is enough: the night certainly went back down.
    if any(n is not None and n.min_hour < p.threshold for n in nights):
        return Check(p.rule.key, State.CLEAR)
    known = [n for n in nights if n is not None and n.complete]
    if len(known) < len(nights):
        return Check(p.rule.key, State.UNKNOWN)
    lowest = min(n.min_hour for n in known)
    figures: dict[str, int | str] = {
        "nights": c.nights,
        "lowest_per_hour": lowest,
        "last_night_per_hour": known[-1].min_hour,
        "threshold_per_hour": p.threshold,
    }
    # A leak runs day and night: its volume is about the night minimum round the clock.
    volume = sum(n.min_hour for n in known) * 24
    return Check(p.rule.key, State.ACTIVE, figures, volume, known[-1].min_hour * 24)


def _night_base(p: _Prepared, c: NightBaseLoad, u: Usage) -> Check:
    usual_days, recent_days = p.days[: c.usual_nights], p.days[c.usual_nights :]
    usual = sorted(
        n.min_hour for d in usual_days if (n := u.nights.get(d)) is not None and n.complete
    )
    if len(usual) < c.min_usual_nights:
        return Check(p.rule.key, State.UNKNOWN)
    median = (usual[(len(usual) - 1) // 2] + usual[len(usual) // 2]) // 2
    f = c.factor
    threshold = max(-(-median * f.numerator // f.denominator), median + c.min_excess_per_hour)
    recent = [u.nights.get(d) for d in recent_days]
    if any(n is not None and n.min_hour <= threshold for n in recent):
        return Check(p.rule.key, State.CLEAR)
    known = [n for n in recent if n is not None and n.complete]
    if len(known) < len(recent):
        return Check(p.rule.key, State.UNKNOWN)
    figures: dict[str, int | str] = {
        "nights": c.nights,
        "usual_per_hour": median,
        "lowest_per_hour": min(n.min_hour for n in known),
        "threshold_per_hour": threshold,
    }
    volume = sum(n.min_hour - median for n in known) * 24
    return Check(p.rule.key, State.ACTIVE, figures, volume, (known[-1].min_hour - median) * 24)


def _over_power(p: _Prepared, c: OverPower, u: Usage) -> Check:
    peaks = [u.peaks.get(d) for d in p.days]
    known = [x for x in peaks if x is not None]
    if not known:
        return Check(p.rule.key, State.UNKNOWN)  # no TIC power data for this meter
    r = c.ratio
    hits = [x for x in known if x.max_va * r.denominator >= r.numerator * x.subscribed_va]
    if len(hits) >= c.days:
        figures: dict[str, int | str] = {
            "days": len(hits),
            "window_days": c.window_days,
            "highest_va": max(x.max_va for x in hits),
            "subscribed_va": hits[-1].subscribed_va,
        }
        return Check(p.rule.key, State.ACTIVE, figures)
    if len(hits) + len(peaks) - len(known) < c.days:
        return Check(p.rule.key, State.CLEAR)
    return Check(p.rule.key, State.UNKNOWN)
