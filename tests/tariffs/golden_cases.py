"""Golden cases: readable TOML files under golden/ with bills worked out by hand."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).resolve().parent / "golden"


@dataclass(frozen=True)
class Case:
    """One golden case: the quote's inputs and the expected bill (as the JSON shows it)."""

    file: str
    tariff: Path
    name: str
    usage: str | None
    registers: dict[str, str]
    persons: int | None
    social: bool
    start: date | None
    end: date | None
    expected: dict[str, Any]

    def cli_args(self) -> list[str]:
        """The `regie tariff quote` arguments of this case."""
        args = ["tariff", "quote", "--tariff", str(self.tariff)]
        if self.usage is not None:
            args += ["--usage", self.usage]
        for name, quantity in self.registers.items():
            args += ["--register", f"{name}={quantity}"]
        if self.persons is not None:
            args += ["--persons", str(self.persons)]
        if self.social:
            args.append("--social")
        if self.start and self.end:
            args += ["--from", self.start.isoformat(), "--to", self.end.isoformat()]
        return args


def load_cases() -> list[Any]:
    """Every golden case as a pytest parameter named after its file and case."""
    params = []
    for file in sorted(GOLDEN.glob("*.cases.toml")):
        data = tomllib.loads(file.read_text(encoding="utf-8"))
        for raw in data["case"]:
            case = Case(
                file=file.name,
                tariff=ROOT / data["tariff"],
                name=raw["name"],
                usage=raw.get("usage"),
                registers=raw.get("registers", {}),
                persons=raw.get("persons"),
                social=raw.get("social", False),
                start=raw.get("from"),
                end=raw.get("to"),
                expected=_expected(raw),
            )
            params.append(pytest.param(case, id=f"{file.name.split('.')[0]}: {case.name}"))
    return params


def _expected(raw: dict[str, Any]) -> dict[str, Any]:
    return {
        "lines": [
            dict(zip(("name", "quantity", "unit_price", "amount", "vat_rate"), line, strict=True))
            for line in raw["lines"]
        ],
        "vat": [dict(zip(("rate", "base", "amount"), v, strict=True)) for v in raw["vat"]],
        "total_excl_vat": raw["total_excl_vat"],
        "total_vat": raw["total_vat"],
        "total": raw["total"],
    }


def comparable(bill: dict[str, Any]) -> dict[str, Any]:
    """A bill's JSON without the line units (the golden files leave them out)."""
    lines = [{k: v for k, v in line.items() if k != "unit"} for line in bill["lines"]]
    return {**bill, "lines": lines}
