"""Pricing a run's households into pending bills, some hundreds at a time: households
alike share one priced bill, the others are gathered meter by meter first (pure, no I/O)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date
from functools import lru_cache, partial
from itertools import groupby
from typing import Any

from tariffs.billing_plan import Pending, Problem, Row, Shared, billed_span, household_of
from tariffs.engine import PricingError
from tariffs.fast import Priced, to_json
from tariffs.pricer import Pricer, Use, Version


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
        self.groups: dict[tuple[Any, ...], _Group] = {}  # by service, territory, span, size…
        self.alike: dict[tuple[Any, ...], _Group] = {}  # …and by what the bills depend on
        self.texts: dict[tuple[tuple[str, int], ...], str] = {}
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
        group = self.groups.get((kind, territory, first, last, persons, social))
        if group is None:
            group = self._group(kind, territory, first, last, persons, social)
        billed = group.bills.get(items) if parts is None else None
        if billed is None:
            try:
                billed = group.bill(items, parts)
            except PricingError as exc:
                self.problems.append(Problem(ref, kind, str(exc)))
                return
        common, usage = billed
        # (tuple.__new__: a NamedTuple's own constructor is three times slower.)
        self.bills.append(
            _pending((home, ref, estimated_days, usage, persons, bool(social), common))
        )

    def _group(
        self, kind: str, territory: str, first: date, last: date, persons: int, social: bool
    ) -> _Group:
        found = self.versions.get((kind, territory), [])
        # The bill depends on persons only through per-person thresholds and on the status
        # only through social prices: households alike in the rest share one group.
        size = persons if any(v.tariff.per_person for v in found) else 0
        has_social = any(b.social_price is not None for v in found for b in v.tariff.blocks)
        status = bool(social) and has_social
        key = (id(found), first, last, size, status)
        group = self.alike.get(key)
        if group is None:
            where = (self.period, kind, territory, first, last)
            use = Use(kind, size, status, first, last, ())
            group = self.alike[key] = _Group(self.pricer, found, use, where, self.texts)
        self.groups[(kind, territory, first, last, persons, social)] = group
        return group


class _Group:
    """Households of one service and territory billed over the same days whose bills can
    only differ by their use: each distinct use priced once, with its usage text."""

    def __init__(
        self,
        pricer: Pricer,
        versions: list[Version],
        use: Use,
        where: tuple[str, str, str, date, date],
        texts: dict[tuple[tuple[str, int], ...], str],
    ) -> None:
        self.pricer, self.versions, self.use, self.where, self.texts = (
            pricer, versions, use, where, texts
        )  # fmt: skip
        period, kind, territory, first, last = where
        # The columns of store.RUN_COLUMNS up to the versions, the same for the whole group.
        self.columns = (kind, territory, period, first, last, (last - first).days + 1)
        self.bills: dict[tuple[tuple[str, int], ...], tuple[Shared, str]] = {}
        self.shared: dict[tuple[Any, ...], Shared] = {}
        self._price: Callable[[Mapping[str, int]], tuple[Priced, tuple[int, ...]]] | None = None

    def bill(
        self,
        items: tuple[tuple[str, int], ...],
        parts: tuple[tuple[date, tuple[tuple[str, int], ...]], ...] | None,
    ) -> tuple[Shared, str]:
        """The shared bill and the usage text of `items` (kept for the next household
        alike), or of `parts` when versions change inside the period (not kept)."""
        if not self.versions:
            _, kind, territory, _, _ = self.where
            raise PricingError(f"no {kind} tariff in force in {territory}")
        if parts is None:
            if self._price is None:
                use = self.use
                self._price = self.pricer.for_sums(
                    self.versions, use.service, use.persons, use.social, use.start, use.end
                )
            priced, ids = self._price(dict(items))
        else:
            use = self.use
            whole = Use(use.service, use.persons, use.social, use.start, use.end, parts)
            priced, ids = self.pricer.price(self.versions, whole)
        # (The pricer hands the same bill for uses it prices alike: one Shared for them.)
        common = self.shared.get((id(priced), ids))
        if common is None:
            _, kind, territory, first, last = self.where
            columns = (
                *self.columns, _versions_text(ids), priced.currency,
                priced.total_excl_vat_cents, priced.total_vat_cents, priced.total_cents,
            )  # fmt: skip
            common = Shared(kind, territory, first, last, priced, columns)
            self.shared[(id(priced), ids)] = common
        usage = self.texts.get(items)
        if usage is None:
            usage = self.texts[items] = usage_json(items)
        if parts is None:
            self.bills[items] = (common, usage)
        return common, usage


def usage_json(sums: Sequence[tuple[str, int]]) -> str:
    """`{"register": base units}` sorted by register, as `fast.to_json` writes it."""
    if len(sums) == 1:  # one register: nearly every household
        ((name, value),) = sums
        return f"{{{_quoted(name)}:{value}}}"
    return "{" + ",".join([f"{_quoted(k)}:{v}" for k, v in sorted(sums)]) + "}"


@lru_cache(maxsize=256)
def _quoted(name: str) -> str:
    return to_json(name)


@lru_cache(maxsize=256)
def _versions_text(ids: tuple[int, ...]) -> str:
    """The versions of a bill as stored: "3" or "3,4"."""
    return ",".join(map(str, ids))


def _added(sums: Iterable[dict[str, int]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for one in sums:
        for register, value in one.items():
            total[register] = total.get(register, 0) + value
    return total
