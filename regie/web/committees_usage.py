"""Consumption aggregates of one service in one territory, for the committee's dashboard and
the open data: households by block, use per month against the year before, the estimated
share, social households and revenue. Sums only: no name, address or reference is read."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction
from typing import Any

from piccolo.query.functions.aggregate import Sum
from piccolo.query.functions.datetime import Month, Year

from metering.tables import DailyUsage, Meter
from metering.units import BASE_UNITS
from tariffs.billing_plan import month_span
from tariffs.engine import PricingError, conversion_factor
from tariffs.impact import block_reached, last_twelve_months
from tariffs.model import Tariff
from tariffs.money import period_share, to_fraction
from tariffs.pricer import tariff_uses
from tariffs.tables import Bill

NO_BLOCK = ""  # a tariff without blocks, or use it cannot price
# Open data: a cell of fewer households gives no use, which could tell one household's.
MIN_HOUSEHOLDS = 5


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


def _of(service: str, territory: str, start: date, end: date) -> Any:
    return (
        (DailyUsage.meter.service == service)
        & (DailyUsage.meter._.household._.territory == territory)
        & (DailyUsage.day >= start)
        & (DailyUsage.day <= end)
    )


async def household_uses(
    service: str, territory: str, start: date, end: date, who: Served | None = None
) -> dict[int, HouseholdUse]:
    """Every household served, with its use from `start` to `end` (none: empty sums)."""
    who = who or await served(service, territory)
    out = {h: HouseholdUse(h, p, s, {}) for h, (p, s) in who.homes.items()}
    rows = (
        await DailyUsage.select(
            DailyUsage.meter, DailyUsage.register, Sum(DailyUsage.consumption, alias="use")
        )
        .where(_of(service, territory, start, end))
        .group_by(DailyUsage.meter, DailyUsage.register)
    )
    for r in rows:
        home = who.owner.get(int(r["meter"]))
        if home is not None:
            sums = out[home].sums
            sums[r["register"]] = sums.get(r["register"], 0) + int(r["use"] or 0)
    return out


def tariff_sums(tariff: Tariff, sums: Mapping[str, int]) -> tuple[int, ...]:
    """Use per tariff register (PricingError for registers the tariff does not know)."""
    return tariff_uses(tariff, sums) if sums else (0,) * len(tariff.registers)


def blocked_use(tariff: Tariff, uses: tuple[int, ...]) -> Fraction:
    """The use the blocks price, in the tariff's unit."""
    if tariff.block_register:
        used = uses[tariff.registers.index(tariff.block_register)]
    else:
        used = sum(uses)
    return Fraction(used) * conversion_factor(BASE_UNITS[tariff.service], tariff.unit)


def split_by_block(tariff: Tariff, used: Fraction, persons: int, share: Fraction) -> list[Fraction]:
    """How much of `used` falls in each block (thresholds are cumulative from zero and
    prorated by `share` of the tariff period, as bills prorate them)."""
    parts, below = [], Fraction(0)
    for block in tariff.blocks:
        threshold = block.threshold(persons)
        top = used if threshold is None else max(below, to_fraction(threshold) * share)
        parts.append(max(Fraction(0), min(used, top) - below))
        below = max(below, top)
    return parts


@dataclass(frozen=True)
class BlockRow:
    name: str
    households: int
    social: int
    use: int  # base units of use falling in this block, all households together
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
    counts, social = dict.fromkeys(names, 0), dict.fromkeys(names, 0)
    volume = dict.fromkeys(names, Fraction(0))
    theirs = dict.fromkeys(names, 0)
    reached: dict[int, str] = {}
    unpriced = 0
    base = BASE_UNITS[tariff.service]
    for home in uses:
        try:
            per_register = tariff_sums(tariff, home.sums)
        except PricingError:
            unpriced += 1
            continue
        name = block_reached(tariff, per_register, base, home.persons, share)
        reached[home.household] = name
        counts[name] += 1
        social[name] += home.social
        theirs[name] += shown_total(home.sums)
        used = blocked_use(tariff, per_register)
        for block, part in zip(
            names, split_by_block(tariff, used, home.persons, share), strict=True
        ):
            volume[block] += part
    back = conversion_factor(tariff.unit, base)
    # Rounded on the running sum, so that the blocks add up to the use exactly.
    shares, running, shown = {}, Fraction(0), 0
    for n in names:
        running += volume[n] * back
        shares[n], shown = round(running) - shown, round(running)
    rows = tuple(BlockRow(n, counts[n], social[n], shares[n], theirs[n]) for n in names)
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


