"""Fast exact pricing: one tariff over one fixed span, compiled to integer arithmetic."""

# The billing run prices 100,000 households in about a second: the engine (~100 µs per bill,
# Fraction and Decimal objects) is too slow for that, so a tariff is compiled once per span,
# household size and social status into integers over one common denominator, and each use
# is then priced with integer operations only. The result is the engine's bill to the
# character (same rules: tariffs.money), which tests check on many uses and every example
# tariff; anything the compiler does not cover (charges that `settle` would merge) goes to
# the engine instead.

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from tariffs.engine import PricingError
from tariffs.model import Bill, Tariff, plain
from tariffs.money import QUANTITY_SHOWN, round_half_up, to_fraction

_MICRO = 10**6  # quantities are shown to six decimals (money.QUANTITY_SHOWN)


@dataclass(frozen=True, slots=True)
class Priced:
    """A bill as stored: totals in cents and the bill as JSON text (`Bill.as_dict`)."""

    currency: str
    total_excl_vat_cents: int
    total_vat_cents: int
    total_cents: int
    detail: str


def to_json(data: object) -> str:
    """The one JSON spelling of stored bills: compact, UTF-8 text as is."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def priced(bill: Bill) -> Priced:
    """An engine bill as stored."""
    return Priced(
        bill.currency,
        _cents(bill.total_excl_vat),
        _cents(bill.total_vat),
        _cents(bill.total),
        to_json(bill.as_dict()),
    )


def _cents(amount: Decimal) -> int:
    return int(amount.scaleb(2))


def money_text(cents: int) -> str:
    """Cents as the engine writes an amount: `f"{Decimal:.2f}"`."""
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(cents), 100)
    return f"{sign}{whole}.{rest:02d}"


@dataclass(frozen=True, slots=True)
class _Line:
    """A charge of the tariff, ready to price a quantity `q / den` of the tariff's unit."""

    head: str  # the JSON of the line up to its quantity
    middle: str  # from the quantity to the amount
    tail: str  # after the amount
    rate: int  # index of its VAT rate in the compiled tariff's rates
    amount_mul: int  # cents = (q × amount_mul + amount_add) // amount_div (half-up)
    amount_add: int
    amount_div: int


