"""Tariff files: TOML read into a Tariff, every problem collected with its file, line and field."""

from __future__ import annotations

import re
import tomllib
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from tariffs.engine import REASONS as ENGINE_REASONS
from tariffs.engine import PricingError, check_unit, is_power
from tariffs.model import (
    DEFAULT_REGISTERS,
    PERIODS,
    SERVICES,
    Block,
    RegisterPrice,
    StandingCharge,
    Tariff,
    TariffFileError,
    TariffProblem,
    VolumetricCharge,
)

__all__ = [
    "REASONS", "TariffFileError", "TariffProblem", "load_tariff", "parse_tariff", "read_tariff",
]  # fmt: skip

TABLES = ("tariff", "standing_charge", "volumetric_charge", "block", "register_price")
TARIFF_KEYS = {
    "name", "service", "currency", "unit", "period", "valid_from", "description",
    "registers", "block_register", "subscribed_power",
}  # fmt: skip
_REGISTER_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_TOML_AT = re.compile(r"\(at line (\d+), column \d+\)")
_HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.-]+)\s*\]")
_KEY = re.compile(r"^\s*([A-Za-z0-9_-]+)\s*=")

_UNIT_CODES = ("unknown_unit", "not_water_unit", "not_electricity_unit")

REASONS: dict[str, str] = {
    "unreadable": "cannot read the file: %(error)s",
    "not_toml": "not valid TOML: %(error)s",
    "unknown_table": "unknown table or key (a tariff file has: %(tables)s)",
    "no_tariff_table": "missing [tariff] table",
    # A unit is checked by the engine: its words.
    **{code: ENGINE_REASONS[code] for code in _UNIT_CODES},
    "not_currency": '%(currency)s is not an ISO 4217 code such as "EUR"',
    "not_date": "must be a TOML date without quotes: valid_from = 2026-01-01",
    "not_power": '%(power)s is not a power such as "6 kVA"',
    "not_tables": "write each one as a [[%(table)s]] table",
    "social_above_price": "%(social)s is above the price %(price)s",
    "after_open_ended": "comes after the open-ended block[%(index)s] (no up_to)",
    "per_person_open_ended": "needs an up_to (the block is open-ended)",
    "first_threshold_zero": "the first threshold must be above 0",
    "threshold_not_above": (
        "%(up_to)s is not above block[%(index)s].up_to %(before)s (thresholds must increase)"
    ),
    "per_person_decreases": (
        "%(per_person)s is below block[%(index)s].up_to_per_person %(before)s (must not decrease)"
    ),
    "last_not_open_ended": (
        "the last block must be open-ended (no up_to): use above it would have no price"
    ),
    "no_registers": 'list the meter\'s registers: registers = ["hp", "hc"]',
    "not_register_names": 'must be a list of names such as ["hp", "hc"]',
    "register_named_twice": "names a register twice",
    "unknown_register": "unknown register %(register)s (registers: %(registers)s)",
    "register_priced_twice": "register %(register)s is priced twice",
    "register_priced_by_blocks": "register %(register)s is priced by the blocks",
    "no_block_for_register": "there is no [[block]] to price that register",
    "no_block_register": 'blocks and register prices: name the register the blocks price ("hp")',
    "nothing_prices": "nothing prices the use: add [[block]] or [[register_price]]",
    "register_without_price": "register %(register)s has no price",
    "unknown_key": "unknown key (allowed: %(keys)s)",
    "missing": "missing",
    "not_text": "must be a non-empty string",
    "not_one_of": "%(value)s is not one of: %(choices)s",
    "float": 'write it as a string, %(key)s = "%(value)s": never a float',
    "not_string_number": 'must be a string such as "0.83", not %(value)s',
    "not_number": "not a number: %(value)s",
    "not_finite": "not a finite number: %(value)s",
    "negative": "negative %(what)s: %(value)s",
    "not_percentage": "%(rate)s is not a percentage between 0 and 100",
}
"""Why a tariff file is refused, by code: English `%(name)s` templates, kept apart from their
values so that an interface can show them in its language (the web's French catalogue)."""


