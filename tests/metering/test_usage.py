"""Daily usage: interpolation at midnights, gaps, rollovers and incremental equals batch."""

from datetime import UTC, date, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from metering.usage import ESTIMATED, MEASURED, DayCalendar, advance, replay
from metering.validation import StepRules

CAL = DayCalendar("UTC")
PARIS = DayCalendar("Europe/Paris")
RULES = StepRules()


def ts(*args: int) -> int:
    return int(datetime(*args, tzinfo=UTC).timestamp())


def test_readings_at_midnight_give_exact_days() -> None:
    points = [(ts(2026, 1, 1), 1000), (ts(2026, 1, 2), 1150), (ts(2026, 1, 3), 1400)]
    days = replay(points, RULES, CAL).days
    assert days == {
        date(2026, 1, 1): (150, MEASURED),
        date(2026, 1, 2): (250, MEASURED),
        date(2026, 1, 3): (0, MEASURED),
    }


def test_a_gap_is_interpolated_and_estimated() -> None:
    # 12:00 on the 1st to 12:00 on the 4th: 300 L over 72 h, 100 L per whole day.
    points = [(ts(2026, 1, 1, 12), 0), (ts(2026, 1, 4, 12), 300)]
    days = replay(points, RULES, CAL).days
    assert days == {
        date(2026, 1, 1): (50, MEASURED),
        date(2026, 1, 2): (100, ESTIMATED),
        date(2026, 1, 3): (100, ESTIMATED),
        date(2026, 1, 4): (50, MEASURED),
    }


def test_a_late_reading_fills_the_gap() -> None:
    points = [(ts(2026, 1, 1, 12), 0), (ts(2026, 1, 2, 12), 200), (ts(2026, 1, 4, 12), 300)]
    days = replay(points, RULES, CAL).days
    # 100 at midnight on the 2nd, 225 at midnight on the 3rd (200 + 100 × 12/48).
    assert days[date(2026, 1, 2)] == (125, MEASURED)
    assert days[date(2026, 1, 3)] == (50, ESTIMATED)


def test_rollover_counts_forward() -> None:
    points = [(ts(2026, 1, 1, 0), 99_990), (ts(2026, 1, 1, 6), 99_998), (ts(2026, 1, 1, 12), 3)]
    days = replay(points, StepRules(digits=5), CAL).days
    assert days == {date(2026, 1, 1): (13, MEASURED)}


def test_flagged_readings_are_excluded() -> None:
    points = [(ts(2026, 1, 1, 0), 100), (ts(2026, 1, 1, 1), 50), (ts(2026, 1, 1, 2), 130)]
    result = replay(points, StepRules(), CAL)
    assert result.flags[ts(2026, 1, 1, 1)] == "negative"
    assert result.days == {date(2026, 1, 1): (30, MEASURED)}


def test_days_follow_the_local_time_zone() -> None:
    # 23:30 UTC on 31 March is 01:30 in Paris on 1 April (summer time).
    points = [(ts(2026, 3, 31, 12), 0), (ts(2026, 3, 31, 23, 30), 100)]
    days = replay(points, RULES, PARIS).days
    assert set(days) == {date(2026, 3, 31), date(2026, 4, 1)}


series = st.lists(
    st.tuples(st.integers(min_value=60, max_value=3 * 86_400), st.integers(0, 5_000)),
    min_size=1,
    max_size=40,
)


def _points(steps: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out, t, v = [], ts(2026, 3, 20), 0
    for dt, dv in steps:
        t, v = t + dt, v + dv
        out.append((t, v))
    return out


@settings(max_examples=150)
@given(steps=series)
def test_days_add_up_to_the_index_difference(steps: list[tuple[int, int]]) -> None:
    points = _points(steps)
    days = replay(points, RULES, PARIS).days
    assert sum(c for c, _ in days.values()) == points[-1][1] - points[0][1]
    assert all(c >= 0 for c, _ in days.values())


@settings(max_examples=150)
@given(steps=series, cut=st.integers(min_value=0, max_value=40))
def test_incremental_equals_batch(steps: list[tuple[int, int]], cut: int) -> None:
    points = _points(steps)
    whole = replay(points, RULES, PARIS)
    first = advance(None, points[:cut], RULES, PARIS)
    second = advance(first.state, points[cut:], RULES, PARIS)
    merged = {**first.days, **second.days}
    assert merged == whole.days
