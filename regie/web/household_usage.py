"""A household's use read once for its page: the recent days one by one and the whole months
before them summed by the database, two queries from which today, this month, this year, the
tariff period, the chart of any scale and the forecast are all taken."""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any, Literal

from metering.tables import DailyUsage

if TYPE_CHECKING:
    from regie.web.household_data import Home

Scale = Literal["day", "month", "year"]
SCALES: tuple[Scale, ...] = ("day", "month", "year")
DAYS_SHOWN = 31
MONTHS_SHOWN = 12
YEARS_SHOWN = 5
ONE_DAY = timedelta(days=1)
Uses = dict[str, dict[str, int]]  # service → meter register → use (base units)


@dataclass(frozen=True)
class Bucket:
    """One bar of a chart: the use of a service over `start`..`end` per meter register."""

    start: date
    end: date
    use: dict[str, int]
    estimated: bool  # some day of it was estimated (a gap between readings)


def buckets(scale: Scale, today: date) -> list[tuple[date, date]]:
    """The spans of the bars: the last 31 days, the last 12 months, or the last 5 years."""
    if scale == "day":
        return [(d, d) for d in (today - timedelta(days=i) for i in range(DAYS_SHOWN - 1, -1, -1))]
    if scale == "month":
        spans = []
        year, month = today.year, today.month
        for _ in range(MONTHS_SHOWN):
            last = calendar.monthrange(year, month)[1]
            spans.append((date(year, month, 1), date(year, month, last)))
            year, month = (year, month - 1) if month > 1 else (year - 1, 12)
        return spans[::-1]
    return [
        (date(y, 1, 1), date(y, 12, 31))
        for y in range(today.year - YEARS_SHOWN + 1, today.year + 1)
    ]


def _add(into: Uses, service: str, register: str, use: int) -> None:
    per = into.setdefault(service, {})
    per[register] = per.get(register, 0) + use


def _merge(into: Uses, uses: Uses | None) -> None:
    """Add `uses` into `into` (a page sums spans of days and months some sixty times)."""
    if not uses:
        return
    for service, registers in uses.items():
        per = into.get(service)
        if per is None:
            into[service] = dict(registers)
            continue
        for register, use in registers.items():
            per[register] = per.get(register, 0) + use


@dataclass(frozen=True)
class Usage:
    """Each day from `first_day` to `today`, and each whole month from `first_month` to the
    month before today's, per service and meter register, with the services some of whose
    days were estimated (a gap between readings)."""

    home: Home
    today: date
    first_day: date
    first_month: date
    days: dict[date, Uses]
    days_estimated: dict[date, set[str]]
    months: dict[date, Uses]  # keyed by the month's first day
    months_estimated: dict[date, set[str]]
    _sums: dict[tuple[date, date], Uses] = field(default_factory=dict, compare=False, repr=False)

    @property
    def this_month(self) -> date:
        return self.today.replace(day=1)

    def fingerprint(self) -> tuple[Any, ...]:
        """Everything read, as a key: two reads alike give pages alike."""
        return (
            self.today, self.first_day, self.first_month,
            _frozen(self.days), _frozen(self.months),
            tuple(sorted((d, tuple(sorted(s))) for d, s in self.days_estimated.items())),
            tuple(sorted((d, tuple(sorted(s))) for d, s in self.months_estimated.items())),
        )  # fmt: skip

    def covers(self, start: date) -> bool:
        """Whether the use from `start` to today can be taken from what was read."""
        if start >= self.first_day:
            return True
        return start.day == 1 and self.first_month <= start <= self.this_month

    def between(self, start: date, end: date | None = None) -> Uses:
        """The use from `start` to `end` (today by default), inclusive; `covers(start)` and
        `end` is today or a day read one by one, or the eve of a month read whole."""
        end = self.today if end is None else end
        if start == end and start >= self.first_day:  # one day: a day bar of the chart
            return {s: dict(registers) for s, registers in self.days.get(start, {}).items()}
        key = (start, end)
        if key not in self._sums:  # a page asks for the same spans several times
            self._sums[key] = self._between(start, end)
        return {service: dict(registers) for service, registers in self._sums[key].items()}

    def _between(self, start: date, end: date) -> Uses:
        found: Uses = {}
        day = start
        if start < self.first_day:  # whole months up to today's
            while day < self.this_month and day <= end:
                _merge(found, self.months.get(day))
                day = _next_month(day)
        while day <= end:  # the days of the span, looked up one by one
            _merge(found, self.days.get(day))
            day += ONE_DAY
        return found

    def estimated(self, start: date, end: date, service: str) -> bool:
        if start == end and start >= self.first_day:
            return service in self.days_estimated.get(start, ())
        if start < self.first_day and start.day == 1:
            day = start
            while day < self.this_month and day <= end:
                if service in self.months_estimated.get(day, ()):
                    return True
                day = _next_month(day)
            start = max(day, start)
        day = start
        while day <= end:
            if service in self.days_estimated.get(day, ()):
                return True
            day += ONE_DAY
        return False

    def series(self, scale: Scale) -> dict[str, list[Bucket]]:
        """Per service, the bars of `scale` up to today (no bar after today), as
        `household_data.series` draws them."""
        spans = buckets(scale, self.today)
        services = self.home.services()
        cut = [(s, min(e, self.today)) for s, e in spans]
        sums = [self.between(a, b) for a, b in cut]  # all services at once
        use = {s: [found.get(s, {}) for found in sums] for s in services}
        first = 0
        if scale == "year":  # years before the first use are left out
            while first < len(spans) - 1 and not any(use[s][first] for s in use):
                first += 1
        return {
            service: [
                Bucket(a, b, u, self.estimated(a, b, service))
                for (a, b), u in zip(cut, use[service], strict=True)
            ][first:]
            for service in services
        }


