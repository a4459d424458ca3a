"""Tariff files: the shipped examples read cleanly; every malformed file is told why, and where."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from tariffs.engine import PricingError, check_unit
from tariffs.tariff_file import (
    REASONS,
    TariffFileError,
    TariffProblem,
    load_tariff,
    parse_tariff,
    read_tariff,
)

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "tariffs" / "examples").glob("*.toml"))

# A valid file; the cases below change one part of it. Line numbers matter in the tests.
VALID = """\
[tariff]
name = "Eau potable 2026"
service = "water"
currency = "EUR"
unit = "m^3"
period = "year"
valid_from = 2026-01-01

[[standing_charge]]
name = "Abonnement"
amount = "48.00"
vat = "5.5"

[[volumetric_charge]]
name = "Redevance pollution"
price = "0.33"
vat = "5.5"

[[block]]
name = "Eau essentielle"
up_to = "30"
up_to_per_person = "15"
price = "0.83"
social_price = "0.32"
vat = "5.5"

[[block]]
name = "Eau utile"
up_to = "120"
up_to_per_person = "15"
price = "1.53"
vat = "5.5"

[[block]]
name = "Eau de confort"
price = "2.04"
vat = "5.5"
"""


def problems_of(text: str) -> list[TariffProblem]:
    tariff, problems = parse_tariff(text, "eau.toml")
    assert (tariff is None) == bool(problems)
    return problems


def only(text: str) -> TariffProblem:
    problems = problems_of(text)
    assert len(problems) == 1, [str(p) for p in problems]
    return problems[0]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_examples_read_cleanly(path: Path) -> None:
    tariff = load_tariff(path)
    assert tariff.currency == "EUR"
    assert tariff.blocks or tariff.register_prices


def test_the_valid_file() -> None:
    tariff, problems = parse_tariff(VALID)
    assert problems == []
    assert tariff is not None
    assert tariff.valid_from == date(2026, 1, 1)
    assert tariff.blocks[0].threshold(3) == Decimal("75")
    assert tariff.blocks[0].social_price == Decimal("0.32")
    assert tariff.blocks[2].up_to is None
    assert tariff.registers == ("total",)
    assert tariff.per_person


ONE_PROBLEM = [
    ('price = "1.53"', 'price = "-1.53"', "block[2].price", 31, "negative price"),
    (
        'price = "1.53"',
        "price = 1.53",
        "block[2].price",
        31,
        'write it as a string, price = "1.53"',
    ),
    ('amount = "48.00"', "amount = 48.0", "standing_charge[1].amount", 11, "never a float"),
    ('price = "1.53"', 'price = "1,53"', "block[2].price", 31, "not a number: '1,53'"),
    ('price = "1.53"', 'price = "NaN"', "block[2].price", 31, "not a finite number"),
    ('price = "1.53"', "price = true", "block[2].price", 31, "must be a string"),
    (
        'vat = "5.5"\n\n[[volumetric',
        'vat = "120"\n\n[[volumetric',
        "standing_charge[1].vat",
        12,
        "between 0 and 100",
    ),
    ('unit = "m^3"', 'unit = "kWh"', "tariff.unit", 5, "not a unit of water use"),
    ('unit = "m^3"', 'unit = "m3"', None, None, None),
    ('unit = "m^3"', 'unit = "L"', None, None, None),
    ('unit = "m^3"', 'unit = "bananas"', "tariff.unit", 5, "unknown unit 'bananas'"),
    (
        'service = "water"',
        'service = "gas"',
        "tariff.service",
        3,
        "'gas' is not one of: water, electricity",
    ),
    (
        'period = "year"',
        'period = "week"',
        "tariff.period",
        6,
        "not one of: month, quarter, year",
    ),
    ('currency = "EUR"', 'currency = "euro"', "tariff.currency", 4, "ISO 4217"),
    (
        "valid_from = 2026-01-01",
        'valid_from = "2026-01-01"',
        "tariff.valid_from",
        7,
        "TOML date",
    ),
    (
        "valid_from = 2026-01-01",
        "valid_from = 2026-01-01T00:00:00",
        "tariff.valid_from",
        7,
        "TOML date",
    ),
    ('name = "Eau potable 2026"\n', "", "tariff.name", 1, "missing"),
    (
        'name = "Eau utile"\n',
        'name = "Eau utile"\nup_too = "3"\n',
        "block[2].up_too",
        29,
        "unknown key",
    ),
    (
        'up_to = "120"',
        'up_to = "30"',
        "block[2].up_to",
        29,
        "30 is not above block[1].up_to 30",
    ),
    ('up_to = "120"', 'up_to = "20"', "block[2].up_to", 29, "thresholds must increase"),
    ('up_to = "30"', 'up_to = "0"', "block[1].up_to", 21, "above 0"),
    (
        'social_price = "0.32"',
        'social_price = "0.90"',
        "block[1].social_price",
        24,
        "above the price",
    ),
    (
        'up_to_per_person = "15"',
        'up_to_per_person = "-15"',
        "block[1].up_to_per_person",
        22,
        "negative",
    ),
]


@pytest.mark.parametrize(("old", "new", "field", "line", "reason"), ONE_PROBLEM)
def test_one_problem(
    old: str, new: str, field: str | None, line: int | None, reason: str | None
) -> None:
    assert old in VALID
    text = VALID.replace(old, new, 1)
    if field is None:
        assert problems_of(text) == []
        return
    problem = only(text)
    assert (problem.field, problem.line) == (field, line), str(problem)
    assert reason is not None and reason in problem.reason
    assert str(problem).startswith(f"eau.toml:{line}: {field}: ")


def test_a_block_after_the_open_ended_one() -> None:
    text = VALID + '\n[[block]]\nname = "Eau de luxe"\nprice = "3.00"\nvat = "5.5"\n'
    problem = only(text)
    assert (problem.field, problem.line) == ("block[4]", 39)
    assert "after the open-ended block[3]" in problem.reason


def test_the_last_block_must_be_open_ended() -> None:
    text = VALID.replace('name = "Eau de confort"\n', 'name = "Eau de confort"\nup_to = "500"\n')
    text = text.replace('up_to = "500"\n', 'up_to = "500"\nup_to_per_person = "15"\n')
    problem = only(text)
    assert (problem.field, problem.line) == ("block[3].up_to", 36)
    assert "open-ended" in problem.reason


def test_per_person_thresholds_must_not_decrease() -> None:
    text = VALID.replace(
        'up_to_per_person = "15"\nprice = "1.53"', 'up_to_per_person = "10"\nprice = "1.53"'
    )
    problem = only(text)
    assert problem.field == "block[2].up_to_per_person"
    assert "must not decrease" in problem.reason


def test_unknown_tables_and_keys() -> None:
    text = VALID + '\n[[blok]]\nname = "x"\n'
    text = text.replace('period = "year"', 'period = "year"\ncolour = "blue"')
    fields = [(p.field, p.line) for p in problems_of(text)]
    assert fields == [("tariff.colour", 7), ("blok", 40)]


def test_every_problem_is_collected() -> None:
    text = (
        VALID.replace('unit = "m^3"', 'unit = "kWh"')
        .replace('price = "0.33"', "price = 0.33")
        .replace('up_to = "120"', 'up_to = "10"')
        .replace('price = "2.04"', 'price = "-2.04"')
    )
    fields = [p.field for p in problems_of(text)]
    assert fields == [
        "tariff.unit",
        "volumetric_charge[1].price",
        "block[2].up_to",
        "block[3].price",
    ]


def test_missing_tariff_table() -> None:
    problem = only('[[block]]\nname = "x"\nprice = "1"\nvat = "0"\n')
    assert (problem.field, problem.reason) == ("tariff", "missing [tariff] table")


def test_nothing_prices_the_use() -> None:
    text = VALID[: VALID.index("[[block]]")]
    problem = only(text)
    assert "nothing prices the use" in problem.reason


def test_not_toml() -> None:
    problem = only(VALID.replace('currency = "EUR"', "currency = EUR"))
    assert problem.line == 4
    assert problem.reason.startswith("not valid TOML")


HPHC = """\
[tariff]
name = "HP/HC"
service = "electricity"
currency = "EUR"
unit = "kWh"
period = "month"
valid_from = 2025-02-01
registers = ["hp", "hc"]

