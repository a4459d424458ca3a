"""Bill arithmetic: the one documented place where quantities are prorated and money rounded."""

# The rules (issue 3, "Arithmetic"; EN 16931 wants the total to equal the sum of the
# rounded lines exactly):
#   1. Quantities, prorated thresholds and proration shares stay exact (Fraction); nothing is
#      rounded before a line amount.
#   2. Line amount = exact quantity × unit price, rounded half-up to the cent.
#   3. VAT, per rate = (sum of the rounded line amounts at that rate) × rate / 100, rounded
#      half-up to the cent.
#   4. Total excl. VAT = sum of the rounded lines; total = total excl. VAT + sum of the VAT.
#   5. Proration: a span's share of the tariff period is, for every calendar period it
#      touches, the days billed in it / the days of that calendar period, both ends of the
#      span inclusive (2026-01-01 to 2026-03-31 is 90/365 of the year 2026).

from __future__ import annotations

import calendar
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from tariffs.model import KIND_ORDER, Bill, BillLine, Charge, Period, VatLine

CENT = Decimal("0.01")
QUANTITY_SHOWN = Decimal("0.000001")
"""Quantities are shown to six decimals on a bill; amounts use the exact quantity."""


def to_fraction(value: Decimal | Fraction | int) -> Fraction:
    """An exact Fraction from a Decimal, Fraction or int (never from a float)."""
    if isinstance(value, float):  # pragma: no cover - guarded by the types
        raise TypeError("floats are not exact: build quantities from strings")
    return Fraction(value)


def round_half_up(value: Fraction | Decimal, step: Decimal = CENT) -> Decimal:
    """`value` rounded to `step` (a power of ten: 0.01), halves away from zero (0.005 → 0.01)."""
    places = -int(step.as_tuple().exponent)
    numerator, denominator = value.as_integer_ratio()
    # floor(|x| × 10^places + 1/2) in integers: exact, and no Fraction arithmetic.
    steps = (2 * abs(numerator) * 10**places + denominator) // (2 * denominator)
    return Decimal(-steps if numerator < 0 else steps).scaleb(-places)


def period_bounds(period: Period, day: date) -> tuple[date, date]:
    """First and last day of the calendar month, quarter or year that contains `day`."""
    if period == "year":
        return date(day.year, 1, 1), date(day.year, 12, 31)
    first_month = day.month if period == "month" else 3 * ((day.month - 1) // 3) + 1
    last_month = first_month if period == "month" else first_month + 2
    last_day = calendar.monthrange(day.year, last_month)[1]
    return date(day.year, first_month, 1), date(day.year, last_month, last_day)


def period_share(period: Period, start: date, end: date) -> Fraction:
    """How many tariff periods the span `start`..`end` (both inclusive) covers, exactly.

    Each calendar period touched contributes days billed in it / its days (rule 5).
    """
    if end < start:
        raise ValueError(f"the span ends ({end}) before it starts ({start})")
    share = Fraction(0)
    day = start
    while day <= end:
        first, last = period_bounds(period, day)
        upto = min(end, last)
        share += Fraction((upto - day).days + 1, (last - first).days + 1)
        day = upto + timedelta(days=1)
    return share


def settle(
    charges: Iterable[Charge], *, currency: str, start: date | None, end: date | None
) -> Bill:
    """Round the charges into a bill (rules 2-4).

    Charges with the same name, unit, unit price and VAT rate (the same standing charge or
    block in consecutive versions of a tariff) are added up exactly before rounding, so that
    splitting a span never changes its bill by itself.
    """
    merged: dict[tuple[str, str, str, Decimal, Decimal], Charge] = {}
    for charge in charges:
        key = (charge.kind, charge.name, charge.unit, charge.unit_price, charge.vat_rate)
        if key in merged:
            quantity = merged[key].quantity + charge.quantity
            merged[key] = Charge(
                charge.kind, charge.name, quantity, charge.unit, charge.unit_price, charge.vat_rate
            )
        else:
            merged[key] = charge
    ordered = sorted(merged.values(), key=lambda c: KIND_ORDER.index(c.kind))  # stable
    lines = tuple(
        BillLine(
            name=c.name,
            quantity=round_half_up(c.quantity, QUANTITY_SHOWN),
            unit=c.unit,
            unit_price=c.unit_price,
            amount=round_half_up(c.quantity * to_fraction(c.unit_price)),
            vat_rate=c.vat_rate,
        )
        for c in ordered
    )
    vat = vat_lines(lines)
    total_excl_vat = sum((line.amount for line in lines), Decimal("0.00"))
    total_vat = sum((v.amount for v in vat), Decimal("0.00"))
    return Bill(
        currency=currency,
        start=start,
        end=end,
        lines=lines,
        vat=vat,
        total_excl_vat=total_excl_vat,
        total_vat=total_vat,
        total=total_excl_vat + total_vat,
    )


def vat_lines(lines: Iterable[BillLine]) -> tuple[VatLine, ...]:
    """VAT per rate on the sum of the rounded lines at that rate (rule 3), by rising rate."""
    bases: dict[Decimal, tuple[Decimal, Decimal]] = {}  # rate → (rate as first written, base)
    for line in lines:
        shown, base = bases.get(line.vat_rate, (line.vat_rate, Decimal("0.00")))
        bases[line.vat_rate] = (shown, base + line.amount)
    return tuple(
        VatLine(shown, base, round_half_up(to_fraction(base) * to_fraction(rate) / 100))
        for rate, (shown, base) in sorted(bases.items())
    )
