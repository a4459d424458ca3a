"""Night use from readings: zero for a normal home, the leak's flow for a leaking one, unknown
across long gaps (a once-a-day meter is not a leak), rollovers and clock changes."""

from __future__ import annotations

import random
from datetime import date

from metering.regulation.nights import Night, night_bounds, night_of
from metering.simulator import SimMeter, step_meter
from tests.metering.regulation.sim import PARIS

DAY = date(2026, 3, 10)


def readings(meter: SimMeter, start: int, end: int, every: int = 900) -> dict[str, list]:
    """Integer indexes every `every` seconds, as a real meter reports them."""
    rng = random.Random(5)
    out: dict[str, list[tuple[int, int]]] = {r: [] for r in meter.registers()}
    for ts in range(start, end + 1, every):
        step_meter(meter, ts, every, rng)
        for register in out:
            out[register].append((ts, int(meter.index[register])))
    return out


def test_a_normal_home_draws_no_water_at_night() -> None:
    meter = SimMeter("W", "water", persons=4, index={"total": 1000.0})
    start, end = night_bounds(DAY, PARIS)
    night = night_of(readings(meter, start - 7200, end + 7200), DAY, PARIS)
    assert night == Night(0, 0, 5, True)


def test_a_leaking_home_draws_its_leak_every_hour() -> None:
    meter = SimMeter("W", "water", persons=2, leak_l_per_h=7.0, index={"total": 1000.0})
    start, end = night_bounds(DAY, PARIS)
    night = night_of(readings(meter, start - 7200, end + 7200), DAY, PARIS)
    assert night is not None and night.complete and night.hours == 5
    assert night.min_hour in (6, 7, 8) and 33 <= night.total <= 37


def test_electricity_registers_add_up() -> None:
    meter = SimMeter("E", "electricity", persons=2, index={"hchc": 5000.0, "hchp": 9000.0})
    start, end = night_bounds(DAY, PARIS)
    night = night_of(readings(meter, start - 7200, end + 7200), DAY, PARIS)
    assert night is not None and night.complete
    assert 100 < night.min_hour < 400  # the base load: about 0.45 of 550 W


def test_a_once_a_day_meter_is_not_read_as_a_leak() -> None:
    start, end = night_bounds(DAY, PARIS)
    series = {"total": [(start - 3 * 3600, 1000), (end + 6 * 3600, 1400)]}
    assert night_of(series, DAY, PARIS) is None


def test_a_gap_in_the_night_leaves_it_incomplete() -> None:
    start, _ = night_bounds(DAY, PARIS)
    points = [(start + k * 900, 100 + 2 * k) for k in range(0, 21) if not 5 <= k <= 11]
    night = night_of({"total": points}, DAY, PARIS)
    assert night is not None and not night.complete and night.hours == 3
    assert night.min_hour == 8  # 2 L every quarter: 8 L in each known hour


def test_a_rollover_in_the_night_is_unwrapped() -> None:
    start, _ = night_bounds(DAY, PARIS)
    points = [(start + k * 900, (99_990 + 3 * k) % 100_000) for k in range(21)]
    night = night_of({"total": points}, DAY, PARIS, digits=5)
    assert night == Night(12, 60, 5, True)


def test_refused_steps_are_left_out() -> None:
    start, _ = night_bounds(DAY, PARIS)
    points = [(start + k * 900, 500 + k) for k in range(21)]
    points[8] = (points[8][0], 10)  # a negative step: flagged by validation, not used
    night = night_of({"total": points}, DAY, PARIS)
    assert night == Night(4, 20, 5, True)


def test_the_nights_clocks_change_have_four_and_six_hours() -> None:
    spring, autumn = date(2026, 3, 29), date(2026, 10, 25)
    for day, hours in ((spring, 4), (autumn, 6)):
        start, end = night_bounds(day, PARIS)
        assert (end - start) // 3600 == hours
        points = [(start + k * 900, k) for k in range(hours * 4 + 1)]
        assert night_of({"total": points}, day, PARIS) == Night(4, 4 * hours, hours, True)
