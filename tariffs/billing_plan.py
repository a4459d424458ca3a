"""What a billing run bills, as pure functions: the month, each household's billed span, the
sub-spans where versions change, and the priced bills of the households gathered."""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache, partial
from itertools import groupby
from operator import itemgetter
from typing import Any, NamedTuple

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
            continue
        for each in several.get(meter, (use,)):
            rows.append((*row, each[1], each[2], each[3]))
            if each[3]:
                estimated.setdefault((row[0], row[1]), []).append(meter)
    return rows


class Account:
    """What billing gathers about one household's service when it has several rows (meters,
    registers or sub-spans)."""

    __slots__ = (
        "estimated_days", "meters", "persons", "reference", "social",
        "sums", "territory",
    )  # fmt: skip

    def __init__(self, row: Row, spans: int) -> None:
        self.reference, self.persons, self.social, self.territory = row[5:9]
        self.meters: dict[int, tuple[date | None, date | None]] = {}  # installed, removed
        self.sums: list[dict[str, int]] = [{} for _ in range(spans)]  # per sub-span
        self.estimated_days = 0

    def add(self, row: Row, span: int) -> None:
        self.meters[row[2]] = (row[3], row[4])
        register, used, estimated = row[9:12]
        if register is not None:
            sums = self.sums[span]
            sums[register] = sums.get(register, 0) + used
            self.estimated_days += estimated or 0


def bill_chunks(
    period: str,
    start: date,
    end: date,
    spans: Sequence[tuple[date, date]],
    versions: dict[tuple[str, str], list[Version]],
    per_span: Sequence[Sequence[Row]],
    recounted: Mapping[tuple[int, str], int],
    size: int = 500,
) -> Iterator[tuple[list[Pending], list[Problem]]]:
    """The bills of `period` and the problems, some `size` households at a time (so that a
    billing run can write a chunk while it prices the next), from the rows read for each
    sub-span, ordered by household and service. `recounted` holds the estimated days of
    households where several series were estimated (each day counted once)."""
    biller = _Biller(period, start, end, spans, versions, recounted)
    if len(spans) == 1:
        # The usual run: one row per household and service (one meter, one register) goes
        # straight to pricing; the others are gathered first.
        for n, ((home, kind), found) in enumerate(groupby(per_span[0], household_of), 1):
            group = list(found)
            if len(group) > 1:
                account = Account(group[0], 1)
                for row in group:
                    account.add(row, 0)
                biller.add_account(home, kind, account)
            else:
                (_, _, _, installed, removed, ref, persons, social, where, register, used,
                 estimated) = group[0]  # fmt: skip
                first = start if installed is None or installed < start else installed
                last = end if removed is None or removed > end else removed
                if first <= last:
                    items = () if register is None else ((register, used),)
                    biller.add(home, kind, ref, persons, social, where, first, last, items,
                               estimated or 0)  # fmt: skip
            if n % size == 0:
                yield biller.take()
    else:
        accounts: dict[tuple[int, str], Account] = {}
        for i, rows in enumerate(per_span):
            for row in rows:
                key = (row[0], row[1])
                gathered = accounts.get(key)
                if gathered is None:
                    gathered = accounts[key] = Account(row, len(spans))
                gathered.add(row, i)
        for n, ((home, kind), gathered) in enumerate(sorted(accounts.items()), 1):
            biller.add_account(home, kind, gathered)
            if n % size == 0:
                yield biller.take()
    yield biller.take()


def to_recount(estimated: Mapping[tuple[int, str], list[int]]) -> dict[int, tuple[int, str]]:
    """The meters of households with several estimated series (meters, registers or
    sub-spans), whose estimated days must be counted as distinct days: meter → household."""
    return {meter: key for key, meters in estimated.items() if len(meters) > 1 for meter in meters}


household_of = itemgetter(0, 1)
"""The (household, service) of a row."""
_pending = partial(tuple.__new__, Pending)