def load_tariff(path: str | Path) -> Tariff:
    """Read a tariff file, or raise TariffFileError listing all its problems."""
    tariff, problems = read_tariff(path)
    if problems or tariff is None:
        raise TariffFileError(str(path), problems)
    return tariff


def read_tariff(path: str | Path) -> tuple[Tariff | None, list[TariffProblem]]:
    """Read a tariff file into (tariff, problems); the tariff is None when there are problems."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [_problem(str(path), "", None, "unreadable", error=exc)]
    return parse_tariff(text, str(path))


def parse_tariff(text: str, path: str = "<tariff>") -> tuple[Tariff | None, list[TariffProblem]]:
    """Parse the text of a tariff file (beancount style: problems are returned, not raised)."""
    try:
        # Bare floats become Decimal here (never a float), only to be refused as money below.
        data = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        at = _TOML_AT.search(str(exc))
        line = int(at.group(1)) if at else None
        return None, [_problem(path, "", line, "not_toml", error=exc)]
    reader = _Reader(path, _locate(text))
    tariff = reader.tariff(data)
    problems = sorted(reader.problems, key=lambda p: p.line or 0)  # in the order of the file
    return (tariff if not problems else None), problems


def _problem(
    path: str, field: str, line: int | None, code: str, /, **params: object
) -> TariffProblem:
    """A problem with its English reason, and the template and values it is made of."""
    template = REASONS[code]
    values = tuple((name, str(value)) for name, value in params.items())
    return TariffProblem(path, field, template % dict(values), line, template, values)


def _unit_code(template: str) -> str:
    """The code of the engine's reason for refusing a unit (`check_unit`)."""
    return next(code for code in _UNIT_CODES if ENGINE_REASONS[code] == template)


def _locate(text: str) -> dict[tuple[str, int, str | None], int]:
    """Line numbers of tables and keys: (table, index from 1 or 0 for a table, key) → line."""
    where: dict[tuple[str, int, str | None], int] = {}
    counts: dict[str, int] = {}
    table, index = "", 0
    for number, line in enumerate(text.splitlines(), start=1):
        if header := _HEADER.match(line):
            table = header.group(2)
            counts[table] = counts.get(table, 0) + 1
            index = counts[table] if header.group(1) == "[[" else 0
            where.setdefault((table, index, None), number)
        elif key := _KEY.match(line):
            where.setdefault((table, index, key.group(1)), number)
    return where


