"""Consumption aggregates of one service in one territory, for the committee's dashboard and
the open data: households by block, use per month against the year before, the estimated
share, social households and revenue. Sums only: no name, address or reference is read."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction
from math import floor
from typing import Any

from piccolo.query.functions.aggregate import Sum
from piccolo.query.functions.datetime import Month, Year

from metering.tables import DailyUsage, Meter
from metering.units import BASE_UNITS
from regie.core import versions
from regie.web.memo import Memo
from tariffs.billing_plan import month_span
from tariffs.engine import PricingError, conversion_factor
from tariffs.model import Tariff
from tariffs.money import period_share, to_fraction
from tariffs.pricer import tariff_uses
from tariffs.tables import Bill


@dataclass(frozen=True)
class HouseholdUse:
    """One household's use of the service over a span (base units per meter register)."""

    household: int
    persons: int
    social: bool
    sums: dict[str, int]


@dataclass(frozen=True)
class Served:
    """The households with a meter of the service, and their meters."""

    homes: dict[int, tuple[int, bool]]  # household → (persons, social)
    owner: dict[int, int]  # meter → household


async def served(service: str, territory: str) -> Served:
    rows = await Meter.select(
        Meter.id,
        Meter.household,
        Meter.household.persons.as_alias("persons"),
        Meter.household.social.as_alias("social"),
    ).where((Meter.service == service) & (Meter.household.territory == territory))
    homes = {
        int(r["household"]): (int(r["persons"] or 1), bool(r["social"]))
        for r in rows
        if r["household"] is not None
    }
    owner = {int(r["id"]): int(r["household"]) for r in rows if r["household"] is not None}
    return Served(homes, owner)


@dataclass(frozen=True)
class Monthly:
    """The use of every household served, per calendar month (base units per meter register),
    and the part of it estimated for days without readings."""

    who: Served
    spans: tuple[tuple[date, date], ...]  # whole months, oldest first
    sums: dict[int, list[dict[str, int]]]  # household → per month → register → use
    estimated: dict[int, list[dict[str, int]]]

    def over(self, first: int, last: int) -> list[HouseholdUse]:
        """Each household's use over months `first` to `last` (indexes, inclusive)."""
        out = []
        for home, (persons, social) in self.who.homes.items():
            added: dict[str, int] = {}
            for month in self.sums[home][first : last + 1]:
                for register, use in month.items():
                    added[register] = added.get(register, 0) + use
            out.append(HouseholdUse(home, persons, social, added))
        return out

    def month_totals(self) -> list[MonthUse]:
        """All households' use per month (a `total` beside named registers counted once);
        computed once per cached `Monthly`, since it depends on nothing else."""
        cached: list[MonthUse] | None = self.__dict__.get("_month_totals")
        if cached is not None:
            return cached
        named = {h: _named(months) for h, months in self.sums.items()}  # once per household
        totals = []
        for i, (start, end) in enumerate(self.spans):
            use = sum(shown_total(months[i]) for months in self.sums.values())
            guessed = sum(shown_total(self.estimated[h][i], named=named[h]) for h in self.sums)
            totals.append(MonthUse(start, end, use, guessed))
        object.__setattr__(self, "_month_totals", totals)  # frozen: a memo, not a change
        return totals


def _named(months: Iterable[Mapping[str, int]]) -> bool:
    return any(r != "total" for month in months for r in month)


# The monthly sums of a committee's households: reading a year of daily usage of every
# household is the dashboard's cost. Kept per span and data versions (regie.core.versions):
# a change to meters, households or the usage of a month of the span reads again.
_MONTHLY: Memo[Monthly] = Memo(size=16)
IMPACTS: Memo[Any] = Memo(size=64)  # tariff drafts' impacts (committee_data)
TABLES = ("meter", "household", "tariff_version", "bill")