def _frozen(uses: dict[date, Uses]) -> tuple[Any, ...]:
    return tuple(
        (day, tuple((s, tuple(sorted(r.items()))) for s, r in sorted(per.items())))
        for day, per in sorted(uses.items())
    )


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def earliest(scale: Scale, today: date, *starts: date) -> date:
    """The first month the page needs: this year's, the chart's first bar's, and `starts`
    (the tariff periods') when they begin on a month's first day."""
    found = min(today.replace(month=1, day=1), buckets(scale, today)[0][0])
    for start in starts:
        if start.day == 1:
            found = min(found, start)
    return found


Months = tuple[dict[date, Uses], dict[date, set[str]]]  # use per month, months estimated


async def read_usage(
    home: Home,
    today: date,
    first_month: date,
    months_reader: Callable[[date, date], Awaitable[Months]] | None = None,
) -> Usage:
    """Days one by one over the last 31 days (and this month), whole months from
    `first_month` (a month's first day) on: two queries through the meters' index. The
    months come from `months_reader(first_month, this_month)` when given (a cache)."""
    this_month = today.replace(day=1)
    first_day = min(today - timedelta(days=DAYS_SHOWN - 1), this_month)
    if first_month >= first_day:  # the days read one by one cover it
        first_month = this_month
    days: dict[date, Uses] = defaultdict(dict)
    days_estimated: dict[date, set[str]] = defaultdict(set)
    months: Months = ({}, {})
    meters = list(home.meters)
    if meters:
        among = ", ".join(["{}"] * len(meters))
        rows = await DailyUsage.raw(DAYS.replace("AMONG", among), *meters, first_day, today)
        for r in rows:
            service, day = home.meters[r["meter"]], _as_date(r["day"])
            _add(days[day], service, r["register"], int(r["consumption"]))
            if r["quality"] == "estimated":
                days_estimated[day].add(service)
        if first_month < this_month:
            months = await (months_reader or partial(read_months, home))(first_month, this_month)
    return Usage(
        home, today, first_day, first_month, dict(days), dict(days_estimated), *months
    )  # fmt: skip


async def read_months(home: Home, first_month: date, this_month: date) -> Months:
    """The use of each whole month from `first_month` to the month before `this_month`,
    summed by the database."""
    months: dict[date, Uses] = defaultdict(dict)
    estimated: dict[date, set[str]] = defaultdict(set)
    among = ", ".join(["{}"] * len(home.meters))
    sql = MONTHS[DailyUsage._meta.db.engine_type].replace("AMONG", among)
    for r in await DailyUsage.raw(sql, *home.meters, first_month, this_month):
        service, month = home.meters[r["meter"]], date(int(r["y"]), int(r["m"]), 1)
        _add(months[month], service, r["register"], int(r["use"] or 0))
        if r["quality"] == "estimated":
            estimated[month].add(service)
    return dict(months), dict(estimated)


# Every household page runs these two: written out once rather than built by the query
# builder at each request. AMONG becomes one placeholder per meter of the household.
_TABLE = DailyUsage._meta.tablename
DAYS = (
    f"SELECT meter, day, register, consumption, quality FROM {_TABLE}"
    " WHERE meter IN (AMONG) AND day >= {} AND day <= {}"
)
_GROUPED = (
    "SELECT meter, register, quality, YEAR AS y, MONTH AS m, SUM(consumption) AS use"
    f" FROM {_TABLE} WHERE meter IN (AMONG) AND day >= {{}} AND day < {{}}"
    " GROUP BY meter, register, quality, y, m"
)
MONTHS = {
    "postgres": _GROUPED.replace("YEAR", "CAST(EXTRACT(YEAR FROM day) AS INTEGER)").replace(
        "MONTH", "CAST(EXTRACT(MONTH FROM day) AS INTEGER)"
    ),
    "sqlite": _GROUPED.replace("YEAR", "CAST(strftime('%Y', day) AS INTEGER)").replace(
        "MONTH", "CAST(strftime('%m', day) AS INTEGER)"
    ),
}


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