class _Reader:
    """Reads the TOML data field by field, collecting every problem instead of stopping."""

    def __init__(self, path: str, where: dict[tuple[str, int, str | None], int]) -> None:
        self.path = path
        self.where = where
        self.problems: list[TariffProblem] = []

    def problem(
        self, table: str, index: int, key: str | None, code: str, /, **params: object
    ) -> None:
        name = table if index == 0 else f"{table}[{index}]"
        field = name if key is None else (f"{name}.{key}" if name else key)
        line = self.where.get((table, index, key)) or self.where.get((table, index, None))
        self.problems.append(_problem(self.path, field, line, code, **params))

    def tariff(self, data: dict[str, Any]) -> Tariff | None:
        for key in data:
            if key not in TABLES:
                line = self.where.get((key, 1, None)) or self.where.get((key, 0, None))
                tables = ", ".join(TABLES)
                self.problems.append(_problem(self.path, key, line, "unknown_table", tables=tables))
        head = data.get("tariff")
        if not isinstance(head, dict):
            self.problem("tariff", 0, None, "no_tariff_table")
            return None
        t = _Table(self, "tariff", 0, head, TARIFF_KEYS)
        t.text("name")
        service = t.choice("service", SERVICES)
        unit = t.text("unit")
        if unit is not None and service is not None:
            try:
                check_unit(unit, service)
            except PricingError as exc:
                t.problem("unit", _unit_code(exc.template), **exc.params)
        t.choice("period", PERIODS)
        currency = t.text("currency")
        if currency is not None and not _CURRENCY.match(currency):
            t.problem("currency", "not_currency", currency=repr(currency))
        valid_from = t.get("valid_from")
        if valid_from is not None and type(valid_from) is not date:
            t.problem("valid_from", "not_date")
        power = t.text("subscribed_power", required=False)
        if power is not None and not is_power(power):
            t.problem("subscribed_power", "not_power", power=repr(power))
        t.text("description", required=False)
        standing = [
            StandingCharge(s.text("name") or "", s.money("amount"), s.percent("vat"))
            for s in self.tables(data, "standing_charge", {"name", "amount", "vat"})
        ]
        levies = [
            VolumetricCharge(v.text("name") or "", v.money("price"), v.percent("vat"))
            for v in self.tables(data, "volumetric_charge", {"name", "price", "vat"})
        ]
        blocks = self.blocks(data)
        registers, block_register, register_prices = self.registers(t, data, blocks)
        if self.problems:
            return None
        return Tariff(
            **{key: head[key] for key in ("name", "service", "currency", "unit", "period")},
            valid_from=head["valid_from"],
            standing_charges=tuple(standing),
            volumetric_charges=tuple(levies),
            blocks=tuple(blocks),
            register_prices=tuple(register_prices),
            registers=registers,
            block_register=block_register,
            subscribed_power=power,
        )

    def tables(self, data: dict[str, Any], name: str, keys: set[str]) -> list[_Table]:
        rows = data.get(name, [])
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            self.problem("", 0, name, "not_tables", table=name)
            return []
        return [_Table(self, name, i, row, keys) for i, row in enumerate(rows, start=1)]

    def blocks(self, data: dict[str, Any]) -> list[Block]:
        keys = {"name", "up_to", "up_to_per_person", "price", "social_price", "vat"}
        blocks: list[Block] = []
        open_ended = 0  # index of the first block without up_to
        before: tuple[int, Decimal, Decimal] | None = None  # last threshold: index, up_to, pp
        for b in self.tables(data, "block", keys):
            price = b.number("price")
            social = b.number("social_price", required=False)
            if social is not None and price is not None and social > price:
                b.problem("social_price", "social_above_price", social=social, price=price)
            up_to = b.number("up_to", required=False)
            per_person = b.number("up_to_per_person", required=False)
            if open_ended:
                b.problem(None, "after_open_ended", index=open_ended)
            elif "up_to" not in b.data:
                open_ended = b.index
                if per_person is not None:
                    b.problem("up_to_per_person", "per_person_open_ended")
            elif up_to is not None:
                pp = per_person or Decimal(0)
                if before is None and up_to == 0:
                    b.problem("up_to", "first_threshold_zero")
                if before is not None and up_to <= before[1]:
                    b.problem(
                        "up_to", "threshold_not_above", up_to=up_to, index=before[0],
                        before=before[1],
                    )  # fmt: skip
                if before is not None and pp < before[2]:
                    b.problem(
                        "up_to_per_person", "per_person_decreases", per_person=pp,
                        index=before[0], before=before[2],
                    )  # fmt: skip
                before = (b.index, up_to, pp)
            name = b.text("name") or ""
            vat = b.percent("vat")
            pp = per_person or Decimal(0)
            blocks.append(
                Block(name, Decimal(0) if price is None else price, vat, up_to, pp, social)
            )
        if blocks and not open_ended:
            self.problem("block", len(blocks), "up_to", "last_not_open_ended")
        return blocks

    def registers(
        self, t: _Table, data: dict[str, Any], blocks: list[Block]
    ) -> tuple[tuple[str, ...], str | None, list[RegisterPrice]]:
        keys = {"register", "name", "price", "vat"}
        rows = self.tables(data, "register_price", keys)
        block_register = t.text("block_register", required=False)
        declared = t.get("registers", required=False)
        registers, checked = DEFAULT_REGISTERS, False
        if declared is None:
            if rows or block_register is not None:
                t.problem("registers", "no_registers")
        elif not isinstance(declared, list) or not all(map(_is_register, declared)) or not declared:
            t.problem("registers", "not_register_names")
        elif len(set(declared)) != len(declared):
            t.problem("registers", "register_named_twice")
        else:
            registers, checked = tuple(declared), True
        known = ", ".join(registers)
        prices: list[RegisterPrice] = []
        for r in rows:
            register = r.text("register") or ""
            if checked and register and register not in registers:
                r.problem("register", "unknown_register", register=repr(register), registers=known)
            elif register and any(p.register == register for p in prices):
                r.problem("register", "register_priced_twice", register=repr(register))
            elif register and register == block_register:
                r.problem("register", "register_priced_by_blocks", register=repr(register))
            name = r.text("name", required=False) or register
            prices.append(RegisterPrice(register, name, r.money("price"), r.percent("vat")))
        if block_register is not None:
            if checked and block_register not in registers:
                t.problem(
                    "block_register", "unknown_register", register=repr(block_register),
                    registers=known,
                )  # fmt: skip
            if not blocks:
                t.problem("block_register", "no_block_for_register")
        elif blocks and rows:
            t.problem("block_register", "no_block_register")
        if not blocks and not rows:
            self.problem("", 0, None, "nothing_prices")
        if rows and checked and not self.problems:
            priced = {p.register for p in prices} | {block_register}
            for register in registers:
                if register not in priced:
                    t.problem("registers", "register_without_price", register=repr(register))
        return registers, block_register, prices


