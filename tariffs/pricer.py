"""Pricing uses into stored bills: the versions in force over a span, the meter's registers
as the tariff's, one bill per distinct use (cached), compiled tariffs for one-version spans."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from metering.units import BASE_UNITS
from tariffs.engine import Part, PricingError, conversion_factor, price_parts, split_span
from tariffs.fast import CompiledTariff, Priced, priced, supports
from tariffs.model import Tariff
from tariffs.money import period_share

# Historic Linky/Teleinfo register labels (Enedis-NOI-CPT_02E) and the tariff registers they
# are: a meter reports "hchc"/"hchp", the HP/HC tariff prices "hc"/"hp".
TELEINFO_REGISTERS = {
    "hchc": "hc",
    "hchp": "hp",
    "bbrhcjb": "bleu_hc",
    "bbrhpjb": "bleu_hp",
    "bbrhcjw": "blanc_hc",
    "bbrhpjw": "blanc_hp",
    "bbrhcjr": "rouge_hc",
    "bbrhpjr": "rouge_hp",
}


def tariff_uses(tariff: Tariff, sums: Mapping[str, int]) -> tuple[int, ...]:
    """The meter's use per register (base units) as the use per register of the tariff, in
    the tariff's order: same names, Teleinfo labels, or everything on a one-register tariff."""
    registers = tariff.registers
    if len(registers) == 1:
        only = registers[0]
        if only in sums:
            return (sums[only],)
        # A one-register tariff prices all the energy: the meter's total when it reports one
        # (its other registers are then details of it), else the sum of its registers.
        return (sums["total"] if "total" in sums else sum(sums.values()),)
    uses = dict.fromkeys(registers, 0)
    for name, value in sums.items():
        target = name if name in uses else TELEINFO_REGISTERS.get(name)
        if target in uses:
            uses[target] += value
        elif name != "total":  # the total of a multi-register meter repeats the others
            known = ", ".join(registers)
            raise PricingError(f"meter register {name!r} is none of the tariff's ({known})")
    return tuple(uses.values())


@dataclass(frozen=True, slots=True)
class Version:
    """A tariff version as billing sees it: its id and its parsed tariff."""

    id: int
    tariff: Tariff


def in_force(versions: Sequence[Version], start: date, end: date) -> list[Version]:
    """The versions that apply to some day of `start`..`end`: the one in force on `start`
    (if any) and those taking effect up to `end`."""
    ordered = sorted((v for v in versions if v.tariff.valid_from <= end), key=_valid_from)
    earlier = [i for i, v in enumerate(ordered) if v.tariff.valid_from <= start]
    return ordered[earlier[-1] :] if earlier else ordered


def _valid_from(version: Version) -> date:
    return version.tariff.valid_from


@dataclass(frozen=True, slots=True)
class Use:
    """One household's use of one service over a billed span.

    `parts` holds, for each sub-span of the period (cut where a version changes), its first
    day and the use per meter register in base units."""

    service: str
    persons: int
    social: bool
    start: date
    end: date
    parts: tuple[tuple[date, tuple[tuple[str, int], ...]], ...]


class Pricer:
    """Prices uses into stored bills. Households with the same span, size, status and use get
    the same bill, priced once; one-version spans go through a compiled tariff."""

    def __init__(self) -> None:
        self._bills: dict[tuple[object, ...], Priced] = {}
        self._compiled: dict[tuple[object, ...], CompiledTariff | None] = {}

    def price(self, versions: Sequence[Version], use: Use) -> tuple[Priced, tuple[int, ...]]:
        """The bill of `use` by the versions in force, and the ids of the versions used."""
        versions = in_force(versions, use.start, use.end)
        pieces = split_span([v.tariff for v in versions], use.start, use.end)
        by_date = {v.tariff.valid_from: v for v in versions}
        used = [by_date[tariff.valid_from] for tariff, _, _ in pieces]
        sums: list[dict[str, int]] = [{} for _ in pieces]
        starts = [s for _, s, _ in pieces]
        for first_day, registers in use.parts:
            # Each sub-span lies inside one version's dates: its use goes to that version's
            # part (use recorded outside the billed span goes to the nearest part).
            into = sums[max(0, bisect_right(starts, first_day) - 1)]
            for name, value in registers:
                into[name] = into.get(name, 0) + value
        uses = [tariff_uses(v.tariff, s) for v, s in zip(used, sums, strict=True)]
        ids = tuple(v.id for v in used)
        persons = use.persons
        social = use.social
        key = (ids, use.start, use.end, *self._household(used, persons, social), *uses)
        bill = self._bills.get(key)
        if bill is None:
            bill = self._price(used, pieces, uses, use.service, persons, social)
            self._bills[key] = bill
        return bill, ids

    @staticmethod
    def _household(used: Sequence[Version], persons: int, social: bool) -> tuple[int, bool]:
        # Persons only matter to per-person thresholds, the status only to social prices:
        # leaving them out of the key lets more households share one priced bill.
        per_person = any(v.tariff.per_person for v in used)
        has_social = any(b.social_price is not None for v in used for b in v.tariff.blocks)
        return (persons if per_person else 0), (social and has_social)

    def _price(
        self,
        used: Sequence[Version],
        pieces: Sequence[tuple[Tariff, date, date]],
        uses: Sequence[tuple[int, ...]],
        service: str,
        persons: int,
        social: bool,
    ) -> Priced:
        base = BASE_UNITS[service]
        if len(pieces) == 1:
            tariff, start, end = pieces[0]
            compiled = self._compile(used[0].id, tariff, start, end, persons, social, base)
            if compiled is not None:
                return compiled.price(uses[0])
        parts = []
        for (tariff, start, end), values in zip(pieces, uses, strict=True):
            factor = conversion_factor(base, tariff.unit)
            registers = {
                r: Fraction(v) * factor for r, v in zip(tariff.registers, values, strict=True)
            }
            parts.append(Part(tariff, start, end, None, registers))
        first, last = pieces[0][1], pieces[-1][2]
        return priced(price_parts(parts, persons=persons, social=social, start=first, end=last))

    def _compile(
        self,
        version: int,
        tariff: Tariff,
        start: date,
        end: date,
        persons: int,
        social: bool,
        base: str,
    ) -> CompiledTariff | None:
        key = (version, start, end, persons, social)
        if key not in self._compiled:
            if not supports(tariff):
                self._compiled[key] = None
            else:
                share = period_share(tariff.period, start, end)
                factor = conversion_factor(base, tariff.unit)
                self._compiled[key] = CompiledTariff(tariff, share, persons, social, factor)
        return self._compiled[key]
