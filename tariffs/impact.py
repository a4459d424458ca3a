"""Impact of a draft tariff: each household's last twelve months of real use billed by the
tariff in force and by the draft, summed up per block and for social households."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from fractions import Fraction

from metering.units import BASE_UNITS
from tariffs import service
from tariffs.billing_plan import billed_span, month_span, previous_month
from tariffs.engine import PricingError, conversion_factor
from tariffs.model import Tariff
from tariffs.money import period_share, to_fraction
from tariffs.pricer import Pricer, Use, Version, tariff_uses
from tariffs.service import TariffError
from tariffs.store import as_date, session

ALL = "all households"
SOCIAL = "social households"


class ImpactError(TariffError):
    """An impact that cannot be computed (no tariff in force to compare with…)."""


REASONS: dict[str, str] = {
    "nothing_to_compare": "no %(service)s tariff in force in %(territory)s to compare with",
}
"""Why an impact cannot be computed, as English `%(name)s` templates that an interface can
show in its language."""


@dataclass(frozen=True)
class HouseholdImpact:
    """One household's twelve months under both tariffs, in cents (totals incl. VAT: what
    the household pays; excl. VAT: what the régie receives)."""

    household: int
    reference: str
    social: bool
    block: str  # the highest block its use reaches under the tariff in force ("" if none)
    current_cents: int
    draft_cents: int
    current_excl_vat_cents: int
    draft_excl_vat_cents: int

    @property
    def change_cents(self) -> int:
        return self.draft_cents - self.current_cents


@dataclass(frozen=True)
class GroupImpact:
    """The summary of one group of households; amounts in the tariff's currency."""

    name: str
    households: int
    pay_more: int
    pay_less: int
    unchanged: int
    median_change: Decimal
    largest_increase: Decimal  # 0 when nobody pays more
    largest_decrease: Decimal  # 0 when nobody pays less (a decrease is negative)
    revenue_current: Decimal  # excl. VAT
    revenue_draft: Decimal
    revenue_change: Decimal


@dataclass(frozen=True)
class ImpactSummary:
    start: date
    end: date
    current: str  # the tariff in force's name
    draft: str
    groups: tuple[GroupImpact, ...]  # all, then each block in order, then social households
    problems: tuple[str, ...]


def _money(cents: int | Fraction) -> Decimal:
    fraction = Fraction(cents)
    return Decimal(fraction.numerator) / Decimal(fraction.denominator) / 100


def summarise_group(name: str, impacts: Sequence[HouseholdImpact]) -> GroupImpact:
    """How many pay more or less, the median and largest changes and the revenue change."""
    changes = sorted(i.change_cents for i in impacts)
    n = len(changes)
    if n == 0:
        median = Fraction(0)
    elif n % 2:
        median = Fraction(changes[n // 2])
    else:  # the mean of the two middle changes: half a cent at most, kept exact
        median = Fraction(changes[n // 2 - 1] + changes[n // 2], 2)
    current = sum(i.current_excl_vat_cents for i in impacts)
    draft = sum(i.draft_excl_vat_cents for i in impacts)
    return GroupImpact(
        name=name,
        households=n,
        pay_more=sum(c > 0 for c in changes),
        pay_less=sum(c < 0 for c in changes),
        unchanged=sum(c == 0 for c in changes),
        median_change=_money(median),
        largest_increase=_money(max([0, *changes])),
        largest_decrease=_money(min([0, *changes])),
        revenue_current=_money(current),
        revenue_draft=_money(draft),
        revenue_change=_money(draft - current),
    )


def summarise(impacts: Sequence[HouseholdImpact], blocks: Sequence[str]) -> tuple[GroupImpact, ...]:
    """All households, each block of the tariff in force (by the block reached), and the
    social households."""
    groups = [summarise_group(ALL, impacts)]
    groups += [summarise_group(b, [i for i in impacts if i.block == b]) for b in blocks]
    groups.append(summarise_group(SOCIAL, [i for i in impacts if i.social]))
    return tuple(groups)


def block_reached(
    tariff: Tariff, uses: Sequence[int], base: str, persons: int, share: Fraction
) -> str:
    """The highest block that use (base units per register) reaches over `share` periods;
    the first block for no use, "" for a tariff without blocks."""
    if not tariff.blocks:
        return ""
    factor = conversion_factor(base, tariff.unit)
    if tariff.block_register:
        blocked = uses[tariff.registers.index(tariff.block_register)] * factor
    else:
        blocked = sum(uses) * factor
    reached = tariff.blocks[0].name
    for before, block in zip(tariff.blocks, tariff.blocks[1:], strict=False):
        threshold = before.threshold(persons)
        if threshold is not None and blocked > to_fraction(threshold) * share:
            reached = block.name
    return reached


def last_twelve_months(today: date) -> tuple[date, date]:
    """The twelve whole months before the month of `today`."""
    end = month_span(previous_month(today))[1]
    months = end.year * 12 + end.month - 1 - 11
    return date(months // 12, months % 12 + 1, 1), end


async def draft_impact(
    draft: Tariff, territory: str, *, today: date
) -> tuple[ImpactSummary, list[HouseholdImpact]]:
    """Bill every household of `territory` with a meter of the draft's service over the last
    twelve months, by the tariff in force at their end and by the draft."""
    start, end = last_twelve_months(today)
    found = await service.version_in_force(draft.service, territory, end)
    if found is None:
        raise ImpactError.worded(
            REASONS["nothing_to_compare"], service=draft.service, territory=territory
        )
    # Both tariffs price the same span: each applies to all of it, whatever its date.
    current = Version(found.id, replace(found.tariff, valid_from=start))
    proposed = Version(-1, replace(draft, valid_from=start))
    base = BASE_UNITS[draft.service]
    homes: dict[int, tuple[str, int, bool, list[tuple[date | None, date | None]]]] = {}
    owner: dict[int, int] = {}
    async with session(write=False) as db:
        for home, kind, meter, installed, removed, ref, persons, social, _ in await db.meters(
            start, end, territory
        ):
            if kind != draft.service:
                continue
            entry = homes.setdefault(int(home), (str(ref), int(persons), bool(social), []))
            entry[3].append((as_date(installed), as_date(removed)))
            owner[int(meter)] = int(home)
        sums: dict[int, dict[str, int]] = {h: {} for h in homes}
        for meter, register, consumption, _ in await db.usage(start, end, territory):
            if meter in owner:
                into = sums[owner[meter]]
                into[register] = into.get(register, 0) + consumption
    pricer = Pricer()
    now_in_force, proposal = [current], [proposed]  # built once, not per household
    impacts, problems = [], []
    for home, (ref, persons, social, meters) in sorted(homes.items()):
        span = billed_span(meters, start, end)
        if span is None:
            continue
        use = Use(
            draft.service, persons, social, span[0], span[1], ((start, tuple(sums[home].items())),)
        )
        try:
            now, _ = pricer.price(now_in_force, use)
            then, _ = pricer.price(proposal, use)
            share = period_share(current.tariff.period, span[0], span[1])
            reached = block_reached(
                current.tariff, tariff_uses(current.tariff, sums[home]), base, persons, share
            )
        except PricingError as exc:
            problems.append(f"{ref}: {exc}")
            continue
        impacts.append(
            HouseholdImpact(
                home, ref, social, reached, now.total_cents, then.total_cents,
                now.total_excl_vat_cents, then.total_excl_vat_cents,
            )
        )  # fmt: skip
    blocks = [b.name for b in current.tariff.blocks]
    summary = ImpactSummary(
        start, end, found.name, draft.name, summarise(impacts, blocks), tuple(problems)
    )
    return summary, impacts
