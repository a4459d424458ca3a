"""What a billing run bills, as pure functions: the month, each household's billed span, the
sub-spans where versions change, and the priced bills of the households gathered."""

from __future__ import annotations

import calendar
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from tariffs.engine import PricingError
from tariffs.fast import Priced, to_json
from tariffs.pricer import Pricer, Use

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
class Pending:
    """A priced bill of one household and service, waiting for its number."""

    household: int
    reference: str
    service: str
    territory: str
    start: date
    end: date
    estimated_days: int
    usage: str  # {"register": base units} over the span, as JSON
    persons: int
    social: bool
    versions: str  # "3" or "3,4"
    priced: Priced


@dataclass(frozen=True)
class Problem:
    """A household and service that could not be billed, and why."""

    reference: str
    service: str
    reason: str

    def __str__(self) -> str:
        return f"{self.reference} {self.service}: {self.reason}"


@dataclass
class Account:
    """What billing gathers about one household's service before pricing it."""

    reference: str
    persons: int
    social: bool
    territory: str
    meters: list[tuple[int, date | None, date | None]] = field(default_factory=list)
    sums: list[dict[str, int]] = field(default_factory=list)  # per sub-span
    estimated_series: int = 0
    estimated_days: int = 0


def price_accounts(
    start: date,
    end: date,
    spans: Sequence[tuple[date, date]],
    versions: dict[tuple[str, str], list[Any]],
    accounts: dict[tuple[int, str], Account],
) -> tuple[list[Pending], list[Problem]]:
    """Price every account by the versions of its service and territory, into bills waiting
    for their numbers and problems (no tariff in force, registers the tariff does not know)."""
    pricer = Pricer()
    bills: list[Pending] = []
    problems: list[Problem] = []
    for (home, kind), account in sorted(accounts.items()):
        span = billed_span(((i, r) for _, i, r in account.meters), start, end)
        if span is None:
            continue
        found = versions.get((kind, account.territory))
        if not found:
            why = f"no {kind} tariff in force in {account.territory}"
            problems.append(Problem(account.reference, kind, why))
            continue
        parts = tuple(
            (first, tuple(sums.items()))
            for (first, _), sums in zip(spans, account.sums, strict=True)
            if sums
        )
        use = Use(kind, account.persons, account.social, span[0], span[1], parts)
        try:
            priced, ids = pricer.price(found, use)
        except PricingError as exc:
            problems.append(Problem(account.reference, kind, str(exc)))
            continue
        totals: dict[str, int] = defaultdict(int)
        for sums in account.sums:
            for register, value in sums.items():
                totals[register] += value
        bills.append(
            Pending(
                home,
                account.reference,
                kind,
                account.territory,
                span[0],
                span[1],
                account.estimated_days,
                to_json(dict(sorted(totals.items()))),
                account.persons,
                account.social,
                ",".join(map(str, ids)),
                priced,
            )
        )
    return bills, problems