class CompiledTariff:
    """`tariff` over `share` of its period, for `persons` and `social`; uses are integers of
    an input unit (`factor` tariff units each: 1/1000 m³ per litre), one per register of the
    tariff in its order."""

    def __init__(
        self, tariff: Tariff, share: Fraction, persons: int, social: bool, factor: Fraction
    ) -> None:
        if not supports(tariff):
            raise PricingError(f"{tariff.name!r}: charges that merge: price with the engine")
        self.currency = tariff.currency
        uppers = []
        for block in tariff.blocks:
            threshold = block.threshold(persons)
            uppers.append(None if threshold is None else to_fraction(threshold) * share)
        dens = [factor.denominator] + [u.denominator for u in uppers if u is not None]
        self.den = den = math.lcm(*dens)
        self.per_input = factor.numerator * (den // factor.denominator)
        shown = {_rate(c.vat): c.vat for c in _all_charges(tariff)}
        rates = sorted(shown)
        self.rates = [(plain(shown[r]), r.numerator, r.denominator) for r in rates]
        index = {r: i for i, r in enumerate(rates)}
        # Standing charges do not depend on the use: priced once, as the engine does.
        self.standing: list[tuple[str, int, int]] = []
        for s in tariff.standing_charges:
            line = _line(s.name, tariff.period, s.amount, s.vat, index, 1)
            amount = round_half_up(share * to_fraction(s.amount))
            quantity = plain(round_half_up(share, QUANTITY_SHOWN))
            text = f"{line.head}{quantity}{line.middle}{money_text(_cents(amount))}{line.tail}"
            self.standing.append((text, _cents(amount), line.rate))
        # What every bill of this tariff starts from: the standing lines and their VAT bases.
        self.standing_texts = [text for text, _, _ in self.standing]
        self.standing_bases = [0] * len(self.rates)
        self.standing_present = [False] * len(self.rates)
        for _, cents, rate in self.standing:
            self.standing_bases[rate] += cents
            self.standing_present[rate] = True
        unit = tariff.unit
        # Each block prices the use between its lower and upper bounds; a block the use goes
        # past is priced the same on every bill: its line is written once, here.
        self.blocks: list[tuple[int, int | None, _Line, tuple[str, int] | None]] = []
        lower = 0
        for block, upper in zip(tariff.blocks, uppers, strict=True):
            if social and block.social_price is not None:
                name, price = f"{block.name} (social)", block.social_price
            else:
                name, price = block.name, block.price
            line = _line(name, unit, price, block.vat, index, den)
            bound = None if upper is None else int(upper * den)
            full = None
            if bound is not None and bound > lower:
                q = bound - lower
                cents = (q * line.amount_mul + line.amount_add) // line.amount_div
                text = f"{line.head}{_quantity(q, den)}{line.middle}{money_text(cents)}{line.tail}"
                full = (text, cents)
            self.blocks.append((lower, bound, line, full))
            if full is not None and bound is not None:
                lower = bound
        registers = tariff.registers
        self.block_index = registers.index(tariff.block_register) if tariff.block_register else None
        self.register_lines = [
            (registers.index(r.register), _line(r.name, unit, r.price, r.vat, index, den))
            for r in tariff.register_prices
        ]
        self.volumetric = [
            _line(v.name, unit, v.price, v.vat, index, den) for v in tariff.volumetric_charges
        ]
        self.width = len(registers)

    def price(self, uses: Sequence[int]) -> Priced:
        """The bill of `uses` (per register of the tariff, in the input unit)."""
        if len(uses) != self.width:
            raise PricingError(f"expected {self.width} register uses, got {len(uses)}")
        if min(uses) < 0:
            raise PricingError("negative use")
        den = self.den
        per_input = self.per_input
        if self.width == 1:
            total = uses[0] * per_input
            qs = [total]
        else:
            qs = [u * per_input for u in uses]
            total = sum(qs)
        texts = self.standing_texts[:]
        bases = self.standing_bases[:]
        present = self.standing_present[:]
        variable: list[tuple[_Line, int]] = []  # the lines that depend on the use, and their q
        blocked = total if self.block_index is None else qs[self.block_index]
        for lower, upper, line, full in self.blocks:
            if upper is not None and blocked >= upper:
                if full is not None:
                    texts.append(full[0])
                    bases[line.rate] += full[1]
                    present[line.rate] = True
            elif blocked > lower:
                variable.append((line, blocked - lower))
        for i, line in self.register_lines:
            if qs[i] > 0:
                variable.append((line, qs[i]))
        if total > 0:
            variable += [(line, total) for line in self.volumetric]
        shown_of: dict[int, str] = {}  # levies on the total share its quantity
        for line, q in variable:
            cents = (q * line.amount_mul + line.amount_add) // line.amount_div
            shown = shown_of.get(q)
            if shown is None:
                shown = shown_of[q] = _quantity(q, den)
            # Amounts here are never negative (quantities and prices are not): cents as
            # money_text writes them, without its sign test.
            texts.append(
                f"{line.head}{shown}{line.middle}{cents // 100}.{cents % 100:02d}{line.tail}"
            )
            bases[line.rate] += cents
            present[line.rate] = True
        vat_texts = []
        excl = sum(bases)
        vat_total = 0
        for i, (rate, num, div) in enumerate(self.rates):
            if present[i]:
                base = bases[i]
                # VAT on the sum of the rounded lines at this rate, half-up (money rule 3).
                vat = (2 * base * num + 100 * div) // (200 * div)
                vat_total += vat
                vat_texts.append(
                    f'{{"rate":"{rate}","base":"{base // 100}.{base % 100:02d}",'
                    f'"amount":"{vat // 100}.{vat % 100:02d}"}}'
                )
        total = excl + vat_total
        detail = (
            f'{{"lines":[{",".join(texts)}],"vat":[{",".join(vat_texts)}],'
            f'"total_excl_vat":"{excl // 100}.{excl % 100:02d}",'
            f'"total_vat":"{vat_total // 100}.{vat_total % 100:02d}",'
            f'"total":"{total // 100}.{total % 100:02d}"}}'
        )
        return Priced(self.currency, excl, vat_total, total, detail)


def _quantity(q: int, den: int) -> str:
    """`q / den` as the engine shows a quantity: six decimals at most, half-up, no zeros."""
    steps = (2 * q * _MICRO + den) // (2 * den)
    whole, rest = divmod(steps, _MICRO)
    return f"{whole}.{rest:06d}".rstrip("0") if rest else str(whole)


def supports(tariff: Tariff) -> bool:
    """Whether no two charges of the tariff could be merged by `money.settle` (same kind,
    name, unit, price and VAT), which the compiled pricing does not do."""
    keys = [
        *((s.name, s.amount, s.vat) for s in tariff.standing_charges),
        *((b.name, b.price, b.vat) for b in tariff.blocks),
        *((f"{b.name} (social)", b.social_price, b.vat) for b in tariff.blocks if b.social_price),
        *((r.name, r.price, r.vat) for r in tariff.register_prices),
        *((v.name, v.price, v.vat) for v in tariff.volumetric_charges),
    ]
    return len(set(keys)) == len(keys)


def _all_charges(tariff: Tariff) -> list:
    return [
        *tariff.standing_charges,
        *tariff.blocks,
        *tariff.register_prices,
        *tariff.volumetric_charges,
    ]


def _rate(vat: Decimal) -> Fraction:
    return to_fraction(vat)


def _line(
    name: str, unit: str, price: Decimal, vat: Decimal, index: dict[Fraction, int], den: int
) -> _Line:
    p = to_fraction(price)
    head = f'{{"name":{to_json(name)},"quantity":"'
    middle = f'","unit":{to_json(unit)},"unit_price":"{price:f}","amount":"'
    tail = f'","vat_rate":"{plain(vat)}"}}'
    # amount in cents = round_half_up(q / den × price × 100), in integers.
    mul = 2 * 100 * p.numerator
    div = 2 * den * p.denominator
    return _Line(head, middle, tail, index[_rate(vat)], mul, den * p.denominator, div)
