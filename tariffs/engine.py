"""The tariff engine: pure functions that price use over a span into a bill (no I/O, no clock)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from functools import lru_cache
from itertools import pairwise

import pint

from metering.units import DIMENSIONS, UREG
from tariffs.model import Bill, Charge, Tariff, WordedError
from tariffs.money import period_share, settle, to_fraction

Number = Decimal | Fraction | int


class PricingError(WordedError, ValueError):
    """Input the engine cannot price: unknown register, negative use, span before the tariff…
    The engine's errors keep their template and values (REASONS) for an interface."""


REASONS: dict[str, str] = {
    "both_ends": "give both ends of the span, or neither for one whole period",
    "span_backwards": "the span ends (%(end)s) before it starts (%(start)s)",
    "no_version": "no tariff version to price the span with",
    "versions_differ": "tariff versions differ in service, unit or currency",
    "same_day": "two tariff versions take effect on %(day)s",
    "before_tariff": "the tariff applies from %(valid_from)s; the span starts %(start)s",
    "nothing_to_price": "nothing to price",
    "negative_persons": "persons must be 0 or more, not %(persons)s",
    "persons_needed": (
        "the blocks of %(tariff)s grow with the household: give the number of persons"
    ),
    "no_use": "give the use (or the use of each register)",
    "per_register": "%(tariff)s prices each register: give the use of %(registers)s",
    "unknown_register": "unknown register %(register)s (the tariff's registers: %(registers)s)",
    "negative_register": "negative use on register %(register)s",
    "use_not_sum": "the use (%(use)s) differs from the sum of the registers (%(total)s)",
    "unknown_unit": "unknown unit %(unit)s",
    "not_water_unit": "%(unit)s is not a unit of water use (needs %(needs)s, has %(has)s)",
    "not_electricity_unit": (
        "%(unit)s is not a unit of electricity use (needs %(needs)s, has %(has)s)"
    ),
    "not_quantity": 'not a quantity: %(text)s (write a number and a unit: "120 m^3")',
    "no_unit": '%(text)s has no unit (write e.g. "%(number)s %(unit)s")',
    "not_number": "not a number: %(number)s",
    "negative_use": "negative use: %(text)s",
}
"""Why the engine cannot price, by code: English `%(name)s` templates, kept apart from their
values so that an interface can show them in its language (the web's French catalogue)."""


def _refused(code: str, /, **params: object) -> PricingError:
    """The error of `code`: its English message, and the template and values it is made of."""
    return PricingError.worded(REASONS[code], **params)


@dataclass(frozen=True)
class Part:
    """One part of a billed span, priced by one tariff version; no dates means one period."""

    tariff: Tariff
    start: date | None
    end: date | None
    usage: Number | None
    registers: Mapping[str, Number] | None = None


def price_period(
    tariff: Tariff,
    usage: Number | None,
    *,
    persons: int | None = None,
    social: bool = False,
    start: date | None = None,
    end: date | None = None,
    registers: Mapping[str, Number] | None = None,
) -> Bill:
    """Price `usage` (in the tariff's unit) over `start`..`end` (inclusive) by one tariff.

    Without dates the use covers exactly one tariff period. `registers` gives the use per
    register of the meter (registers left out used nothing); `usage` may then be None (the
    sum) or must equal the sum.
    """
    if (start is None) != (end is None):
        raise _refused("both_ends")
    part = Part(tariff, start, end, usage, registers)
    return price_parts([part], persons=persons, social=social, start=start, end=end)


def price_span(
    versions: Sequence[Tariff],
    usage: Number | None,
    *,
    start: date,
    end: date,
    persons: int | None = None,
    social: bool = False,
    registers: Mapping[str, Number] | None = None,
) -> Bill:
    """Price a span that may cross changes of tariff version (issue 3: split at the change).

    Each part is priced by its version with thresholds and standing charges prorated per
    part; the use is spread over the parts in proportion to their share of the tariff period
    (the billing run, which knows the use per day, calls `price_parts` instead).
    """
    pieces = split_span(versions, start, end)
    shares = [period_share(t.period, s, e) for t, s, e in pieces]
    whole = sum(shares, Fraction(0))
    parts = [
        Part(
            tariff,
            s,
            e,
            None if usage is None else to_fraction(usage) * share / whole,
            None
            if registers is None
            else {k: to_fraction(v) * share / whole for k, v in registers.items()},
        )
        for (tariff, s, e), share in zip(pieces, shares, strict=True)
    ]
    return price_parts(parts, persons=persons, social=social, start=start, end=end)


