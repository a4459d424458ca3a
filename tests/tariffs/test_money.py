"""Money arithmetic: half-up rounding to the cent, VAT per rate, exact proration by days."""

from __future__ import annotations

import decimal
from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest

from tariffs.model import Charge, cents, plain
from tariffs.money import period_bounds, period_share, round_half_up, settle

D = Decimal


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (D("0.005"), "0.01"),  # half-up, where banker's rounding would give 0.00
        (D("0.015"), "0.02"),
        (D("0.025"), "0.03"),  # banker's rounding would give 0.02
        (D("2.675"), "2.68"),  # the float 2.675 is 2.67499…; the Decimal is exact
        (D("0.0049999"), "0.00"),
        (D("7.425"), "7.43"),
        (D("-0.005"), "-0.01"),  # credit notes: halves away from zero
        (D("-1.234"), "-1.23"),
        (Fraction(1, 3), "0.33"),
        (Fraction(2, 3), "0.67"),
        (Fraction(1, 200), "0.01"),
        (Fraction(4320, 365), "11.84"),  # 48.00 × 90/365
        (D("0"), "0.00"),
    ],
)
def test_round_half_up_to_the_cent(value: Decimal | Fraction, expected: str) -> None:
    result = round_half_up(value)
    assert result == D(expected)
    assert str(result) == expected


def test_round_to_other_steps() -> None:
    assert round_half_up(Fraction(90, 365), D("0.000001")) == D("0.246575")
    assert round_half_up(D("0.0000005"), D("0.000001")) == D("0.000001")


@pytest.mark.parametrize(
    ("period", "start", "end", "share"),
    [
        ("year", date(2026, 1, 1), date(2026, 3, 31), Fraction(90, 365)),  # the example
        ("year", date(2024, 1, 1), date(2024, 3, 31), Fraction(91, 366)),  # leap year
        ("year", date(2026, 1, 1), date(2026, 12, 31), Fraction(1)),
        ("year", date(2026, 5, 5), date(2026, 5, 5), Fraction(1, 365)),  # one day
        ("year", date(2025, 7, 1), date(2026, 6, 30), Fraction(184, 365) + Fraction(181, 365)),
        ("year", date(2023, 7, 1), date(2024, 6, 30), Fraction(184, 365) + Fraction(182, 366)),
        ("quarter", date(2026, 1, 1), date(2026, 3, 31), Fraction(1)),
        ("quarter", date(2026, 2, 1), date(2026, 4, 30), Fraction(59, 90) + Fraction(30, 91)),
        ("month", date(2026, 2, 1), date(2026, 2, 28), Fraction(1)),
        ("month", date(2024, 2, 1), date(2024, 2, 14), Fraction(14, 29)),
        ("month", date(2026, 1, 15), date(2026, 2, 14), Fraction(17, 31) + Fraction(14, 28)),
        ("month", date(2026, 1, 1), date(2026, 12, 31), Fraction(12)),
    ],
)
def test_period_share_by_days_both_ends_inclusive(
    period: str, start: date, end: date, share: Fraction
) -> None:
    assert period_share(period, start, end) == share  # type: ignore[arg-type]


def test_period_share_refuses_a_reversed_span() -> None:
    with pytest.raises(ValueError, match="ends"):
        period_share("year", date(2026, 2, 1), date(2026, 1, 31))


@pytest.mark.parametrize(
    ("period", "day", "bounds"),
    [
        ("month", date(2024, 2, 10), (date(2024, 2, 1), date(2024, 2, 29))),
        ("quarter", date(2026, 5, 31), (date(2026, 4, 1), date(2026, 6, 30))),
        ("quarter", date(2026, 12, 31), (date(2026, 10, 1), date(2026, 12, 31))),
        ("year", date(2026, 7, 14), (date(2026, 1, 1), date(2026, 12, 31))),
    ],
)
def test_period_bounds(period: str, day: date, bounds: tuple[date, date]) -> None:
    assert period_bounds(period, day) == bounds  # type: ignore[arg-type]


def charge(name: str, quantity: Fraction | int, price: str, vat: str) -> Charge:
    return Charge("volumetric", name, Fraction(quantity), "m^3", D(price), D(vat))


def test_vat_is_per_rate_on_the_sum_of_rounded_lines() -> None:
    # Three lines of 0.10 at 5.5 %: per line 0.0055 → 0.01 each (0.03 in all), but on the
    # sum 0.30 × 5.5 % = 0.0165 → 0.02. The rule is the sum.
    bill = settle(
        [
            charge("a", 1, "0.10", "5.5"),
            charge("b", 1, "0.10", "5.5"),
            charge("c", 1, "0.10", "5.5"),
        ],
        currency="EUR",
        start=None,
        end=None,
    )
    assert [(v.rate, v.base, v.amount) for v in bill.vat] == [(D("5.5"), D("0.30"), D("0.02"))]
    assert bill.total == D("0.32")


def test_line_amounts_are_rounded_before_the_vat() -> None:
    # 1/3 m³ at 1.00: the line is 0.33 (not 0.333…), VAT 20 % on 0.33 = 0.066 → 0.07.
    bill = settle([charge("a", Fraction(1, 3), "1.00", "20")], currency="EUR", start=None, end=None)
    assert bill.lines[0].amount == D("0.33")
    assert bill.vat[0].amount == D("0.07")
    assert bill.total == D("0.40")


def test_rates_are_grouped_by_value_and_sorted() -> None:
    bill = settle(
        [charge("a", 1, "1.00", "20"), charge("b", 1, "1.00", "5.5"), charge("c", 1, "1", "20.0")],
        currency="EUR",
        start=None,
        end=None,
    )
    assert [(plain(v.rate), v.base) for v in bill.vat] == [("5.5", D("1.00")), ("20", D("2.00"))]


def test_identical_charges_are_added_before_rounding() -> None:
    # Two halves of 0.005 would round to 0.01 each; added first they are 0.01 once.
    half = charge("a", Fraction(1, 2), "0.01", "0")
    bill = settle([half, half], currency="EUR", start=None, end=None)
    assert [(line.quantity, line.amount) for line in bill.lines] == [(D("1"), D("0.01"))]


def test_cents_and_plain() -> None:
    assert cents(D("263.73")) == 26373
    assert cents(D("-0.05")) == -5
    with pytest.raises(ValueError, match="cents"):
        cents(D("0.005"))
    assert [plain(D(x)) for x in ("20", "20.0", "5.5", "5.50", "1E+2", "0.000")] == [
        "20",
        "20",
        "5.5",
        "5.5",
        "100",
        "0",
    ]


def test_the_float_trap_is_on() -> None:
    with pytest.raises(decimal.FloatOperation):
        Decimal(0.1)  # noqa: RUF032 - the point of the test
    with pytest.raises(decimal.FloatOperation):
        assert D("0.1") < 0.5
