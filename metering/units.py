"""Units: every incoming unit string converted to the service's base unit (Wh, litres) by Pint,
once per distinct unit string."""

from __future__ import annotations

import math
import re
import threading

import pint

from metering.adapters import Rejection, shown

UREG: pint.UnitRegistry = pint.UnitRegistry()
"""The one Pint registry of the project (tariffs use it too)."""

BASE_UNITS: dict[str, str] = {"water": "L", "electricity": "Wh"}
"""Base unit per service: register readings are stored as integers of these."""

DIMENSIONS: dict[str, str] = {"water": "[length] ** 3", "electricity": "[energy]"}
"""Pint dimensionality a unit of each service must have."""

MAX_BASE_VALUE = 10**15
"""Largest register value accepted, in base units: 1 PWh or 1 km³ is no household meter."""

MAX_UNIT_LENGTH = 32
"""Longest unit string handed to Pint ("US_liquid_gallon", "kilowatt_hour" fit easily)."""

# Unit strings come from devices and from the network: Pint must never see anything it could
# spend long on ("6^800000" makes it compute a huge power). So a unit is held to a strict
# grammar first: at most five names (letters, "_" inside), each with an optional one-digit
# power (^3, **3, ³, or a bare 2/3 as in "m3"), joined by *, /, · or spaces. No numbers, no
# parentheses, nothing else.
_NAME = r"[A-Za-zµμ]+(?:_[A-Za-zµμ]+)*"
_POWER = r"(?:(?:\^|\*\*)-?[1-9]|[²³]|[23](?![0-9]))?"
_FACTOR = rf"{_NAME}{_POWER}"
_SEP = r"(?: *[*/·] *| +)"
_UNIT_RE = re.compile(rf"{_FACTOR}(?:{_SEP}{_FACTOR}){{0,4}}")
_BARE_POWER_RE = re.compile(r"(?<=[A-Za-zµμ])([23])")
_CUBIC_RE = re.compile(r"\bcubic[ _]([A-Za-zµμ]+)")

# Spellings devices use that Pint does not know, compared lower-cased with spaces collapsed.
# "mwh" is left out on purpose: "mWh" is Pint's milliwatt-hour, and guessing mega for it
# would be off by 10^9; only the all-capitals "MWH" is read as megawatt-hours.
_ALIASES = {
    "us gal": "gallon",
    "us_gal": "gallon",
    "usgal": "gallon",
    "gal us": "gallon",
    "gal_us": "gallon",
    "us gallon": "gallon",
    "us_gallon": "gallon",
    "wh": "Wh",
    "kwh": "kWh",
    "gwh": "GWh",
}
_EXACT_ALIASES = {"MWH": "MWh"}

_CACHE_LIMIT = 4096


def pint_expression(unit: str) -> str:
    """The Pint expression for a device's unit string, or Rejection("unit_unsafe")."""
    text = unit.strip()
    if not text:
        raise Rejection("unit_unknown", "empty unit")
    if len(text) > MAX_UNIT_LENGTH or _UNIT_RE.fullmatch(text) is None:
        raise Rejection("unit_unsafe", f"unit {shown(unit)} is not a plain unit expression")
    alias = _EXACT_ALIASES.get(text) or _ALIASES.get(" ".join(text.lower().split()))
    if alias is not None:
        return alias
    text = text.replace("·", "*").replace("^", "**").replace("²", "**2").replace("³", "**3")
    text = _BARE_POWER_RE.sub(r"**\1", text)
    text = _CUBIC_RE.sub(r"\1**3", text)  # "cubic meter", "cubic_metre": Pint knows few of these
    text = re.sub(r" *([*/]) *", r"\1", text)
    return text.replace(" ", "*")