def _is_register(name: object) -> bool:
    return isinstance(name, str) and _REGISTER_NAME.match(name) is not None


class _Table:
    """One TOML table of the file (`[tariff]`, or the n-th `[[block]]`) being read."""

    def __init__(
        self, reader: _Reader, table: str, index: int, data: dict[str, Any], keys: set[str]
    ) -> None:
        self.reader, self.table, self.index, self.data = reader, table, index, data
        for key in data:
            if key not in keys:
                self.problem(key, "unknown_key", keys=", ".join(sorted(keys)))

    def problem(self, key: str | None, code: str, /, **params: object) -> None:
        self.reader.problem(self.table, self.index, key, code, **params)

    def get(self, key: str, required: bool = True) -> Any:
        if key not in self.data:
            if required:
                self.problem(key, "missing")
            return None
        return self.data[key]

    def text(self, key: str, required: bool = True) -> str | None:
        value = self.get(key, required)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            self.problem(key, "not_text")
            return None
        return value

    def choice(self, key: str, choices: tuple[str, ...]) -> str | None:
        value = self.text(key)
        if value is not None and value not in choices:
            self.problem(key, "not_one_of", value=repr(value), choices=", ".join(choices))
            return None
        return value

    def number(self, key: str, required: bool = True) -> Decimal | None:
        """A non-negative Decimal written as a string ("0.83") or an integer (75)."""
        value = self.get(key, required)
        if value is None:
            return None
        if isinstance(value, Decimal):  # a TOML float, read as Decimal by parse_float
            self.problem(key, "float", key=key, value=value)
            return None
        if isinstance(value, bool) or not isinstance(value, str | int):
            self.problem(key, "not_string_number", value=repr(value))
            return None
        try:
            number = Decimal(value)
        except InvalidOperation:
            self.problem(key, "not_number", value=repr(value))
            return None
        if not number.is_finite():
            self.problem(key, "not_finite", value=repr(value))
            return None
        if number < 0:
            self.problem(key, "negative", what=key.replace("_", " "), value=value)
            return None
        return number

    def money(self, key: str) -> Decimal:
        """A required amount or price (Decimal 0 in its place when it has a problem)."""
        number = self.number(key)
        return Decimal(0) if number is None else number

    def percent(self, key: str) -> Decimal:
        rate = self.number(key)
        if rate is not None and rate > 100:
            self.problem(key, "not_percentage", rate=rate)
        return Decimal(0) if rate is None else rate