async def monthly(service: str, territory: str, start: date, end: date) -> Monthly:
    """The use per household and month over the whole months from `start` to `end`."""
    key = (service, territory, start, end, await fingerprint(start, end))

    async def read() -> Monthly:
        return await _read_monthly(await served(service, territory), start, end)

    return await _MONTHLY.get(key, read)


async def fingerprint(start: date, end: date) -> tuple[Any, ...]:
    """The data versions of meters, households, tariff versions, bills and the usage of the
    months from `start` to `end` (one query): read it before the data it guards."""
    return versions.pick(await versions.data_versions(), names(start, end))


def names(start: date, end: date) -> tuple[str, ...]:
    """The data versions of what the sums of the months from `start` to `end` read."""
    return (*TABLES, *versions.month_names(start, end))


def forget() -> None:
    """Empty the caches of monthly sums and impacts."""
    _MONTHLY.clear()
    IMPACTS.clear()


async def _read_monthly(who: Served, start: date, end: date) -> Monthly:
    """One grouped read of daily usage (by meter, register, quality and month) over the
    whole months from `start` to `end`, through the meters' index."""
    spans = tuple(months_back(end, months_between(start, end)))
    index = {(s.year, s.month): i for i, (s, _) in enumerate(spans)}
    sums: dict[int, list[dict[str, int]]] = {h: [{} for _ in spans] for h in who.homes}
    estimated: dict[int, list[dict[str, int]]] = {h: [{} for _ in spans] for h in who.homes}
    if not who.owner:
        return Monthly(who, spans, sums, estimated)
    rows = (
        await DailyUsage.select(
            DailyUsage.meter, DailyUsage.register, DailyUsage.quality,
            Year(DailyUsage.day, alias="y"), Month(DailyUsage.day, alias="m"),
            Sum(DailyUsage.consumption, alias="use"),
        )
        .where(
            DailyUsage.meter.is_in(list(who.owner))
            & (DailyUsage.day >= spans[0][0]) & (DailyUsage.day <= spans[-1][1])
        )
        .group_by(
            DailyUsage.meter, DailyUsage.register, DailyUsage.quality,
            Year(DailyUsage.day), Month(DailyUsage.day),
        )
    )  # fmt: skip
    for r in rows:
        home, month = who.owner[int(r["meter"])], index.get((int(r["y"]), int(r["m"])))
        if month is None:
            continue
        use, register = int(r["use"] or 0), r["register"]
        into = sums[home][month]
        into[register] = into.get(register, 0) + use
        if r["quality"] == "estimated":
            guessed = estimated[home][month]
            guessed[register] = guessed.get(register, 0) + use
    return Monthly(who, spans, sums, estimated)


def tariff_sums(tariff: Tariff, sums: Mapping[str, int]) -> tuple[int, ...]:
    """Use per tariff register (PricingError for registers the tariff does not know)."""
    return tariff_uses(tariff, sums) if sums else (0,) * len(tariff.registers)


def blocked_use(tariff: Tariff, uses: tuple[int, ...]) -> int:
    """The use the blocks price, in base units (L, Wh)."""
    if tariff.block_register:
        return uses[tariff.registers.index(tariff.block_register)]
    return sum(uses)


def caps(tariff: Tariff, persons: int, share: Fraction) -> list[int | None]:
    """Each block's threshold for `persons` over `share` of the tariff period (prorated as
    bills prorate it), in whole base units rounded down: for a use in whole base units,
    `use > cap` says exactly what the exact threshold says (tariffs.impact.block_reached)."""
    factor = conversion_factor(tariff.unit, BASE_UNITS[tariff.service])
    found: list[int | None] = []
    for block in tariff.blocks:
        threshold = block.threshold(persons)
        found.append(None if threshold is None else floor(to_fraction(threshold) * share * factor))
    return found


def reached_block(used: int, tops: list[int | None]) -> int:
    """The index of the highest block that `used` reaches (the first for no use)."""
    reached = 0
    for i, top in enumerate(tops[:-1]):
        if top is not None and used > top:
            reached = i + 1
    return reached