class UnitConverter:
    """Converts magnitudes to base units with a factor computed by Pint once per
    (unit string, service) and cached: a Pint conversion per reading costs ~245 µs, a
    cached factor ~0.25 µs. Unit strings that fail are cached as failures too."""

    def __init__(self, registry: pint.UnitRegistry = UREG) -> None:
        self._registry = registry
        self._dimensions = {s: registry.get_dimensionality(d) for s, d in DIMENSIONS.items()}
        # (unit, service) -> factor, or (reason, detail) of the Rejection to raise again.
        self._factors: dict[tuple[str, str], float | tuple[str, str]] = {}
        self._lock = threading.Lock()

    def factor(self, unit: str, service: str) -> float:
        """Multiplier from `unit` to BASE_UNITS[service]; Rejection when not convertible."""
        key = (unit, service)
        cached = self._factors.get(key)
        if cached is None:
            cached = self._compute(unit, service)
            with self._lock:
                # Distinct unit strings are chosen by whoever publishes: bound the cache.
                if len(self._factors) >= _CACHE_LIMIT:
                    self._factors.clear()
                self._factors[key] = cached
        if isinstance(cached, tuple):
            raise Rejection(*cached)
        return cached

    def to_base(self, value: float | int, unit: str, service: str) -> int:
        """`value` in `unit`, as an integer of the service's base unit (rounded half-even)."""
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise Rejection("not_a_number", f"value {shown(value)} is not a number")
        if isinstance(value, float) and not math.isfinite(value):
            raise Rejection("non_finite", f"value is {value}")
        if value < 0:
            raise Rejection("negative", f"value {value} is negative")
        factor = self.factor(unit, service)
        if factor == 1 and type(value) is int:  # a meter that speaks its base unit
            if value > MAX_BASE_VALUE:
                raise Rejection("too_large", f"{value} {shown(unit)} is over 1e15 base units")
            return value
        try:
            base = value * factor
        except OverflowError:  # an int beyond float range
            raise Rejection("too_large", "value beyond float range") from None
        if not base <= MAX_BASE_VALUE:
            raise Rejection("too_large", f"{shown(value)} {shown(unit)} is over 1e15 base units")
        return round(base)

    def from_base(self, base_value: float | int, unit: str, service: str) -> float:
        """The inverse of `to_base` (without rounding): base units back into `unit`."""
        return base_value / self.factor(unit, service)

    def _compute(self, unit: str, service: str) -> float | tuple[str, str]:
        try:
            return self._checked_factor(unit, service)
        except Rejection as exc:
            return (exc.reason, exc.detail)

    def _checked_factor(self, unit: str, service: str) -> float:
        if service not in BASE_UNITS:
            raise Rejection("unknown_service", f"service {shown(service)}")
        if not isinstance(unit, str):
            raise Rejection("unit_unknown", f"unit {shown(unit)} is not a string")
        expression = pint_expression(unit)
        try:
            parsed = self._registry.parse_units(expression)
        except Exception:  # Pint raises several types; the grammar above keeps it safe
            raise Rejection("unit_unknown", f"unit {shown(unit)} is not known") from None
        if parsed.dimensionality != self._dimensions[service]:
            raise Rejection(
                "unit_dimension", f"unit {shown(unit)} is not a {DIMENSIONS[service]} on {service}"
            )
        try:
            factor = float(self._registry.Quantity(1, parsed).to(BASE_UNITS[service]).magnitude)
        except Exception:
            raise Rejection("unit_unknown", f"unit {shown(unit)} does not convert") from None
        if not (math.isfinite(factor) and factor > 0):
            raise Rejection("unit_unknown", f"unit {shown(unit)} has factor {factor}")
        # Pint's float arithmetic leaves noise (m³ -> 999.9999999999999 L); 15 significant
        # digits keep every real factor and give exact round numbers back.
        return float(f"{factor:.15g}")


_DEFAULT = UnitConverter()


def convert(value: float | int, unit: str, service: str) -> int:
    """`value` in `unit` as an integer of BASE_UNITS[service], with the shared cached converter."""
    return _DEFAULT.to_base(value, unit, service)