async def monthly_use(
    service: str, territory: str, start: date, end: date, repeated: Iterable[int] = ()
) -> list[MonthUse]:
    """Use per calendar month from `start` to `end`. `repeated`: meters whose `total`
    register repeats their other registers (left out of the sums, not to count twice)."""
    spans = months_back(end, (end.year - start.year) * 12 + end.month - start.month + 1)
    query = DailyUsage.select(
        Year(DailyUsage.day, alias="y"),
        Month(DailyUsage.day, alias="m"),
        DailyUsage.quality,
        Sum(DailyUsage.consumption, alias="use"),
    ).where(_of(service, territory, start, end))
    repeated = list(repeated)
    if repeated:
        query = query.where((DailyUsage.register != "total") | DailyUsage.meter.not_in(repeated))
    rows = await query.group_by(Year(DailyUsage.day), Month(DailyUsage.day), DailyUsage.quality)
    use: dict[tuple[int, int], list[int]] = {(s.year, s.month): [0, 0] for s, _ in spans}
    for r in rows:
        key = (int(r["y"]), int(r["m"]))
        if key in use:
            use[key][0] += int(r["use"] or 0)
            if r["quality"] == "estimated":
                use[key][1] += int(r["use"] or 0)
    return [MonthUse(s, e, *use[(s.year, s.month)]) for s, e in spans]


def repeated_totals(uses: Iterable[HouseholdUse], who: Served) -> list[int]:
    """Households whose meters report a `total` beside named registers (see monthly_use)."""
    homes = {u.household for u in uses if "total" in u.sums and len(u.sums) > 1}
    return [m for m, h in who.owner.items() if h in homes]


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


def shown_total(sums: Mapping[str, int]) -> int:
    """All the use of a household: a multi-register meter's `total` repeats the others."""
    named = [v for r, v in sums.items() if r != "total"]
    return sum(named) if named else sums.get("total", 0)


@dataclass(frozen=True)
class BlockMonth:
    """One cell of the open data: the households of a block in a month and their use."""

    service: str
    territory: str
    month: str  # YYYY-MM
    block: str  # "" for a tariff without blocks
    households: int  # households whose use reached this block (their highest)
    use_of_households: int | None  # their use, base units (L, Wh); None: too few households
    use_in_block: int | None  # all households' use priced in this block; None: too few


async def block_months(service: str, territory: str, today: date) -> list[BlockMonth]:
    """Households by block reached in each of the twelve whole months before this one, with
    the tariff in force at each month's end, and their use."""
    from tariffs.service import version_in_force

    start, end = last_twelve_months(today)
    who = await served(service, territory)
    cells: list[BlockMonth] = []
    for first, last in months_back(end, months_between(start, end)):
        month = f"{first.year:04d}-{first.month:02d}"
        uses = [
            u
            for u in (await household_uses(service, territory, first, last, who)).values()
            if u.sums
        ]
        found = await version_in_force(service, territory, last)
        tariff = found.tariff if found else None
        spread = distribute(tariff, uses, first, last)
        if not spread.blocks:
            total = sum(shown_total(u.sums) for u in uses)
            shown = total if len(uses) >= MIN_HOUSEHOLDS else None
            cells.append(BlockMonth(service, territory, month, NO_BLOCK, len(uses), shown, shown))
            continue
        enough = len(uses) >= MIN_HOUSEHOLDS
        for row in spread.blocks:
            theirs = row.use_of_households if row.households >= MIN_HOUSEHOLDS else None
            cells.append(
                BlockMonth(
                    service, territory, month, row.name, row.households, theirs,
                    row.use if enough else None,
                )
            )  # fmt: skip
    return cells


def year_before(day: date) -> date:
    if day.month == 2 and day.day == 29:
        return date(day.year - 1, 2, 28)
    return day.replace(year=day.year - 1)


def day_before(day: date) -> date:
    return day - timedelta(days=1)