def split_span(
    versions: Sequence[Tariff], start: date, end: date
) -> list[tuple[Tariff, date, date]]:
    """The parts of `start`..`end` each version covers: a version applies from its
    `valid_from` until the day before the next version's."""
    if end < start:
        raise _refused("span_backwards", end=end, start=start)
    ordered = sorted(versions, key=lambda t: t.valid_from)
    if not ordered:
        raise _refused("no_version")
    for before, after in pairwise(ordered):
        if _kind(before) != _kind(after):
            raise _refused("versions_differ")
        if before.valid_from == after.valid_from:
            raise _refused("same_day", day=after.valid_from)
    if start < ordered[0].valid_from:
        raise _refused("before_tariff", valid_from=ordered[0].valid_from, start=start)
    pieces = []
    for i, version in enumerate(ordered):
        last = ordered[i + 1].valid_from - timedelta(days=1) if i + 1 < len(ordered) else end
        piece_start, piece_end = max(start, version.valid_from), min(end, last)
        if piece_start <= piece_end:
            pieces.append((version, piece_start, piece_end))
    return pieces


def _kind(tariff: Tariff) -> tuple[str, str, str]:
    return tariff.service, tariff.unit, tariff.currency


def price_parts(
    parts: Sequence[Part],
    *,
    persons: int | None,
    social: bool,
    start: date | None,
    end: date | None,
) -> Bill:
    """Price each part by its tariff and round the whole into one bill (see `money.settle`)."""
    if not parts:
        raise _refused("nothing_to_price")
    if persons is not None and persons < 0:
        raise _refused("negative_persons", persons=persons)
    charges: list[Charge] = []
    for part in parts:
        tariff = part.tariff
        if tariff.per_person and persons is None:
            raise _refused("persons_needed", tariff=repr(tariff.name))
        if part.start is None or part.end is None:
            share = Fraction(1)
        else:
            share = period_share(tariff.period, part.start, part.end)
        total, uses = register_uses(tariff, part.usage, part.registers)
        charges += tariff_charges(tariff, total, uses, share, persons or 0, social)
    return settle(charges, currency=parts[0].tariff.currency, start=start, end=end)


def register_uses(
    tariff: Tariff, usage: Number | None, registers: Mapping[str, Number] | None
) -> tuple[Fraction, dict[str, Fraction]]:
    """Total use and use per register, checked against the tariff's registers."""
    if registers is None:
        if usage is None:
            raise _refused("no_use")
        if len(tariff.registers) > 1:
            names = ", ".join(tariff.registers)
            raise _refused("per_register", tariff=repr(tariff.name), registers=names)
        uses = {tariff.registers[0]: to_fraction(usage)}
    else:
        unknown = sorted(set(registers) - set(tariff.registers))
        if unknown:
            names = ", ".join(tariff.registers)
            raise _refused("unknown_register", register=repr(unknown[0]), registers=names)
        uses = {name: to_fraction(registers.get(name, 0)) for name in tariff.registers}
    for name, use in uses.items():
        if use < 0:
            raise _refused("negative_register", register=repr(name))
    total = sum(uses.values(), Fraction(0))
    if usage is not None and to_fraction(usage) != total:
        raise _refused("use_not_sum", use=to_fraction(usage), total=total)
    return total, uses


