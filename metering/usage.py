"""Daily usage from register readings, as a pure state machine that ingest advances incrementally.

The consumption of a local day is the index at its end minus the index at its start, each
index at midnight interpolated on a straight line between the readings around it. Rounding is
done at each midnight, so the days of a series add up exactly to the difference of its first
and last accepted indexes. A day with a reading in it is `measured`; a day that lies wholly
inside a gap between two readings is `estimated`, and becomes measured when a late reading
fills it (the series is then replayed from before that day).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from metering.validation import StepRules, step

MEASURED = "measured"
ESTIMATED = "estimated"


class DayCalendar:
    """Local days of the régie's time zone: which day an instant falls in, when a day starts."""

    def __init__(self, timezone: str) -> None:
        self.zone = ZoneInfo(timezone)
        self._starts: dict[date, int] = {}

    def day_of(self, ts: int) -> date:
        return datetime.fromtimestamp(ts, self.zone).date()

    def start_of(self, day: date) -> int:
        """Epoch seconds of the local midnight that starts `day` (23 or 25 hours on DST days)."""
        start = self._starts.get(day)
        if start is None:
            local = datetime(day.year, day.month, day.day, tzinfo=self.zone)
            start = int(local.astimezone(UTC).timestamp())
            self._starts[day] = start
        return start


@dataclass(slots=True)
class SeriesState:
    """Where a (meter, register) series stands after its latest accepted reading."""

    last_ts: int
    last_raw: int
    last_cum: int  # raw index plus the rollovers seen so far
    day: date  # local day of last_ts
    day_start_cum: float  # interpolated cumulative index at the start of `day`
    next_midnight: int  # epoch seconds of the end of `day`


@dataclass(slots=True)
class Advance:
    """What a run of readings changed: the new state, days to upsert, flag of each reading."""

    state: SeriesState | None
    days: dict[date, tuple[int, str]] = field(default_factory=dict)
    flags: dict[int, str | None] = field(default_factory=dict)


def advance(
    state: SeriesState | None,
    points: Iterable[tuple[int, int]],
    rules: StepRules,
    calendar: DayCalendar,
) -> Advance:
    """Apply readings `(ts, raw)` in ascending order, each later than `state.last_ts`."""
    result = Advance(state)
    for ts, raw in points:
        if state is None:
            day = calendar.day_of(ts)
            state = SeriesState(ts, raw, raw, day, float(raw), calendar.start_of(_next(day)))
            result.flags[ts] = None
            continue
        delta, flag = step(state.last_raw, raw, ts - state.last_ts, rules)
        result.flags[ts] = flag
        if flag is not None:
            continue
        quality = MEASURED  # the day of the previous reading had that reading in it
        while ts >= state.next_midnight:
            midnight = state.next_midnight
            cum_at_midnight = state.last_cum + delta * (midnight - state.last_ts) / (
                ts - state.last_ts
            )
            result.days[state.day] = (
                round(cum_at_midnight) - round(state.day_start_cum),
                quality,
            )
            quality = ESTIMATED  # any further day lies wholly inside the gap
            state.day = _next(state.day)
            state.day_start_cum = cum_at_midnight
            state.next_midnight = calendar.start_of(_next(state.day))
        state.last_ts, state.last_raw, state.last_cum = ts, raw, state.last_cum + delta
    if state is not None:
        result.days[state.day] = (state.last_cum - round(state.day_start_cum), MEASURED)
    result.state = state
    return result


def replay(
    points: Iterable[tuple[int, int]],
    rules: StepRules,
    calendar: DayCalendar,
    emit_from: date | None = None,
) -> Advance:
    """A series recomputed from scratch; days before `emit_from` are left out of the result."""
    result = advance(None, points, rules, calendar)
    if emit_from is not None:
        result.days = {day: value for day, value in result.days.items() if day >= emit_from}
    return result


def _next(day: date) -> date:
    return day + timedelta(days=1)
