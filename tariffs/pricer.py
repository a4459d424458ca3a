"""Pricing uses into stored bills: the versions in force over a span, the meter's registers
as the tariff's, one bill per distinct use (cached), compiled tariffs for one-version spans."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from functools import partial

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


@dataclass(frozen=True, slots=True, eq=False)  # eq=False: hashed by identity, as a cache key
class _Span:
    """How a span is priced: the versions over it, their parts and what their bills depend on."""

    used: tuple[Version, ...]
    pieces: tuple[tuple[Tariff, date, date], ...]
    starts: tuple[date, ...]
    ids: tuple[int, ...]
    per_person: bool
    has_social: bool

    def alike(self, persons: int, social: bool) -> tuple[int, bool]:
        """The persons and status as the bills of the span depend on them: persons only
        through per-person thresholds, the status only through social prices (households
        alike in the rest share one priced bill)."""
        return (persons if self.per_person else 0), (social and self.has_social)


def _added(groups: Iterable[Iterable[tuple[str, int]]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for registers in groups:
        for name, value in registers:
            total[name] = total.get(name, 0) + value
    return total


class Pricer:
    """Prices uses into stored bills. Households with the same span, size, status and use get
    the same bill, priced once; one-version spans go through a compiled tariff."""

    def __init__(self) -> None:
        self._bills: dict[tuple[object, ...], Priced] = {}
        self._compiled: dict[tuple[object, ...], CompiledTariff | None] = {}
        self._spans: dict[tuple[object, ...], _Span] = {}
        self._last: tuple[Sequence[Version], date, date, _Span] | None = None

    def price(self, versions: Sequence[Version], use: Use) -> tuple[Priced, tuple[int, ...]]:
        """The bill of `use` by the versions in force, and the ids of the versions used."""
        span = self._span(versions, use.start, use.end)
        if len(span.used) == 1:  # the usual case: one version over the whole span
            sums = _added(registers for _, registers in use.parts)
            return self._one(span, use.service, use.persons, use.social, use.start, use.end, sums)
        per_piece: list[dict[str, int]] = [{} for _ in span.used]
        for first_day, registers in use.parts:
            # Each sub-span lies inside one version's dates: its use goes to that version's
            # part (use recorded outside the billed span goes to the nearest part).
            into = per_piece[max(0, bisect_right(span.starts, first_day) - 1)]
            for name, value in registers:
                into[name] = into.get(name, 0) + value
        uses = [tariff_uses(v.tariff, s) for v, s in zip(span.used, per_piece, strict=True)]
        persons, social = span.alike(use.persons, use.social)
        key = (span.ids, use.start, use.end, persons, social, *uses)
        bill = self._bills.get(key)
        if bill is None:
            bill = self._bills[key] = self._price(span, uses, use.service, persons, social)
        return bill, span.ids

    def price_sums(
        self,
        versions: Sequence[Version],
        service: str,
        persons: int,
        social: bool,
        start: date,
        end: date,
        sums: Mapping[str, int],
    ) -> tuple[Priced, tuple[int, ...]]:
        """`price` for use known as one total per meter register over `start`..`end`
        (no version change inside the period: what nearly every household of a run is)."""
        span = self._span(versions, start, end)
        if len(span.used) == 1:
            return self._one(span, service, persons, social, start, end, sums)
        return self.price(
            versions, Use(service, persons, social, start, end, ((start, tuple(sums.items())),))
        )

    def for_sums(
        self,
        versions: Sequence[Version],
        service: str,
        persons: int,
        social: bool,
        start: date,
        end: date,
    ) -> Callable[[Mapping[str, int]], tuple[Priced, tuple[int, ...]]]:
        """`price_sums` with all but the sums given, for the many households of a run alike in
        the rest: the compiled tariff itself where one version covers the span, without this
        pricer's cache (the caller keeps the bills it needs)."""
        span = self._span(versions, start, end)
        if len(span.used) == 1:
            persons, social = span.alike(persons, social)
            tariff, first, last = span.pieces[0]
            base = BASE_UNITS[service]
            compiled = self._compile(span.ids[0], tariff, first, last, persons, social, base)
            if compiled is not None:
                ids, price = span.ids, compiled.price
                return lambda sums: (price(tariff_uses(tariff, sums)), ids)
        return partial(self.price_sums, versions, service, persons, social, start, end)

    def _one(
        self,
        span: _Span,
        service: str,
        persons: int,
        social: bool,
        start: date,
        end: date,
        sums: Mapping[str, int],
    ) -> tuple[Priced, tuple[int, ...]]:
        uses = tariff_uses(span.used[0].tariff, sums)
        persons, social = span.alike(persons, social)
        key = (span, persons, social, uses)
        bill = self._bills.get(key)
        if bill is None:
            bill = self._bills[key] = self._price(span, [uses], service, persons, social)
        return bill, span.ids

    def _span(self, versions: Sequence[Version], start: date, end: date) -> _Span:
        last = self._last
        if last is not None and last[0] is versions and last[1] == start and last[2] == end:
            return last[3]  # consecutive households of a run share their versions and span
        key = (tuple(v.id for v in versions), start, end)
        found = self._spans.get(key)
        if found is None:
            in_span = in_force(versions, start, end)
            pieces = tuple(split_span([v.tariff for v in in_span], start, end))
            by_date = {v.tariff.valid_from: v for v in in_span}
            used = tuple(by_date[tariff.valid_from] for tariff, _, _ in pieces)
            found = self._spans[key] = _Span(
                used=used,
                pieces=pieces,
                starts=tuple(s for _, s, _ in pieces),
                ids=tuple(v.id for v in used),
                per_person=any(v.tariff.per_person for v in used),
                has_social=any(b.social_price is not None for v in used for b in v.tariff.blocks),
            )
        self._last = (versions, start, end, found)
        return found

    def _price(
        self, span: _Span, uses: Sequence[tuple[int, ...]], service: str, persons: int, social: bool
    ) -> Priced:
        base = BASE_UNITS[service]
        pieces = span.pieces
        if len(pieces) == 1:
            tariff, start, end = pieces[0]
            compiled = self._compile(span.ids[0], tariff, start, end, persons, social, base)
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
