"""Usage series of simulated households, hour by hour from the meter simulator's profiles
(`step_meter`), without MQTT: daily use and the night's lowest hour, as detection reads them."""

from __future__ import annotations

import random
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from metering.regulation.detect import Usage
from metering.regulation.nights import Night, night_bounds
from metering.simulator import SimMeter, make_meters, step_meter
from metering.usage import DayCalendar

PARIS = ZoneInfo("Europe/Paris")
CALENDAR = DayCalendar("Europe/Paris")


def simulate(
    meter: SimMeter,
    start: date,
    days: int,
    *,
    seed: int = 1,
    change_on: date | None = None,
    leak_l_per_h: float = 0.0,
    extra_w: float = 0.0,
) -> Usage:
    """`days` of use from `start`; from `change_on`, a leak of `leak_l_per_h` (water) or an
    appliance of `extra_w` left on (electricity) starts."""
    rng = random.Random(seed)
    daily: dict[date, int] = {}
    nights: dict[date, Night] = {}
    extra = 0.0
    for i in range(days):
        day = start + timedelta(days=i)
        if change_on is not None and day == change_on:
            meter.leak_l_per_h = leak_l_per_h
            extra = extra_w
        begin, end = CALENDAR.start_of(day), CALENDAR.start_of(day + timedelta(days=1))
        night_start, night_end = night_bounds(day, PARIS)
        total = 0.0
        night: list[int] = []
        for t in range(begin, end, 3600):
            before = sum(meter.index.values())
            step_meter(meter, t + 3600, 3600, rng)
            used = sum(meter.index.values()) - before + extra
            total += used
            if night_start <= t < night_end:
                night.append(round(used))
        daily[day] = round(total)
        nights[day] = Night(min(night), sum(night), len(night), True)
    return Usage(meter.persons, daily, nights)


def households(count: int, *, leak_share: float = 0.0, seed: int = 7) -> list[SimMeter]:
    """Simulated meters, half water and half electricity (the simulator's own mix)."""
    return make_meters(count, leak_share=leak_share, seed=seed)