def tariff_charges(
    tariff: Tariff,
    total: Fraction,
    uses: Mapping[str, Fraction],
    share: Fraction,
    persons: int,
    social: bool,
) -> list[Charge]:
    """The exact charges of one tariff for use `total` over `share` tariff periods."""
    unit = tariff.unit
    charges = [
        # Standing charges are due per period, prorated by days (issue 3, "Arithmetic").
        Charge("standing", s.name, share, tariff.period, s.amount, s.vat)
        for s in tariff.standing_charges
    ]
    blocked = uses[tariff.block_register] if tariff.block_register else total
    lower = Fraction(0)
    for block in tariff.blocks:
        # Thresholds are per period and grow with the household (Flanders: 30 m³ per
        # dwelling + 30 m³ per resident); over a shorter span they are prorated exactly.
        threshold = block.threshold(persons)
        upper = None if threshold is None else to_fraction(threshold) * share
        quantity = (blocked if upper is None else min(blocked, upper)) - lower
        if quantity > 0:
            # The social price applies automatically on its block (Dunkerque: CSS households
            # pay 0.32 €/m³ on the essential water).
            if social and block.social_price is not None:
                name, price = f"{block.name} (social)", block.social_price
            else:
                name, price = block.name, block.price
            charges.append(Charge("block", name, quantity, unit, price, block.vat))
        if upper is not None:
            lower = max(lower, upper)
    for rp in tariff.register_prices:
        if uses[rp.register] > 0:
            charges.append(Charge("register", rp.name, uses[rp.register], unit, rp.price, rp.vat))
    if total > 0:
        # Levies are due on every unit consumed, whatever the block.
        charges += [
            Charge("volumetric", v.name, total, unit, v.price, v.vat)
            for v in tariff.volumetric_charges
        ]
    return charges


# Units: use given in any unit of the service's dimension is converted exactly.

_BARE_POWER = re.compile(r"(?<=[A-Za-z])([23])\b")  # "m3" → "m**3" (Pint reads "m^3", "m³")
_QUANTITY = re.compile(r"^\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)\s*(.*?)\s*$")
_PINT_ERRORS = (pint.PintError, ValueError, TypeError, AttributeError, SyntaxError, KeyError)


@lru_cache(maxsize=512)
def pint_unit(text: str) -> pint.Unit:
    """The Pint unit written `text` ("m^3", "m3", "L", "kWh"), or PricingError."""
    for spelling in (text, _BARE_POWER.sub(r"**\1", text)):
        try:
            return UREG.parse_units(spelling)
        except _PINT_ERRORS:
            continue
    raise _refused("unknown_unit", unit=repr(text))


def check_unit(text: str, service: str) -> pint.Unit:
    """The unit `text`, checked to measure the service (a volume of water, energy)."""
    unit = pint_unit(text)
    if unit.dimensionality != UREG.get_dimensionality(DIMENSIONS[service]):
        raise _refused(
            f"not_{service}_unit", unit=repr(text), needs=DIMENSIONS[service],
            has=f"{unit.dimensionality}",
        )  # fmt: skip
    return unit


def is_power(text: str) -> bool:
    """Whether `text` is a power such as "6 kVA" (the subscribed power of a meter)."""
    number, _, unit = text.strip().partition(" ")
    try:
        Decimal(number)
        return pint_unit(unit.strip()).dimensionality == UREG.get_dimensionality("[power]")
    except (InvalidOperation, PricingError):
        return False


@lru_cache(maxsize=512)
def conversion_factor(from_unit: str, to_unit: str) -> Fraction:
    """The exact factor from one unit to another of the same dimension (1000 L → 1 m³)."""
    return _base_magnitude(from_unit) / _base_magnitude(to_unit)


def _base_magnitude(text: str) -> Fraction:
    magnitude = UREG.Quantity(1, pint_unit(text)).to_base_units().magnitude
    # Pint multiplies float factors (1 L comes out as 0.0010000000000000002 m³); unit
    # definitions are decimals of at most 15 significant digits, so rounding to 15 digits
    # recovers the exact definition and 120000 L is exactly 120 m³.
    return Fraction(Decimal(f"{magnitude:.15g}"))


def parse_quantity(text: str, service: str, unit: str) -> Fraction:
    """A quantity such as "120000 L" or "1.5 MWh", as an exact number of `unit`."""
    match = _QUANTITY.match(text)
    if not match:
        raise _refused("not_quantity", text=repr(text))
    number_text, unit_text = match.groups()
    if not unit_text:
        raise _refused("no_unit", text=repr(text), number=number_text, unit=unit)
    try:
        number = Decimal(number_text)
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits numbers only
        raise _refused("not_number", number=repr(number_text)) from exc
    if number < 0:
        raise _refused("negative_use", text=repr(text))
    check_unit(unit_text, service)
    return to_fraction(number) * conversion_factor(unit_text, unit)