def split_by_block(used: int, tops: list[int | None]) -> list[int]:
    """How much of `used` falls in each block (thresholds are cumulative from zero)."""
    parts, below = [], 0
    for top in tops:
        ceiling = used if top is None else max(below, top)
        parts.append(max(0, min(used, ceiling) - below))
        below = max(below, ceiling)
    return parts


@dataclass(frozen=True)
class BlockRow:
    name: str
    households: int
    social: int
    use: int  # base units of use falling in this block, all households (to the L or Wh)
    use_of_households: int  # base units, all the use of the households reaching it


@dataclass(frozen=True)
class Distribution:
    blocks: tuple[BlockRow, ...]
    reached: dict[int, str]  # household → the highest block its use reaches
    unpriced: int  # households whose registers the tariff does not know


def distribute(
    tariff: Tariff | None, uses: Iterable[HouseholdUse], start: date, end: date
) -> Distribution:
    """Households by the highest block they reach, and the use falling in each block."""
    if tariff is None or not tariff.blocks:
        return Distribution((), {}, 0)
    share = period_share(tariff.period, start, end)
    names = [b.name for b in tariff.blocks]
    counts, social = [0] * len(names), [0] * len(names)
    volume, theirs = [0] * len(names), [0] * len(names)
    reached: dict[int, str] = {}
    unpriced = 0
    tops: dict[int, list[int | None]] = {}  # per number of persons
    for home in uses:
        try:
            per_register = tariff_sums(tariff, home.sums)
        except PricingError:
            unpriced += 1
            continue
        if home.persons not in tops:
            tops[home.persons] = caps(tariff, home.persons, share)
        used = blocked_use(tariff, per_register)
        i = reached_block(used, tops[home.persons])
        reached[home.household] = names[i]
        counts[i] += 1
        social[i] += home.social
        theirs[i] += shown_total(home.sums)
        for j, part in enumerate(split_by_block(used, tops[home.persons])):
            volume[j] += part
    rows = tuple(
        BlockRow(n, counts[i], social[i], volume[i], theirs[i]) for i, n in enumerate(names)
    )
    return Distribution(rows, reached, unpriced)


@dataclass(frozen=True)
class MonthUse:
    start: date
    end: date
    use: int  # base units
    estimated: int  # of which estimated (days without readings)


def months_back(end: date, count: int) -> list[tuple[date, date]]:
    """`count` whole months ending with the month of `end`, oldest first."""
    spans, year, month = [], end.year, end.month
    for _ in range(count):
        spans.append(month_span(f"{year:04d}-{month:02d}"))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return spans[::-1]


async def revenue_cents(service: str, territory: str, start: date, end: date) -> tuple[int, str]:
    """Bills and credit notes of the months from `start` to `end`, excl. VAT (what the régie
    receives), and their currency."""
    periods = [
        f"{s.year:04d}-{s.month:02d}" for s, _ in months_back(end, months_between(start, end))
    ]
    rows = (
        await Bill.select(Bill.currency, Sum(Bill.total_excl_vat_cents, alias="cents"))
        .where(
            (Bill.service == service) & (Bill.territory == territory) & Bill.period.is_in(periods)
        )
        .group_by(Bill.currency)
    )
    if not rows:
        return 0, "EUR"
    top = max(rows, key=lambda r: int(r["cents"] or 0))
    return int(top["cents"] or 0), str(top["currency"])


def months_between(start: date, end: date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month + 1


def shown_total(sums: Mapping[str, int], named: bool | None = None) -> int:
    """All the use of a household: a multi-register meter's `total` repeats the others
    (`named`: whether the meter has named registers, when `sums` may not show them)."""
    if named is None:
        named = any(r != "total" for r in sums)
    if named:
        return sum(v for r, v in sums.items() if r != "total")
    return sums.get("total", 0)


def year_before(day: date) -> date:
    if day.month == 2 and day.day == 29:
        return date(day.year - 1, 2, 28)
    return day.replace(year=day.year - 1)


def day_before(day: date) -> date:
    return day - timedelta(days=1)
