"""The tariff engine: golden bills worked by hand, and the rules one by one."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest

from tariffs.engine import (
    PricingError,
    conversion_factor,
    parse_quantity,
    price_period,
    price_span,
    split_span,
)
from tariffs.model import Block, StandingCharge, Tariff
from tariffs.tariff_file import load_tariff
from tests.tariffs.golden_cases import Case, comparable, load_cases

EXAMPLES = Path(__file__).resolve().parents[2] / "tariffs" / "examples"
D = Decimal


def example(name: str) -> Tariff:
    return load_tariff(EXAMPLES / name)


@pytest.mark.parametrize("case", load_cases())
def test_golden_bill(case: Case) -> None:
    tariff = load_tariff(case.tariff)
    usage = None if case.usage is None else parse_quantity(case.usage, tariff.service, tariff.unit)
    registers = {
        name: parse_quantity(text, tariff.service, tariff.unit)
        for name, text in case.registers.items()
    } or None
    if case.start is None or case.end is None:
        bill = price_period(
            tariff, usage, persons=case.persons, social=case.social, registers=registers
        )
    else:
        bill = price_span(
            [tariff],
            usage,
            persons=case.persons,
            social=case.social,
            start=case.start,
            end=case.end,
            registers=registers,
        )
    assert comparable(bill.as_dict()) == case.expected
    assert bill.total == bill.total_excl_vat + bill.total_vat


@pytest.mark.parametrize(
    ("text", "unit", "expected"),
    [
        ("120 m^3", "m^3", Fraction(120)),
        ("120 m3", "m^3", Fraction(120)),
        ("120 m³", "m^3", Fraction(120)),
        ("120000 L", "m^3", Fraction(120)),
        ("120000 l", "m3", Fraction(120)),
        ("0.5 m^3", "L", Fraction(500)),
        ("1 mL", "L", Fraction(1, 1000)),
        ("1.5 MWh", "kWh", Fraction(1500)),
        ("2300 Wh", "kWh", Fraction(23, 10)),
        ("3600000 J", "kWh", Fraction(1)),
        ("1 J", "kWh", Fraction(1, 3_600_000)),
    ],
)
def test_quantities_convert_exactly(text: str, unit: str, expected: Fraction) -> None:
    service = "electricity" if unit.endswith("Wh") else "water"
    assert parse_quantity(text, service, unit) == expected


def test_conversion_factors_are_exact() -> None:
    assert conversion_factor("L", "m^3") == Fraction(1, 1000)
    assert conversion_factor("gallon", "L") == Fraction("3.785411784")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("120", "has no unit"),
        ("m^3", "not a quantity"),
        ("-3 m^3", "negative use"),
        ("120 kWh", "not a unit of water use"),
        ("120 furlongs^3x", "unknown unit"),
        ("", "not a quantity"),
    ],
)
def test_bad_quantities(text: str, reason: str) -> None:
    with pytest.raises(PricingError, match=reason):
        parse_quantity(text, "water", "m^3")


def test_zero_use_costs_the_standing_charges() -> None:
    bill = price_period(example("montpellier_2023.toml"), D("0"))
    assert [line.name for line in bill.lines] == ["Abonnement"]
    assert bill.total == D("227.88")


def test_a_bill_is_stored_as_integer_cents() -> None:
    bill = price_period(example("dunkerque_eco_solidaire.toml"), D("120"))
    assert bill.total_cents == 26373
    assert [line.amount_cents for line in bill.lines] == [4800, 6225, 6885, 3960, 3000]


def test_per_person_thresholds_need_the_household_size() -> None:
    with pytest.raises(PricingError, match="number of persons"):
        price_period(example("flanders_water.toml"), D("100"))


def test_negative_persons_are_refused() -> None:
    with pytest.raises(PricingError, match="persons"):
        price_period(example("flanders_water.toml"), D("100"), persons=-1)


def test_register_tariffs_need_the_use_per_register() -> None:
    with pytest.raises(PricingError, match="give the use of hp, hc"):
        price_period(example("tarif_bleu_hphc.toml"), D("100"))


def test_unknown_register_is_refused() -> None:
    with pytest.raises(PricingError, match="unknown register 'hcc'"):
        price_period(example("tarif_bleu_hphc.toml"), None, registers={"hcc": D("1")})


def test_use_must_match_the_registers() -> None:
    with pytest.raises(PricingError, match="differs from the sum"):
        price_period(
            example("tarif_bleu_hphc.toml"), D("100"), registers={"hp": D("60"), "hc": D("30")}
        )


def test_one_register_tariff_takes_the_total() -> None:
    bill = price_period(example("tarif_bleu_base.toml"), D("100"))
    assert [(line.name, line.amount) for line in bill.lines][1] == ("Énergie (Base)", D("20.16"))


def test_tempo_prices_six_registers() -> None:
    uses = {"bleu_hc": D("100"), "bleu_hp": D("200"), "rouge_hp": D("10")}
    bill = price_period(example("tarif_bleu_tempo.toml"), None, registers=uses)
    amounts = {line.name: line.amount for line in bill.lines}
    # 100 × 0.1288 = 12.88; 200 × 0.1552 = 31.04; 10 × 0.6586 = 6.586 → 6.59
    assert amounts == {
        "Abonnement 6 kVA": D("13.20"),
        "Jours bleus, heures creuses": D("12.88"),
        "Jours bleus, heures pleines": D("31.04"),
        "Jours rouges, heures pleines": D("6.59"),
    }


def test_span_needs_both_ends() -> None:
    with pytest.raises(PricingError, match="both ends"):
        price_period(example("montpellier_2023.toml"), D("1"), start=date(2023, 1, 1))


def test_span_before_the_tariff_is_refused() -> None:
    with pytest.raises(PricingError, match="applies from 2023-01-01"):
        price_span(
            [example("montpellier_2023.toml")],
            D("1"),
            start=date(2022, 12, 1),
            end=date(2023, 1, 31),
        )


def test_span_split_at_a_change_of_version() -> None:
    # Version 1 until 30 June 2026, version 2 (essential water at 1.00) from 1 July.
    v1 = replace(example("dunkerque_eco_solidaire.toml"), valid_from=date(2026, 1, 1))
    blocks = (replace(v1.blocks[0], price=D("1.00")), *v1.blocks[1:])
    v2 = replace(v1, valid_from=date(2026, 7, 1), blocks=blocks)
    assert [(s, e) for _, s, e in split_span([v2, v1], date(2026, 1, 1), date(2026, 12, 31))] == [
        (date(2026, 1, 1), date(2026, 6, 30)),
        (date(2026, 7, 1), date(2026, 12, 31)),
    ]
    bill = price_span([v1, v2], D("365"), start=date(2026, 1, 1), end=date(2026, 12, 31))
    lines = {(line.name, line.unit_price): line for line in bill.lines}
    # Use spread by share of the year: 181 m³ then 184 m³; thresholds 75 × 181/365 and
    # 75 × 184/365 m³ of essential water, each at its version's price.
    assert lines[("Eau essentielle", D("0.83"))].quantity == D("37.191781")  # 75 × 181/365
    assert lines[("Eau essentielle", D("1.00"))].quantity == D("37.808219")  # 75 × 184/365
    assert lines[("Eau essentielle", D("0.83"))].amount == D("30.87")  # 30.8691… → 30.87
    assert lines[("Eau essentielle", D("1.00"))].amount == D("37.81")
    # The standing charge and the other blocks are the same in both versions: one line each.
    assert lines[("Abonnement", D("48.00"))].quantity == D("1")
    assert lines[("Eau utile", D("1.53"))].quantity == D("125")
    assert lines[("Eau de confort", D("2.04"))].quantity == D("165")


def test_versions_must_share_their_unit() -> None:
    v1 = example("dunkerque_eco_solidaire.toml")
    v2 = replace(v1, valid_from=date(2030, 1, 1), unit="L")
    with pytest.raises(PricingError, match="differ"):
        price_span([v1, v2], D("1"), start=date(2029, 1, 1), end=date(2030, 12, 31))


def test_an_empty_block_gets_no_line() -> None:
    tariff = Tariff(
        name="t",
        service="water",
        currency="EUR",
        unit="m^3",
        period="year",
        valid_from=date(2026, 1, 1),
        standing_charges=(StandingCharge("Abonnement", D("10.00"), D("0")),),
        blocks=(Block("A", D("1"), D("0"), up_to=D("10")), Block("B", D("2"), D("0"))),
    )
    bill = price_period(tariff, D("10"))
    assert [line.name for line in bill.lines] == ["Abonnement", "A"]
