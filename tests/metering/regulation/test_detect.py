"""Detection on simulated households: leaks found within the configured nights, no case on
normal profiles over a year, drought levels moving thresholds on the right dates."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from fractions import Fraction

import pytest

from metering.regulation.defaults import default_rule_set
from metering.regulation.detect import Peak, State, Usage, evaluate, prepare
from metering.regulation.episodes import ENDED, OpenCase, plan
from metering.regulation.nights import Night
from metering.regulation.rules import (
    DroughtPeriod,
    ExcessPerPerson,
    Level,
    NightFlow,
    level_on,
)
from tests.metering.regulation.sim import households, simulate

WATER = default_rule_set("water")
ELECTRICITY = default_rule_set("electricity")
START = date(2025, 1, 1)


def active(rule_set, usage: Usage, day: date, periods=()) -> set[str]:
    ctx = prepare(rule_set, day, periods)
    return {c.rule for c in evaluate(ctx, usage) if c.state is State.ACTIVE}


@pytest.fixture(scope="module")
def normal_year() -> list[tuple[str, Usage]]:
    """24 households without leaks, two years of use (the second compared with the first)."""
    meters = households(24, leak_share=0.0, seed=11)
    return [(m.service, simulate(m, START, 730, seed=i)) for i, m in enumerate(meters)]


def test_no_case_on_normal_profiles_over_a_simulated_year(normal_year) -> None:
    opened = []
    open_cases: dict[tuple[int, str], OpenCase] = {}
    for i in range(365):
        day = START + timedelta(days=365 + i)
        for service, rule_set in (("water", WATER), ("electricity", ELECTRICITY)):
            ctx = prepare(rule_set, day)
            checks = {h: evaluate(ctx, u) for h, (s, u) in enumerate(normal_year) if s == service}
            p = plan(day, checks, open_cases.values(), rule_set.keys, close_after_days=3)
            opened += [(day, h, c.rule, dict(c.figures)) for h, c in p.opened]
    assert opened == []


def test_every_rule_has_enough_data_to_speak_on_a_normal_year(normal_year) -> None:
    # "No case" must not come from checks that could say nothing: by the second year every
    # rule (but power, without TIC data) is clear.
    day = START + timedelta(days=400)
    for service, usage in normal_year:
        rule_set = WATER if service == "water" else ELECTRICITY
        states = {c.rule: c.state for c in evaluate(prepare(rule_set, day), usage)}
        expected = {k: State.CLEAR for k in rule_set.keys if k != "electricity-over-power"}
        assert {k: v for k, v in states.items() if k != "electricity-over-power"} == expected


def test_leaking_homes_found_within_the_configured_nights() -> None:
    nights = WATER.rule("water-night-leak").condition.nights  # type: ignore[union-attr]
    meters = [m for m in households(120, leak_share=0.5, seed=3) if m.leak_l_per_h > 0]
    assert len(meters) >= 20
    leak_on = START + timedelta(days=40)
    for i, meter in enumerate(meters):
        leak, meter.leak_l_per_h = meter.leak_l_per_h, 0.0
        usage = simulate(meter, START, 50, seed=i, change_on=leak_on, leak_l_per_h=leak)
        found = [
            d
            for k in range(20, 50)
            if "water-night-leak" in active(WATER, usage, d := START + timedelta(days=k))
        ]
        # Not a night early (no false alarm before the leak), not a night late.
        assert found[0] == leak_on + timedelta(days=nights - 1), (meter.serial, leak)
        assert found == [leak_on + timedelta(days=k) for k in range(nights - 1, 10)]


def test_a_large_leak_is_found_sooner_by_the_continuous_flow_rule() -> None:
    meter = next(m for m in households(10) if m.service == "water")
    leak_on = START + timedelta(days=40)
    usage = simulate(meter, START, 45, change_on=leak_on, leak_l_per_h=45)
    assert active(WATER, usage, leak_on) == set()
    assert active(WATER, usage, leak_on + timedelta(days=1)) == {"water-continuous-flow"}
    found = active(WATER, usage, leak_on + timedelta(days=2))
    assert found == {"water-continuous-flow", "water-night-leak"}


def test_an_appliance_left_on_raises_the_night_base_load() -> None:
    meter = next(m for m in households(10) if m.service == "electricity")
    on = START + timedelta(days=40)
    usage = simulate(meter, START, 45, change_on=on, extra_w=1500)
    assert active(ELECTRICITY, usage, on + timedelta(days=1)) == set()
    assert active(ELECTRICITY, usage, on + timedelta(days=2)) == {"electricity-night-base"}


def test_a_night_not_fully_known_neither_opens_nor_closes() -> None:
    rule = replace(WATER, rules=(WATER.rule("water-night-leak"),))
    day = START + timedelta(days=10)
    nights = {day - timedelta(days=k): Night(5, 25, 5, True) for k in range(3)}
    usage = Usage(2, {}, nights)
    assert [c.state for c in evaluate(prepare(rule, day), usage)] == [State.ACTIVE]
    nights[day] = Night(5, 20, 4, False)  # an hour missing, every known hour flowing
    assert [c.state for c in evaluate(prepare(rule, day), usage)] == [State.UNKNOWN]
    nights[day] = Night(0, 10, 4, False)  # a known hour at zero: the night went back down
    assert [c.state for c in evaluate(prepare(rule, day), usage)] == [State.CLEAR]


def test_power_above_the_subscribed_power_on_enough_days() -> None:
    rule = replace(ELECTRICITY, rules=(ELECTRICITY.rule("electricity-over-power"),))
    day = START + timedelta(days=10)

    def states(over: int, known: int) -> State:
        peaks = {
            day - timedelta(days=k): Peak(6100 if k < over else 4000, 6000) for k in range(known)
        }
        return evaluate(prepare(rule, day), Usage(2, {}, {}, peaks))[0].state

    assert states(over=3, known=7) is State.ACTIVE
    assert states(over=2, known=7) is State.CLEAR
    assert states(over=2, known=5) is State.UNKNOWN  # two unknown days could make it three
    assert states(over=0, known=0) is State.UNKNOWN  # no TIC data


# -- drought levels ---------------------------------------------------------------------------

CRISE = DroughtPeriod(Level.CRISE, date(2025, 8, 1), date(2025, 8, 20))
EXCESS = replace(WATER, rules=(WATER.rule("water-excess"),))


def steady(per_person: int, persons: int = 3) -> Usage:
    days = (date(2025, 6, 1) + timedelta(days=k) for k in range(120))
    return Usage(persons, {d: per_person * persons for d in days})


def test_level_on_takes_the_most_severe_period_and_ends_inclusive() -> None:
    vigilance = DroughtPeriod(Level.VIGILANCE, date(2025, 7, 1))
    assert level_on([vigilance, CRISE], date(2025, 7, 31)) is Level.VIGILANCE
    assert level_on([vigilance, CRISE], date(2025, 8, 1)) is Level.CRISE
    assert level_on([vigilance, CRISE], date(2025, 8, 20)) is Level.CRISE
    assert level_on([vigilance, CRISE], date(2025, 8, 21)) is Level.VIGILANCE
    assert level_on([CRISE], date(2025, 8, 21)) is None


def test_drought_lowers_the_threshold_from_the_first_day_of_the_level() -> None:
    # 200 L per person and day, 140 in crise (factor 0.7): the day's own threshold moves on
    # the day the level starts and comes back the day after it ends.
    def threshold(day: date) -> int:
        usage = steady(300)  # far above: the check is active and shows its threshold
        check = evaluate(prepare(EXCESS, day, [CRISE]), usage)[0]
        return int(check.figures["threshold_per_person_per_day"])

    assert threshold(date(2025, 7, 31)) == 200
    assert threshold(date(2025, 8, 1)) == 140
    assert threshold(date(2025, 8, 20)) == 140
    assert threshold(date(2025, 8, 21)) == 200


def test_a_household_at_190_litres_is_caught_on_the_sixth_day_of_crise() -> None:
    # The 30-day allowance is 200 a day before the crise and 140 during it: 190 a day goes
    # over once 6 crise days are in the window (6000 - 60 × 6 < 5700), and back under when
    # fewer than 6 remain after it ends (window of Sept 14 holds Aug 16-20: 5 days).
    usage = steady(190)
    days = [date(2025, 7, 20) + timedelta(days=k) for k in range(70)]
    found = [d for d in days if active(EXCESS, usage, d, [CRISE])]
    assert found[0] == date(2025, 8, 6)
    assert found[-1] == date(2025, 9, 13)
    assert found == [date(2025, 8, 6) + timedelta(days=k) for k in range(39)]
    assert not [d for d in days if active(EXCESS, usage, d)]  # no drought, no case


def test_drought_never_lowers_an_allowance_under_the_essential_volume() -> None:
    # A quarter of 200 L would be 50 L per person and day; the essential 100 L stay allowed.
    harsh = replace(EXCESS, drought=replace(EXCESS.drought, factors={Level.CRISE: Fraction(1, 4)}))
    summer = [DroughtPeriod(Level.CRISE, date(2025, 6, 1), date(2025, 9, 30))]
    day = date(2025, 8, 15)
    assert evaluate(prepare(harsh, day, summer), steady(99))[0].state is State.CLEAR
    check = evaluate(prepare(harsh, day, summer), steady(101))[0]
    assert check.state is State.ACTIVE
    assert check.figures["threshold_per_person_per_day"] == 100


def test_leak_rules_are_not_moved_by_drought() -> None:
    day = date(2025, 8, 15)
    usage = Usage(2, {}, {day - timedelta(days=k): Night(1, 5, 5, True) for k in range(3)})
    assert "water-night-leak" in active(WATER, usage, day, [CRISE])
    rule = WATER.rule("water-continuous-flow")
    assert isinstance(rule.condition, NightFlow) and not rule.drought


def test_vigilance_informs_without_moving_thresholds() -> None:
    vigilance = DroughtPeriod(Level.VIGILANCE, date(2025, 7, 1))
    usage = steady(199)
    assert not active(EXCESS, usage, date(2025, 8, 15), [vigilance])


def test_a_case_closes_after_the_configured_clear_days() -> None:
    day = date(2025, 3, 10)
    case = OpenCase(1, 7, "water-night-leak", last_active=day - timedelta(days=1))
    checks = evaluate(prepare(WATER, day), Usage(2, {}, {day: Night(0, 0, 5, True)}))
    clear = {7: [c for c in checks if c.rule == "water-night-leak"]}
    assert clear[7][0].state is State.CLEAR
    first = plan(day, clear, [case], WATER.keys, close_after_days=3)
    assert first.clearing == [case] and first.closed == []
    later = replace(case, clear_since=day)
    assert (
        plan(day + timedelta(days=1), clear, [later], WATER.keys, close_after_days=3).closed == []
    )
    done = plan(day + timedelta(days=2), clear, [later], WATER.keys, close_after_days=3)
    assert done.closed == [(later, ENDED)]


def test_excess_rule_needs_enough_days() -> None:
    day = date(2025, 3, 31)
    usage = Usage(1, {day - timedelta(days=k): 10_000 for k in range(20)})
    assert evaluate(prepare(EXCESS, day), usage)[0].state is State.UNKNOWN
    usage = Usage(1, {day - timedelta(days=k): 10_000 for k in range(21)})
    check = evaluate(prepare(EXCESS, day), usage)[0]
    assert check.state is State.ACTIVE
    assert check.figures["used"] == 210_000 and check.figures["allowance"] == 21 * 200
    assert check.volume == 210_000 - 4200 and check.day_volume == 10_000 - 200
    assert isinstance(EXCESS.rules[0].condition, ExcessPerPerson)
