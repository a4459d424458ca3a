"""What a billing run bills, as pure functions: the month, each household's billed span, the
sub-spans where versions change, and the priced bills of the households gathered."""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from tariffs.engine import PricingError
from tariffs.fast import Priced, to_json
from tariffs.pricer import Pricer, Use, Version

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
    `store.BILL_COLUMNS` from `kind` to `total_cents`, built once for all of them."""

    service: str
    territory: str
    start: date
    end: date
    priced: Priced
    columns: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Pending:
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


class Account:
    """What billing gathers about one household's service before pricing it."""

    __slots__ = (
        "estimated_days", "estimated_series", "meters", "persons", "reference", "social",
        "sums", "territory",
    )  # fmt: skip

    def __init__(
        self, reference: str, persons: int, social: bool, territory: str, spans: int
    ) -> None:
        self.reference = reference
        self.persons = persons
        self.social = bool(social)
        self.territory = territory
        self.meters: dict[int, tuple[date | None, date | None]] = {}  # installed, removed
        self.sums: list[dict[str, int]] = [{}] if spans == 1 else [{} for _ in range(spans)]
        self.estimated_series = 0  # (meter, register) series with estimated days
        self.estimated_days = 0


def usage_json(sums: Iterable[tuple[str, int]]) -> str:
    """`{"register": base units}` sorted by register, as `fast.to_json` writes it."""
    return "{" + ",".join([f"{_quoted(k)}:{v}" for k, v in sorted(sums)]) + "}"


@lru_cache(maxsize=256)
def _quoted(name: str) -> str:
    return to_json(name)


def price_accounts(
    period: str,
    start: date,
    end: date,
    spans: Sequence[tuple[date, date]],
    versions: dict[tuple[str, str], list[Version]],
    accounts: dict[tuple[int, str], Account],
) -> tuple[list[Pending], list[Problem]]:
    """Price every account by the versions of its service and territory, into bills waiting
    for their numbers and problems (no tariff in force, registers the tariff does not know)."""
    pricer = Pricer()
    shared: dict[tuple[Any, ...], Shared] = {}
    seen: dict[tuple[Any, ...], Shared] = {}  # a run's households are mostly alike
    texts: dict[tuple[tuple[str, int], ...], str] = {}
    traits: dict[int, tuple[bool, bool]] = {}
    bills: list[Pending] = []
    problems: list[Problem] = []
    whole = len(spans) == 1
    for (home, kind), account in sorted(accounts.items()):
        if len(account.meters) == 1:  # one meter: its own dates, clipped to the period
            ((installed, removed),) = account.meters.values()
            first = start if installed is None or installed < start else installed
            last = end if removed is None or removed > end else removed
            if first > last:
                continue
        else:
            span = billed_span(account.meters.values(), start, end)
            if span is None:
                continue
            first, last = span
        found = versions.get((kind, account.territory))
        if not found:
            why = f"no {kind} tariff in force in {account.territory}"
            problems.append(Problem(account.reference, kind, why))
            continue
        persons, social = account.persons, account.social
        items = tuple(account.sums[0].items()) if whole else tuple(_added(account.sums).items())
        # The bill depends on persons only through per-person thresholds and on the status
        # only through social prices: households alike in the rest share one bill.
        alike = traits.get(id(found))
        if alike is None:
            alike = traits[id(found)] = _traits(found)
        key = (id(found), first, last, persons if alike[0] else 0, social and alike[1], items)
        common = seen.get(key) if whole else None
        if common is None:
            try:
                if whole:
                    sums = dict(items)
                    priced, ids = pricer.price_sums(found, kind, persons, social, first, last, sums)
                else:
                    parts = tuple(
                        (first_day, tuple(use.items()))
                        for (first_day, _), use in zip(spans, account.sums, strict=True)
                        if use
                    )
                    use_ = Use(kind, persons, social, first, last, parts)
                    priced, ids = pricer.price(found, use_)
            except PricingError as exc:
                problems.append(Problem(account.reference, kind, str(exc)))
                continue
            common = shared.get((id(priced), kind, account.territory, first, last, ids))
            if common is None:
                common = _shared(period, kind, account.territory, first, last, priced, ids)
                shared[(id(priced), kind, account.territory, first, last, ids)] = common
            seen[key] = common
        usage = texts.get(items)
        if usage is None:
            usage = texts[items] = usage_json(items)
        bills.append(
            Pending(home, account.reference, account.estimated_days, usage, persons, social, common)
        )
    return bills, problems


def _traits(found: Sequence[Version]) -> tuple[bool, bool]:
    """Whether any of these versions has per-person thresholds, and social prices."""
    per_person = any(v.tariff.per_person for v in found)
    social = any(b.social_price is not None for v in found for b in v.tariff.blocks)
    return per_person, social


def _shared(
    period: str,
    kind: str,
    territory: str,
    first: date,
    last: date,
    priced: Priced,
    ids: tuple[int, ...],
) -> Shared:
    columns = (
        "bill", kind, territory, period, first, last, (last - first).days + 1,
        ",".join(map(str, ids)), priced.currency, priced.total_excl_vat_cents,
        priced.total_vat_cents, priced.total_cents,
    )  # fmt: skip
    return Shared(kind, territory, first, last, priced, columns)


def _added(sums: Iterable[dict[str, int]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for one in sums:
        for register, value in one.items():
            total[register] = total.get(register, 0) + value
    return total
