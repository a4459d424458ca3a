"""Property tests (hypothesis) of the engine: the invariants issue 3 lists, on random tariffs."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from tariffs.engine import parse_quantity, price_period, price_span
from tariffs.model import PERIODS, Bill, Block, StandingCharge, Tariff, VolumetricCharge
from tariffs.money import period_share, round_half_up

settings.register_profile("tariffs", deadline=None, max_examples=150)
settings.load_profile("tariffs")

VAT_RATES = [Decimal(r) for r in ("0", "5.5", "6", "10", "20")]
CENT = Decimal("0.01")


def decimals(high: int, places: int) -> st.SearchStrategy[Decimal]:
    """Decimals from 0 to `high` with `places` decimals, built from integers (never floats)."""
    return st.integers(0, high * 10**places).map(lambda n: Decimal(n).scaleb(-places))


vat_rates = st.sampled_from(VAT_RATES)
prices = decimals(5, 4)
usages = decimals(2000, 3)
days = st.dates(min_value=date(2023, 1, 1), max_value=date(2027, 12, 31))


@st.composite
def tariffs(draw: st.DrawFn) -> Tariff:
    """A valid tariff: increasing thresholds, per-person parts that never decrease, social
    prices at most the price."""
    count = draw(st.integers(1, 4))
    steps = draw(st.lists(decimals(200, 2).filter(bool), min_size=count - 1, max_size=count - 1))
    per_person = sorted(draw(st.lists(decimals(40, 1), min_size=count - 1, max_size=count - 1)))
    blocks, threshold = [], Decimal(0)
    for i in range(count):
        price = draw(prices)
        share = draw(st.none() | st.integers(0, 100))  # social price: this % of the price
        social = None if share is None else price * share / 100
        up_to = None
        if i < count - 1:
            threshold += steps[i]
            up_to = threshold
        pp = per_person[i] if up_to is not None else Decimal(0)
        blocks.append(Block(f"block {i}", price, draw(vat_rates), up_to, pp, social))
    return Tariff(
        name="random",
        service="water",
        currency="EUR",
        unit="m^3",
        period=draw(st.sampled_from(PERIODS)),
        valid_from=date(2023, 1, 1),
        standing_charges=tuple(
            StandingCharge(f"standing {i}", amount, vat)
            for i, (amount, vat) in enumerate(
                draw(st.lists(st.tuples(decimals(300, 2), vat_rates), max_size=2))
            )
        ),
        volumetric_charges=tuple(
            VolumetricCharge(f"levy {i}", price, vat)
            for i, (price, vat) in enumerate(
                draw(st.lists(st.tuples(prices, vat_rates), max_size=2))
            )
        ),
        blocks=tuple(blocks),
    )


@st.composite
def spans(draw: st.DrawFn) -> tuple[date, date]:
    start = draw(days)
    return start, start + timedelta(days=draw(st.integers(0, 500)))


def check_totals(bill: Bill) -> None:
    for amount in [line.amount for line in bill.lines] + [v.amount for v in bill.vat]:
        assert amount == amount.quantize(CENT)
    assert bill.total_excl_vat == sum((line.amount for line in bill.lines), Decimal(0))
    assert bill.total_vat == sum((v.amount for v in bill.vat), Decimal(0))
    assert bill.total == bill.total_excl_vat + bill.total_vat
    for v in bill.vat:
        base = sum((line.amount for line in bill.lines if line.vat_rate == v.rate), Decimal(0))
        assert v.base == base
        assert v.amount == (base * v.rate / 100).quantize(CENT, rounding=ROUND_HALF_UP)


@given(tariffs(), usages, st.integers(0, 8), st.booleans(), st.none() | spans())
def test_total_is_the_sum_of_the_lines_and_the_vat(
    tariff: Tariff, usage: Decimal, persons: int, social: bool, span: tuple[date, date] | None
) -> None:
    start, end = span or (None, None)
    bill = price_period(tariff, usage, persons=persons, social=social, start=start, end=end)
    check_totals(bill)


@given(tariffs(), usages, usages, st.integers(0, 8), st.booleans(), st.none() | spans())
def test_the_bill_never_decreases_when_use_increases(
    tariff: Tariff,
    a: Decimal,
    b: Decimal,
    persons: int,
    social: bool,
    span: tuple[date, date] | None,
) -> None:
    low, high = sorted((a, b))
    start, end = span or (None, None)
    kwargs = {"persons": persons, "social": social, "start": start, "end": end}
    assert price_period(tariff, low, **kwargs).total <= price_period(tariff, high, **kwargs).total


@given(tariffs(), st.integers(0, 8), st.booleans(), st.data())
def test_no_jump_at_a_block_threshold(
    tariff: Tariff, persons: int, social: bool, data: st.DataObject
) -> None:
    thresholds = [b.threshold(persons) for b in tariff.blocks if b.up_to is not None]
    if not thresholds:
        return
    threshold = data.draw(st.sampled_from(thresholds))
    delta = Decimal("0.001")
    below = price_period(tariff, max(threshold - delta, Decimal(0)), persons=persons, social=social)
    at = price_period(tariff, threshold, persons=persons, social=social)
    above = price_period(tariff, threshold + delta, persons=persons, social=social)
    # Crossing the threshold by 2 × 0.001 m³ moves each line by at most its marginal price
    # (≤ 5 €) × 0.002 plus a cent of rounding, and each VAT amount by a cent more.
    slack = (Decimal("0.01") + Decimal("0.01")) * 2 * (len(above.lines) + len(above.vat))
    assert below.total <= at.total <= above.total
    assert above.total - below.total <= slack


@given(tariffs(), usages, st.integers(0, 8), st.none() | spans())
def test_the_social_price_never_costs_more(
    tariff: Tariff, usage: Decimal, persons: int, span: tuple[date, date] | None
) -> None:
    start, end = span or (None, None)
    kwargs = {"persons": persons, "start": start, "end": end}
    social = price_period(tariff, usage, social=True, **kwargs)
    assert social.total <= price_period(tariff, usage, social=False, **kwargs).total


@given(tariffs(), usages, st.integers(0, 8), st.booleans(), spans(), st.data())
def test_a_span_split_across_two_identical_versions_costs_the_same(
    tariff: Tariff,
    usage: Decimal,
    persons: int,
    social: bool,
    span: tuple[date, date],
    data: st.DataObject,
) -> None:
    start, end = span
    change = start + timedelta(days=data.draw(st.integers(0, (end - start).days)))
    again = replace(tariff, valid_from=change)
    if change == tariff.valid_from:
        return
    kwargs = {"persons": persons, "social": social, "start": start, "end": end}
    assert price_span([tariff, again], usage, **kwargs) == price_span([tariff], usage, **kwargs)


@given(tariffs(), st.integers(0, 8), st.booleans())
def test_zero_use_costs_exactly_the_standing_charges(
    tariff: Tariff, persons: int, social: bool
) -> None:
    bill = price_period(tariff, Decimal(0), persons=persons, social=social)
    assert [line.name for line in bill.lines] == [s.name for s in tariff.standing_charges]
    rates: dict[Decimal, Decimal] = {}
    for s in tariff.standing_charges:
        rates[s.vat] = rates.get(s.vat, Decimal(0)) + s.amount
    vat = sum(
        (
            (base * rate / 100).quantize(CENT, rounding=ROUND_HALF_UP)
            for rate, base in rates.items()
        ),
        Decimal(0),
    )
    assert bill.total == sum((s.amount for s in tariff.standing_charges), Decimal(0)) + vat


@given(st.integers(0, 10**9))
def test_litres_are_exactly_thousandths_of_cubic_metres(litres: int) -> None:
    cubic = Decimal(litres).scaleb(-3)
    assert parse_quantity(f"{litres} L", "water", "m^3") == Fraction(cubic)
    assert parse_quantity(f"{cubic} m^3", "water", "L") == litres


@given(st.integers(-(10**9), 10**9), st.integers(0, 6))
def test_round_half_up_agrees_with_decimal_quantize(units: int, places: int) -> None:
    value = Decimal(units).scaleb(-places)
    assert round_half_up(value) == value.quantize(CENT, rounding=ROUND_HALF_UP)


@given(st.sampled_from(PERIODS), days, st.integers(0, 400), st.integers(0, 400))
def test_period_shares_add_up(period: str, start: date, first: int, second: int) -> None:
    middle = start + timedelta(days=first)
    end = middle + timedelta(days=1 + second)
    whole = period_share(period, start, end)  # type: ignore[arg-type]
    parts = period_share(period, start, middle) + period_share(
        period, middle + timedelta(days=1), end
    )  # type: ignore[arg-type]
    assert whole == parts
