"""What a billing run bills: the month, each household's billed span, the sub-spans where
versions change, the rows read and the bills waiting for their numbers (pure, no I/O)."""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from operator import itemgetter
from typing import Any, NamedTuple

from tariffs.fast import Priced

_PERIOD = re.compile(r"^(\d{4})-(\d{2})$")


def month_span(period: str) -> tuple[date, date]:
    """First and last day of a billing period written YYYY-MM."""
    match = _PERIOD.match(period)
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ValueError(f"a billing period is a month written YYYY-MM, not {period!r}")
    year, month = int(match.group(1)), int(match.group(2))
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def previous_month(today: date) -> str:
    """The period before the month of `today` (what the monthly job bills)."""
    last = today.replace(day=1) - timedelta(days=1)
    return f"{last.year:04d}-{last.month:02d}"


def billed_span(
    meters: Iterable[tuple[date | None, date | None]], start: date, end: date
) -> tuple[date, date] | None:
    """The days of `start`..`end` a household is billed for, from its meters' installation and
    removal dates (both days of service): from the first installation to the last removal.

    A household that moves in or out during the period is billed for its days only; days
    between two meters (a replacement) stay billed: the subscription ran on.
    """
    spans = []
    for installed, removed in meters:
        first = max(start, installed or start)
        last = min(end, removed or end)
        if first <= last:
            spans.append((first, last))
    if not spans:
        return None
    return min(s for s, _ in spans), max(e for _, e in spans)


def sub_spans(start: date, end: date, boundaries: Iterable[date]) -> list[tuple[date, date]]:
    """`start`..`end` cut before each boundary date inside it (the dates versions change)."""
    cuts = sorted({b for b in boundaries if start < b <= end})
    spans, first = [], start
    for cut in cuts:
        spans.append((first, cut - timedelta(days=1)))
        first = cut
    spans.append((first, end))
    return spans


@dataclass(frozen=True, slots=True)
class Shared:
    """What the bills of households priced alike have in common; `columns` are those of
    `store.RUN_COLUMNS` from `service` to `total_cents`, built once for all of them."""

    service: str
    territory: str
    start: date
    end: date
    priced: Priced
    columns: tuple[Any, ...]


class Pending(NamedTuple):
    """A priced bill of one household and service, waiting for its number."""

    household: int
    reference: str
    estimated_days: int
    usage: str  # {"register": base units} over the span, as JSON
    persons: int
    social: bool
    shared: Shared

    @property
    def service(self) -> str:
        return self.shared.service

    @property
    def priced(self) -> Priced:
        return self.shared.priced

    @property
    def start(self) -> date:
        return self.shared.start

    @property
    def end(self) -> date:
        return self.shared.end


@dataclass(frozen=True)
class Problem:
    """A household and service that could not be billed, and why."""

    reference: str
    service: str
    reason: str

    def __str__(self) -> str:
        return f"{self.reference} {self.service}: {self.reason}"


Row = tuple[Any, ...]
"""A row of a run (`join_usage`): household, service, meter, installed_on, removed_on,
reference, persons, social, territory, register, used, estimated days."""


def join_usage(
    meters: Sequence[Row], usage: Iterable[Row], estimated: dict[tuple[int, str], list[int]]
) -> list[Row]:
    """The rows of a run: each meter (as `store.Session.meters` reads it, by household) with
    each register's use (`store.Session.usage`), or one row with register None and no use.
    The meters of each series with estimated days go to `estimated`, per household."""
    single: dict[int, Row] = {}
    several: dict[int, list[Row]] = {}
    for row in usage:
        meter = row[0]
        if meter in single:
            several.setdefault(meter, [single[meter]]).append(row)
        else:
            single[meter] = row
    rows: list[Row] = []
    for row in meters:
        meter = row[2]
        use = single.get(meter)
        if use is None:
            rows.append((*row, None, 0, 0))
        elif several and meter in several:
            for each in several[meter]:
                rows.append((*row, each[1], each[2], each[3]))
                if each[3]:
                    estimated.setdefault((row[0], row[1]), []).append(meter)
        else:  # one register: nearly every meter
            _, register, used, days = use
            rows.append((*row, register, used, days))
            if days:
                estimated.setdefault((row[0], row[1]), []).append(meter)
    return rows


def to_recount(estimated: Mapping[tuple[int, str], list[int]]) -> dict[int, tuple[int, str]]:
    """The meters of households with several estimated series (meters, registers or
    sub-spans), whose estimated days must be counted as distinct days: meter → household."""
    return {meter: key for key, meters in estimated.items() if len(meters) > 1 for meter in meters}


household_of = itemgetter(0, 1)
"""The (household, service) of a row."""