class _Biller:
    """Prices households one by one into pending bills; households alike (same versions,
    span, use, and persons and status where they matter) share one priced bill."""

    def __init__(
        self,
        period: str,
        start: date,
        end: date,
        spans: Sequence[tuple[date, date]],
        versions: dict[tuple[str, str], list[Version]],
        recounted: Mapping[tuple[int, str], int],
    ) -> None:
        self.period, self.start, self.end, self.spans = period, start, end, spans
        self.versions = versions
        self.recounted = recounted
        self.pricer = Pricer()
        self.seen: dict[tuple[Any, ...], Shared] = {}
        self.shared: dict[tuple[Any, ...], Shared] = {}
        self.texts: dict[tuple[tuple[str, int], ...], str] = {}
        self.contexts: dict[tuple[str, str], tuple[list[Version], bool, bool]] = {}
        self.bills: list[Pending] = []
        self.problems: list[Problem] = []

    def take(self) -> tuple[list[Pending], list[Problem]]:
        """The bills and problems so far, handed over."""
        taken = self.bills, self.problems
        self.bills, self.problems = [], []
        return taken

    def add_account(self, home: int, kind: str, account: Account) -> None:
        span = billed_span(account.meters.values(), self.start, self.end)
        if span is None:
            return
        parts = None
        if len(self.spans) > 1:
            parts = tuple(
                (first_day, tuple(use.items()))
                for (first_day, _), use in zip(self.spans, account.sums, strict=True)
                if use
            )
        items = tuple(_added(account.sums).items())
        estimated = self.recounted.get((home, kind), account.estimated_days)
        ref, persons, social, where = (
            account.reference, account.persons, account.social, account.territory
        )  # fmt: skip
        self.add(home, kind, ref, persons, social, where, *span, items, estimated, parts)

    def add(
        self,
        home: int,
        kind: str,
        ref: str,
        persons: int,
        social: bool,
        territory: str,
        first: date,
        last: date,
        items: tuple[tuple[str, int], ...],
        estimated_days: int,
        parts: tuple[tuple[date, tuple[tuple[str, int], ...]], ...] | None = None,
    ) -> None:
        context = self.contexts.get((kind, territory))
        if context is None:
            context = self.contexts[(kind, territory)] = self._context(kind, territory)
        found, per_person, has_social = context
        if not found:
            why = f"no {kind} tariff in force in {territory}"
            self.problems.append(Problem(ref, kind, why))
            return
        social = bool(social)
        # The bill depends on persons only through per-person thresholds and on the status
        # only through social prices: households alike in the rest share one bill.
        key = (id(found), first, last, persons if per_person else 0, social and has_social, items)
        common = self.seen.get(key) if parts is None else None
        if common is None:
            try:
                if parts is None:
                    priced, ids = self.pricer.price_sums(
                        found, kind, persons, social, first, last, dict(items)
                    )
                else:
                    use = Use(kind, persons, social, first, last, parts)
                    priced, ids = self.pricer.price(found, use)
            except PricingError as exc:
                self.problems.append(Problem(ref, kind, str(exc)))
                return
            shared_key = (id(priced), kind, territory, first, last, ids)
            common = self.shared.get(shared_key)
            if common is None:
                common = _shared(self.period, kind, territory, first, last, priced, ids)
                self.shared[shared_key] = common
            self.seen[key] = common
        usage = self.texts.get(items)
        if usage is None:
            usage = self.texts[items] = usage_json(items)
        # (tuple.__new__: a NamedTuple's own constructor is three times slower.)
        self.bills.append(_pending((home, ref, estimated_days, usage, persons, social, common)))

    def _context(self, kind: str, territory: str) -> tuple[list[Version], bool, bool]:
        """The versions of a service and territory, and whether any has per-person
        thresholds, and social prices."""
        found = self.versions.get((kind, territory), [])
        per_person = any(v.tariff.per_person for v in found)
        social = any(b.social_price is not None for v in found for b in v.tariff.blocks)
        return found, per_person, social


def usage_json(sums: Iterable[tuple[str, int]]) -> str:
    """`{"register": base units}` sorted by register, as `fast.to_json` writes it."""
    return "{" + ",".join([f"{_quoted(k)}:{v}" for k, v in sorted(sums)]) + "}"


@lru_cache(maxsize=256)
def _quoted(name: str) -> str:
    return to_json(name)


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
        kind, territory, period, first, last, (last - first).days + 1,
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
