"""Night use of a meter from its readings: the lowest hourly use between 00:00 and 05:00 (pure).

A home draws no water at night unless something leaks, and its electricity falls to a base
load: the lowest hour of the night tells both. Each hour's use is the index at its end minus
the index at its start, each interpolated between the readings around it, but only across a
gap of at most `max_gap` seconds: a meter that reports once a day would otherwise draw a
straight line through the night and look like a leak.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from itertools import pairwise
from zoneinfo import ZoneInfo

from metering.validation import StepRules, step

NIGHT_END_HOUR = 5  # the night runs from local midnight to 05:00
MAX_GAP = 3600


@dataclass(frozen=True, slots=True)
class Night:
    min_hour: int  # lowest use of one known hour, L or Wh (an upper bound when incomplete)
    total: int  # use over the known hours
    hours: int  # hours of the night whose use is known
    complete: bool  # every hour known: min_hour is the night's true minimum


def night_bounds(day: date, zone: ZoneInfo) -> tuple[int, int]:
    """Epoch seconds of local midnight starting `day` and of 05:00 that day (4 or 6 hours
    apart on the nights clocks change)."""
    start = datetime(day.year, day.month, day.day, tzinfo=zone)
    end = start.replace(hour=NIGHT_END_HOUR)
    return int(start.astimezone(UTC).timestamp()), int(end.astimezone(UTC).timestamp())


def night_of(
    series: Mapping[str, Sequence[tuple[int, int]]],
    day: date,
    zone: ZoneInfo,
    *,
    digits: int = 0,
    max_gap: int = MAX_GAP,
) -> Night | None:
    """The night of `day` from each register's accepted readings `(ts, raw index)` in
    ascending order (registers add up: hchc + hchp); None when no hour is known."""
    start, end = night_bounds(day, zone)
    bounds = list(range(start, end + 1, 3600))
    indexes: list[float | None] = [0.0] * len(bounds)
    for points in series.values():
        cumulative = _cumulative(points, StepRules(digits=digits))
        for i, b in enumerate(bounds):
            total = indexes[i]
            value = _index_at(cumulative, b, max_gap)
            indexes[i] = None if total is None or value is None else total + value
    hours = []
    for before, after in pairwise(indexes):
        if before is not None and after is not None:
            hours.append(round(after) - round(before))
    if not series or not hours:
        return None
    return Night(min(hours), sum(hours), len(hours), len(hours) == len(bounds) - 1)


def _cumulative(points: Sequence[tuple[int, int]], rules: StepRules) -> list[tuple[int, int]]:
    """Readings as a growing index: rollovers unwrapped, refused steps left out."""
    out: list[tuple[int, int]] = []
    prev_ts = prev_raw = cum = 0
    for ts, raw in points:
        if out:
            delta, flag = step(prev_raw, raw, ts - prev_ts, rules)
            if flag is not None:
                continue
            cum += delta
        else:
            cum = raw
        out.append((ts, cum))
        prev_ts, prev_raw = ts, raw
    return out


def _index_at(points: list[tuple[int, int]], ts: int, max_gap: int) -> float | None:
    i = bisect_left(points, (ts, -(2**63)))
    if i < len(points) and points[i][0] == ts:
        return float(points[i][1])
    if i == 0 or i == len(points):
        return None
    (t0, v0), (t1, v1) = points[i - 1], points[i]
    if t1 - t0 > max_gap:
        return None
    return v0 + (v1 - v0) * (ts - t0) / (t1 - t0)
