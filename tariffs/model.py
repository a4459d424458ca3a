"""Tariffs and bills as frozen dataclasses on Decimal (money) and Fraction (exact quantities)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any, Literal, Self

Service = Literal["water", "electricity"]
Period = Literal["month", "quarter", "year"]
ChargeKind = Literal["standing", "block", "register", "volumetric"]

SERVICES: tuple[Service, ...] = ("water", "electricity")
PERIODS: tuple[Period, ...] = ("month", "quarter", "year")
DEFAULT_REGISTERS: tuple[str, ...] = ("total",)
"""Registers of a tariff that prices one register only (the meter's `total`)."""
KIND_ORDER: tuple[ChargeKind, ...] = ("standing", "block", "register", "volumetric")
"""Order of the lines on a bill."""


@dataclass(frozen=True)
class StandingCharge:
    """A fixed amount per tariff period, excl. VAT; prorated by days over a shorter span."""

    name: str
    amount: Decimal
    vat: Decimal  # percent


@dataclass(frozen=True)
class VolumetricCharge:
    """A price on every unit consumed whatever the block (levies: pollution, networks)."""

    name: str
    price: Decimal
    vat: Decimal


@dataclass(frozen=True)
class Block:
    """A progressive block: use up to its threshold (cumulative from zero) pays its price.

    The threshold per period is `up_to + up_to_per_person × persons`; the last block has
    no `up_to` and takes all use above the previous threshold.
    """

    name: str
    price: Decimal
    vat: Decimal
    up_to: Decimal | None = None
    up_to_per_person: Decimal = Decimal("0")
    social_price: Decimal | None = None

    def threshold(self, persons: int) -> Decimal | None:
        """Upper bound of this block for one whole period, or None for the open-ended one."""
        if self.up_to is None:
            return None
        return self.up_to + self.up_to_per_person * persons


@dataclass(frozen=True)
class RegisterPrice:
    """Energy priced per register of the meter (Base, HP/HC, Tempo's six registers)."""

    register: str
    name: str
    price: Decimal
    vat: Decimal


@dataclass(frozen=True)
class Tariff:
    """One tariff (one version, effective from `valid_from`), as read from a tariff file."""

    name: str
    service: Service
    currency: str
    unit: str  # as written in the file ("m^3", "kWh"); quantities and prices per this unit
    period: Period
    valid_from: date
    standing_charges: tuple[StandingCharge, ...] = ()
    volumetric_charges: tuple[VolumetricCharge, ...] = ()
    blocks: tuple[Block, ...] = ()
    register_prices: tuple[RegisterPrice, ...] = ()
    registers: tuple[str, ...] = DEFAULT_REGISTERS
    block_register: str | None = None  # the register the blocks price; None: total use
    subscribed_power: str | None = None  # informative ("6 kVA"): one tariff per power

    @property
    def per_person(self) -> bool:
        """Whether the block thresholds grow with the number of persons in the household."""
        return any(b.up_to_per_person for b in self.blocks)


@dataclass(frozen=True)
class Charge:
    """One priced quantity before rounding: exact quantity, unit price, VAT rate."""

    kind: ChargeKind
    name: str
    quantity: Fraction
    unit: str
    unit_price: Decimal
    vat_rate: Decimal


@dataclass(frozen=True)
class BillLine:
    """One line of a bill: `amount` is exact quantity × unit price, rounded half-up to the cent.

    `quantity` is shown to six decimals; the amount was computed from the exact quantity.
    """

    name: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    amount: Decimal
    vat_rate: Decimal

    @property
    def amount_cents(self) -> int:
        return cents(self.amount)


@dataclass(frozen=True)
class VatLine:
    """VAT at one rate, on the sum of the rounded lines at that rate."""

    rate: Decimal
    base: Decimal
    amount: Decimal


@dataclass(frozen=True)
class Bill:
    """A priced bill; every amount is a whole number of cents (storable as an integer)."""

    currency: str
    start: date | None
    end: date | None
    lines: tuple[BillLine, ...]
    vat: tuple[VatLine, ...]
    total_excl_vat: Decimal
    total_vat: Decimal
    total: Decimal

    @property
    def total_cents(self) -> int:
        return cents(self.total)

    def as_dict(self) -> dict[str, Any]:
        """The bill as JSON-ready data: amounts as strings with two decimals."""
        return {
            "lines": [
                {
                    "name": line.name,
                    "quantity": plain(line.quantity),
                    "unit": line.unit,
                    "unit_price": f"{line.unit_price:f}",
                    "amount": f"{line.amount:.2f}",
                    "vat_rate": plain(line.vat_rate),
                }
                for line in self.lines
            ],
            "vat": [
                {"rate": plain(v.rate), "base": f"{v.base:.2f}", "amount": f"{v.amount:.2f}"}
                for v in self.vat
            ],
            "total_excl_vat": f"{self.total_excl_vat:.2f}",
            "total_vat": f"{self.total_vat:.2f}",
            "total": f"{self.total:.2f}",
        }


@dataclass(frozen=True)
class TariffProblem:
    """One problem of a tariff file: where (field path such as `block[2].up_to`, line) and why.

    Array tables count from 1 in the order of the file: `block[2]` is the second [[block]].
    `reason` is English; `template` (a `%(name)s` format string, see
    `tariffs.tariff_file.REASONS`) and its `params` let an interface show it in its language.
    """

    path: str
    field: str
    reason: str
    line: int | None = None
    template: str = ""
    params: tuple[tuple[str, str], ...] = ()

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        return f"{where}: {self.field}: {self.reason}" if self.field else f"{where}: {self.reason}"


class WordedError(Exception):
    """An error whose English message is also kept as its `%(name)s` template and values, so
    that an interface can say it in its language (the web's French catalogue)."""

    def __init__(
        self, message: str, template: str = "", params: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.template = template
        self.params = dict(params or {})

    @classmethod
    def worded(cls, template: str, /, **params: object) -> Self:
        """The error whose message is `template` filled with `params` (as text)."""
        values = {name: str(value) for name, value in params.items()}
        return cls(template % values, template, values)


class TariffFileError(ValueError):
    """A tariff file with problems (see `tariffs.tariff_file`); `errors` lists every one."""

    def __init__(self, path: str, errors: list[TariffProblem]) -> None:
        self.path = path
        self.errors = errors
        count = f"{len(errors)} problem" + ("s" if len(errors) > 1 else "")
        super().__init__(f"{path}: {count}\n" + "\n".join(str(e) for e in errors))


def cents(amount: Decimal) -> int:
    """A whole-cent amount as an integer number of cents (how bills are stored)."""
    scaled = amount.scaleb(2)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{amount} is not a whole number of cents")
    return int(scaled)


def plain(number: Decimal) -> str:
    """A Decimal without exponent and without trailing zeros after the point ("20", "0.1696")."""
    if number == number.to_integral_value():
        return f"{number.to_integral_value():f}"
    return f"{number.normalize():f}"
