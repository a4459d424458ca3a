"""`regie tariff quote` and `regie tariff check`, driven through click's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from regie.cli import main
from tests.tariffs.golden_cases import Case, comparable, load_cases

EXAMPLES = Path(__file__).resolve().parents[2] / "tariffs" / "examples"
DUNKERQUE = str(EXAMPLES / "dunkerque_eco_solidaire.toml")
HPHC = str(EXAMPLES / "tarif_bleu_hphc.toml")
FLANDERS = str(EXAMPLES / "flanders_water.toml")


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def failed(result: Result) -> str:
    """The message of a run that failed cleanly: non-zero exit, no traceback."""
    assert result.exit_code != 0
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    return result.output


@pytest.mark.parametrize("case", load_cases())
def test_quote_prints_the_golden_bill(case: Case) -> None:
    result = run(*case.cli_args())
    assert result.exit_code == 0, result.output
    assert comparable(json.loads(result.output)) == case.expected


def test_quote_json_shape() -> None:
    result = run("tariff", "quote", "--tariff", DUNKERQUE, "--usage", "120 m^3")
    assert result.exit_code == 0, result.output
    bill = json.loads(result.output)
    assert list(bill) == ["lines", "vat", "total_excl_vat", "total_vat", "total"]
    assert bill["lines"][1] == {
        "name": "Eau essentielle",
        "quantity": "75",
        "unit": "m^3",
        "unit_price": "0.83",
        "amount": "62.25",
        "vat_rate": "5.5",
    }
    assert bill["vat"][0] == {"rate": "5.5", "base": "218.70", "amount": "12.03"}
    assert bill["total"] == "263.73"
    assert "Redevance modernisation des réseaux de collecte" in result.output  # not \u00e9


def test_litres_and_cubic_metres_give_the_same_bill() -> None:
    outputs = {
        run("tariff", "quote", "--tariff", DUNKERQUE, "--usage", usage).output
        for usage in ("120 m^3", "120 m3", "120000 L", "120000 l", "0.12 ML")
    }
    assert len(outputs) == 1


def test_registers_alone_give_the_total() -> None:
    result = run(
        "tariff",
        "quote",
        "--tariff",
        HPHC,
        "--register",
        'hc="1500 kWh"',
        "--register",
        "hp=2300 kWh",
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["total"] == "911.61"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tariff", DUNKERQUE, "--usage", "120 kWh"], "not a unit of water use"),
        (["--tariff", DUNKERQUE, "--usage", "lots"], "not a quantity"),
        (["--tariff", DUNKERQUE, "--usage", "120"], "has no unit"),
        (["--tariff", DUNKERQUE, "--usage", "-5 m^3"], "negative use"),
        (["--tariff", DUNKERQUE], "give --usage"),
        (
            ["--tariff", DUNKERQUE, "--usage", "1 m^3", "--from", "2026-01-01"],
            "both --from and --to",
        ),
        (
            [
                "--tariff",
                DUNKERQUE,
                "--usage",
                "1 m^3",
                "--from",
                "2026-13-01",
                "--to",
                "2026-12-31",
            ],
            "2026-13-01",
        ),
        (
            [
                "--tariff",
                DUNKERQUE,
                "--usage",
                "1 m^3",
                "--from",
                "2026-02-01",
                "--to",
                "2026-01-31",
            ],
            "ends",
        ),
        (
            [
                "--tariff",
                DUNKERQUE,
                "--usage",
                "1 m^3",
                "--from",
                "2020-01-01",
                "--to",
                "2020-12-31",
            ],
            "applies from 2024-01-01",
        ),
        (["--tariff", FLANDERS, "--usage", "100 m^3"], "--persons"),
        (["--tariff", FLANDERS, "--usage", "100 m^3", "--persons", "-1"], "--persons"),
        (["--tariff", HPHC, "--usage", "400 kWh"], "give the use of hp, hc"),
        (["--tariff", HPHC, "--register", "hcc=1 kWh"], "unknown register 'hcc'"),
        (["--tariff", HPHC, "--register", "hc"], 'NAME="QTY UNIT"'),
        (["--tariff", HPHC, "--register", "hc=1 kWh", "--register", "hc=2 kWh"], "twice"),
        (["--tariff", HPHC, "--usage", "5 kWh", "--register", "hc=1 kWh"], "differs from the sum"),
        (["--tariff", "/no/such/file.toml", "--usage", "1 m^3"], "does not exist"),
    ],
)
def test_bad_input_fails_with_a_message(args: list[str], message: str) -> None:
    assert message in failed(run("tariff", "quote", *args))


def test_a_broken_tariff_file_is_reported(tmp_path: Path) -> None:
    broken = tmp_path / "eau.toml"
    text = Path(DUNKERQUE).read_text(encoding="utf-8").replace('price = "1.53"', "price = 1.53")
    broken.write_text(text, encoding="utf-8")
    output = failed(run("tariff", "quote", "--tariff", str(broken), "--usage", "1 m^3"))
    line = text.splitlines().index("price = 1.53") + 1
    assert f"{broken}:{line}: block[2].price: " in output


def test_check_ok() -> None:
    result = run("tariff", "check", DUNKERQUE)
    assert (result.exit_code, result.output) == (0, "ok\n")


def test_check_lists_every_problem(tmp_path: Path) -> None:
    broken = tmp_path / "eau.toml"
    text = (
        Path(DUNKERQUE)
        .read_text(encoding="utf-8")
        .replace('unit = "m^3"', 'unit = "kWh"')
        .replace('up_to = "200"', 'up_to = "50"')
    )
    broken.write_text(text, encoding="utf-8")
    result = run("tariff", "check", str(broken))
    assert result.exit_code == 1
    lines = text.splitlines()
    unit, up_to = lines.index('unit = "kWh"') + 1, lines.index('up_to = "50"') + 1
    assert result.output.splitlines() == [
        f"{broken}:{unit}: tariff.unit: 'kWh' is not a unit of water use "
        "(needs [length] ** 3, has [mass] * [length] ** 2 / [time] ** 2)",
        f"{broken}:{up_to}: block[2].up_to: 50 is not above block[1].up_to 75 "
        "(thresholds must increase)",
    ]
