"""Invariants of detection and episodes (hypothesis): more use never fewer detections; a lower
threshold, or a more severe drought level, never closes a case a higher one keeps open."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, timedelta
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from metering.regulation.defaults import default_rule_set
from metering.regulation.detect import LAST_YEAR, Peak, State, Usage, evaluate, prepare
from metering.regulation.episodes import OpenCase, plan
from metering.regulation.nights import Night
from metering.regulation.rules import (
    LEVELS,
    Condition,
    DroughtPeriod,
    ExcessPerPerson,
    ExcessVsLastYear,
    NightBaseLoad,
    NightFlow,
    OverPower,
    Rule,
    RuleSet,
)

DAY = date(2025, 9, 30)
WINDOW = [DAY - timedelta(days=k) for k in range(29, -1, -1)]
NIGHTS = [DAY - timedelta(days=k) for k in range(30, -1, -1)]
RECENT = 3  # the last days and nights: inside every rule's "now", outside every reference

services = st.sampled_from(["water", "electricity"])
levels = st.sampled_from([None, *LEVELS])


@st.composite
def usages(draw: st.DrawFn) -> Usage:
    """A household around levels drawn by hypothesis (so that thresholds get crossed), with
    day-to-day jitter and gaps from a seeded random source (cheap to draw, and replayed
    exactly by hypothesis from the seed it drew)."""
    rng = random.Random(draw(st.integers(0, 2**32)))
    now, before = draw(st.integers(0, 150_000)), draw(st.integers(0, 150_000))
    night, gaps = draw(st.integers(0, 1200)), draw(st.sampled_from([0.0, 0.1, 0.4]))
    last_nights = draw(st.integers(0, 3000))  # the last nights may differ from the usual

    def jitter(level: int) -> int:
        return max(0, int(level * rng.uniform(0.5, 1.5)))

    daily = {d: jitter(now) for d in WINDOW if rng.random() >= gaps}
    daily |= {d - LAST_YEAR: jitter(before) for d in WINDOW if rng.random() >= gaps}
    nights = {
        d: Night(jitter(night if d < NIGHTS[-RECENT] else last_nights), 0, 5, rng.random() >= gaps)
        for d in NIGHTS
        if rng.random() >= gaps
    }
    peaks = {
        DAY - timedelta(days=k): Peak(rng.randint(3000, 9000), 6000)
        for k in range(7)
        if rng.random() >= gaps
    }
    return Usage(draw(st.integers(1, 6)), daily, nights, peaks)


def more(usage: Usage, extra: list[int], *, recent_only: bool) -> Usage:
    """`usage` with more use on some days and nights (only the last ones if `recent_only`)."""
    days = sorted(usage.daily)[-RECENT:] if recent_only else sorted(usage.daily)
    daily = dict(usage.daily)
    for d, e in zip(days, extra, strict=False):
        daily[d] += e
    keep = sorted(usage.nights)[-RECENT:] if recent_only else sorted(usage.nights)
    more_nights = dict(usage.nights)
    for d, e in zip(keep, extra, strict=False):
        n = more_nights[d]
        more_nights[d] = Night(n.min_hour + e, n.total, n.hours, n.complete)
    return Usage(usage.persons, daily, more_nights, usage.peaks)


def active(rule_set: RuleSet, usage: Usage, level=None) -> set[str]:
    periods = [] if level is None else [DroughtPeriod(level, DAY - timedelta(days=400))]
    ctx = prepare(rule_set, DAY, periods)
    return {c.rule for c in evaluate(ctx, usage) if c.state is State.ACTIVE}


# Rules whose every input only adds to their condition; the others also compare with a
# reference (last year, the usual nights) that must not move.
MONOTONE = {"water-excess", "water-night-leak", "water-continuous-flow", "electricity-excess"}


@settings(max_examples=200, deadline=None)
@given(services, usages(), st.lists(st.integers(0, 5000), min_size=31, max_size=31), levels)
def test_more_use_never_fewer_detections(service, usage, extra, level) -> None:
    rule_set = default_rule_set(service)
    before = active(rule_set, usage, level)
    assert before <= active(rule_set, more(usage, extra, recent_only=True), level)
    everywhere = active(rule_set, more(usage, extra, recent_only=False), level)
    assert before & MONOTONE <= everywhere


def lowered(rule_set: RuleSet, scale: Fraction) -> RuleSet:
    """Every threshold of the rule set multiplied by `scale` (at most 1)."""

    def lower(c: Condition) -> Condition:
        if isinstance(c, ExcessPerPerson):
            return replace(
                c,
                per_person_per_day=int(c.per_person_per_day * scale),
                per_household_per_day=int(c.per_household_per_day * scale),
            )
        if isinstance(c, ExcessVsLastYear):
            floor = int(c.min_use_per_person_per_day * scale)
            return replace(c, multiple=c.multiple * scale, min_use_per_person_per_day=floor)
        if isinstance(c, NightFlow):
            return replace(c, min_flow_per_hour=max(1, int(c.min_flow_per_hour * scale)))
        if isinstance(c, NightBaseLoad):
            return replace(
                c,
                factor=c.factor * scale,
                min_excess_per_hour=int(c.min_excess_per_hour * scale),
            )
        assert isinstance(c, OverPower)
        return replace(c, ratio=c.ratio * scale)

    rules = tuple(Rule(r.key, lower(r.condition), r.measures, r.drought) for r in rule_set.rules)
    return replace(rule_set, rules=rules)


@st.composite
def open_cases(draw: st.DrawFn, rule_set: RuleSet) -> list[OpenCase]:
    out = []
    for i, key in enumerate(sorted(rule_set.keys)):
        if draw(st.booleans()):
            last = DAY - timedelta(days=draw(st.integers(1, 10)))
            since = draw(st.one_of(st.none(), st.integers(0, (DAY - last).days - 1)))
            clear_since = None if since is None else last + timedelta(days=since + 1)
            out.append(OpenCase(i, 1, key, last, clear_since))
    return out


def outcome(rule_set: RuleSet, usage: Usage, cases: list[OpenCase], level=None):
    periods = [] if level is None else [DroughtPeriod(level, DAY - timedelta(days=400))]
    checks = evaluate(prepare(rule_set, DAY, periods), usage)
    p = plan(DAY, {1: checks}, cases, rule_set.keys, close_after_days=rule_set.close_after_days)
    return {c.id for c, _ in p.closed}, {c.rule for _, c in p.opened}


@settings(max_examples=200, deadline=None)
@given(services, usages(), st.fractions(Fraction(1, 10), Fraction(1)), st.data())
def test_lowering_a_threshold_never_closes_an_open_case(service, usage, scale, data) -> None:
    rule_set = default_rule_set(service)
    cases = data.draw(open_cases(rule_set))
    closed, opened = outcome(rule_set, usage, cases)
    closed_lower, opened_lower = outcome(lowered(rule_set, scale), usage, cases)
    assert closed_lower <= closed
    assert opened <= opened_lower


@settings(max_examples=200, deadline=None)
@given(usages(), levels, levels, st.data())
def test_a_more_severe_drought_never_closes_an_open_case(usage, a, b, data) -> None:
    rank = [None, *LEVELS]
    low, high = sorted((a, b), key=rank.index)
    rule_set = default_rule_set("water")
    cases = data.draw(open_cases(rule_set))
    closed_low, opened_low = outcome(rule_set, usage, cases, low)
    closed_high, opened_high = outcome(rule_set, usage, cases, high)
    assert closed_high <= closed_low
    assert opened_low <= opened_high