[[standing_charge]]
name = "Abonnement"
amount = "13.30"
vat = "5.5"

[[register_price]]
register = "hp"
price = "0.2146"
vat = "20"

[[register_price]]
register = "hc"
price = "0.1696"
vat = "20"
"""


def test_register_tariff() -> None:
    tariff, problems = parse_tariff(HPHC)
    assert problems == []
    assert tariff is not None
    assert tariff.registers == ("hp", "hc")
    assert [(r.register, r.name) for r in tariff.register_prices] == [("hp", "hp"), ("hc", "hc")]


REGISTER_PROBLEMS = [
    (
        'register = "hc"',
        'register = "hcc"',
        "register_price[2].register",
        "unknown register 'hcc' (registers: hp, hc)",
    ),
    ('register = "hc"', 'register = "hp"', "register_price[2].register", "priced twice"),
    ('registers = ["hp", "hc"]\n', "", "tariff.registers", "list the meter's registers"),
    ('registers = ["hp", "hc"]', 'registers = ["hp", "hp"]', "tariff.registers", "twice"),
    (
        'registers = ["hp", "hc"]',
        'registers = ["HP", "hc"]',
        "tariff.registers",
        "list of names",
    ),
    (
        'registers = ["hp", "hc"]',
        'registers = ["hp", "hc", "tempo"]',
        "tariff.registers",
        "'tempo' has no price",
    ),
    ('unit = "kWh"', 'unit = "m^3"', "tariff.unit", "not a unit of electricity use"),
    (
        "valid_from = 2025-02-01",
        'valid_from = 2025-02-01\nsubscribed_power = "6 kWh"',
        "tariff.subscribed_power",
        "not a power",
    ),
]


@pytest.mark.parametrize(("old", "new", "field", "reason"), REGISTER_PROBLEMS)
def test_register_problems(old: str, new: str, field: str, reason: str) -> None:
    problem = only(HPHC.replace(old, new, 1))
    assert problem.field == field, str(problem)
    assert reason in problem.reason


BLOCKS_ON_HP = """
[[block]]
name = "HP essentielles"
up_to = "200"
price = "0.18"
vat = "20"

[[block]]
name = "HP de confort"
price = "0.26"
vat = "20"
"""


def test_block_register_without_blocks() -> None:
    text = HPHC.replace("valid_from = 2025-02-01", 'valid_from = 2025-02-01\nblock_register = "hp"')
    reasons = [(p.field, p.reason) for p in problems_of(text)]
    assert ("tariff.block_register", "there is no [[block]] to price that register") in reasons


def test_blocks_on_one_register() -> None:
    text = HPHC.replace(
        'registers = ["hp", "hc"]', 'registers = ["hp", "hc"]\nblock_register = "hp"'
    )
    text = text.replace('[[register_price]]\nregister = "hp"\nprice = "0.2146"\nvat = "20"\n\n', "")
    tariff, problems = parse_tariff(text + BLOCKS_ON_HP)
    assert problems == []
    assert tariff is not None and tariff.block_register == "hp"


def test_blocks_and_register_prices_need_a_block_register() -> None:
    problem = only(HPHC + BLOCKS_ON_HP)
    assert problem.field == "tariff.block_register"


def test_a_register_priced_twice_by_blocks_and_price() -> None:
    text = HPHC.replace(
        'registers = ["hp", "hc"]', 'registers = ["hp", "hc"]\nblock_register = "hp"'
    )
    problem = only(text + BLOCKS_ON_HP)
    assert problem.field == "register_price[1].register"
    assert "priced by the blocks" in problem.reason


def test_load_raises_with_every_problem_and_the_file_name(tmp_path: Path) -> None:
    path = tmp_path / "eau.toml"
    path.write_text(VALID.replace('unit = "m^3"', 'unit = "kWh"').replace('"0.33"', "0.33"))
    with pytest.raises(TariffFileError) as caught:
        load_tariff(path)
    assert caught.value.path == str(path)
    assert len(caught.value.errors) == 2
    message = str(caught.value)
    assert message.startswith(f"{path}: 2 problems\n")
    assert f"{path}:5: tariff.unit: " in message
    assert f"{path}:16: volumetric_charge[1].price: " in message


def test_an_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes(b'[tariff]\nname = "\xe9t\xe9"\n')
    with pytest.raises(TariffFileError, match="cannot read the file"):
        load_tariff(path)
    with pytest.raises(TariffFileError, match="cannot read the file"):
        load_tariff(tmp_path / "missing.toml")


# Every bad file of the tests above, and a few more, so that each reason of REASONS is met.
BAD_FILES = [
    *(VALID.replace(old, new, 1) for old, new, field, *_ in ONE_PROBLEM if field),
    *(HPHC.replace(old, new, 1) for old, new, *_ in REGISTER_PROBLEMS),
    VALID + '\n[[block]]\nname = "Eau de luxe"\nprice = "3.00"\nvat = "5.5"\n',
    VALID.replace('name = "Eau de confort"\n', 'name = "Eau de confort"\nup_to = "500"\n'),
    VALID.replace('name = "Eau de confort"\n', 'name = "Eau de confort"\nup_to_per_person = "5"\n'),
    VALID.replace(
        'up_to_per_person = "15"\nprice = "1.53"', 'up_to_per_person = "10"\nprice = "1.53"'
    ),
    VALID.replace('period = "year"', 'period = "year"\ncolour = "blue"')
    + '\n[[blok]]\nname = "x"\n',
    VALID.replace("[[standing_charge]]", "[standing_charge]"),
    VALID.replace('name = "Abonnement"', 'name = ""'),
    '[[block]]\nname = "x"\nprice = "1"\nvat = "0"\n',
    VALID[: VALID.index("[[block]]")],
    VALID.replace('currency = "EUR"', "currency = EUR"),
    HPHC.replace("valid_from = 2025-02-01", 'valid_from = 2025-02-01\nblock_register = "hpx"'),
    HPHC + BLOCKS_ON_HP,
    HPHC.replace('registers = ["hp", "hc"]', 'registers = ["hp", "hc"]\nblock_register = "hp"')
    + BLOCKS_ON_HP,
]


def test_each_reason_is_its_template_filled_with_its_values(tmp_path: Path) -> None:
    """The web shows a problem in the page's language from its template and values: they
    must give back the English reason exactly, and every reason must be met by a bad file."""
    problems = [p for text in BAD_FILES for p in problems_of(text)]
    problems += read_tariff(tmp_path / "missing.toml")[1]
    for problem in problems:
        assert problem.template in REASONS.values(), problem
        assert problem.template % dict(problem.params) == problem.reason
    assert {p.template for p in problems} == set(REASONS.values())


@pytest.mark.parametrize(
    ("unit", "service"), [("kWh", "water"), ("m^3", "electricity"), ("bananas", "water")]
)
def test_a_unit_problem_says_what_the_engine_says(unit: str, service: str) -> None:
    text, old = (HPHC, 'unit = "kWh"') if service == "electricity" else (VALID, 'unit = "m^3"')
    problem = only(text.replace(old, f'unit = "{unit}"'))
    with pytest.raises(PricingError) as refused:
        check_unit(unit, service)
    assert problem.reason == str(refused.value)
