"""Units: conversion to base units, cached factors, and every unit rejection."""

from __future__ import annotations

import math
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metering.adapters import Rejection
from metering.units import (
    BASE_UNITS,
    DIMENSIONS,
    MAX_BASE_VALUE,
    UREG,
    UnitConverter,
    convert,
    pint_expression,
)

ENERGY_UNITS = [
    "Wh",
    "kWh",
    "MWh",
    "KWH",
    "J",
    "kJ",
    "MJ",
    "GJ",
    "cal",
    "kcal",
    "W*h",
    "W·h",
    "kW h",
    "watt_hour",
    "kilowatt_hour",
    "Btu",
    "therm",
    "kg*m^2/s^2",
]
VOLUME_UNITS = [
    "L",
    "l",
    "mL",
    "dL",
    "hL",
    "m3",
    "m^3",
    "m**3",
    "m³",
    "dm3",
    "cm³",
    "gallon",
    "gal",
    "US gal",
    "US_liquid_gallon",
    "imperial_gallon",
    "ft^3",
    "ft3",
    "cubic_foot",
    "cubic_meter",
    "liter",
    "litre",
    "cc",
]
UNITS = [(u, "electricity") for u in ENERGY_UNITS] + [(u, "water") for u in VOLUME_UNITS]


def reason(call: object, *args: object) -> str:
    with pytest.raises(Rejection) as caught:
        call(*args)  # type: ignore[operator]
    return caught.value.reason


def test_module_constants_keep_their_meaning() -> None:
    assert BASE_UNITS == {"water": "L", "electricity": "Wh"}
    assert DIMENSIONS == {"water": "[length] ** 3", "electricity": "[energy]"}
    assert UREG.Quantity(1, "kWh").to("Wh").magnitude == 1000


@pytest.mark.parametrize(
    ("value", "unit", "service", "base"),
    [
        (12345.678, "kWh", "electricity", 12345678),
        (1, "MWh", "electricity", 1_000_000),
        (3_600_000, "J", "electricity", 1000),
        (1, "GJ", "electricity", 277778),
        (4184, "kJ", "electricity", 1162),  # 1 kcal = 4.184 kJ; 1 Wh = 3.6 kJ
        (1000, "cal", "electricity", 1),
        (9058688, "Wh", "electricity", 9058688),
        (1234.567, "m3", "water", 1234567),
        (1234.567, "m³", "water", 1234567),
        (1234.567, "m^3", "water", 1234567),
        (10, "US gal", "water", 38),
        (10, "gallon", "water", 38),
        (100, "ft^3", "water", 2832),
        (100, "cubic_foot", "water", 2832),
        (15, "dL", "water", 2),  # 1.5 L rounds half to even
        (25, "dL", "water", 2),
        (123456, "L", "water", 123456),
        (0, "L", "water", 0),
        (0.0, "kWh", "electricity", 0),
    ],
)
def test_to_base(value: float, unit: str, service: str, base: int) -> None:
    assert convert(value, unit, service) == base
    assert UnitConverter().to_base(value, unit, service) == base


@pytest.mark.parametrize(
    ("unit", "service", "factor"),
    [
        ("m3", "water", 1000.0),
        ("gal", "water", 3.785411784),
        ("kWh", "electricity", 1000.0),
        ("J", "electricity", 1 / 3600),
    ],
)
def test_factors_are_clean(unit: str, service: str, factor: float) -> None:
    assert UnitConverter().factor(unit, service) == pytest.approx(factor, rel=1e-14)
    assert UnitConverter().factor("m³", "water") == 1000.0  # Pint gives 999.9999999999999


@pytest.mark.parametrize(
    ("value", "unit", "service", "expected"),
    [
        (math.nan, "L", "water", "non_finite"),
        (math.inf, "L", "water", "non_finite"),
        (-math.inf, "kWh", "electricity", "non_finite"),
        (-1, "L", "water", "negative"),
        (-0.001, "kWh", "electricity", "negative"),
        (1e16, "L", "water", "too_large"),
        (2e12, "m3", "water", "too_large"),
        (10**400, "Wh", "electricity", "too_large"),
        (1e308, "GJ", "electricity", "too_large"),
        ("12", "L", "water", "not_a_number"),
        (True, "L", "water", "not_a_number"),
        (None, "L", "water", "not_a_number"),
        (1, "kg", "water", "unit_dimension"),
        (1, "kWh", "water", "unit_dimension"),
        (1, "L", "electricity", "unit_dimension"),
        (1, "W", "electricity", "unit_dimension"),  # power, not energy
        (1, "m2", "water", "unit_dimension"),
        (1, "pi", "water", "unit_dimension"),
        (1, "degC", "water", "unit_dimension"),
        (1, "furlongs_per_fortnight", "water", "unit_unknown"),
        (1, "Wattstunde", "electricity", "unit_unknown"),
        (1, "", "water", "unit_unknown"),
        (1, "   ", "water", "unit_unknown"),
        (1, 5, "water", "unit_unknown"),
        (1, "6^800000", "water", "unit_unsafe"),
        (1, "m^99", "water", "unit_unsafe"),
        (1, "m**100", "water", "unit_unsafe"),
        (1, "1000 L", "water", "unit_unsafe"),
        (1, "L" * 10_000, "water", "unit_unsafe"),
        (1, "m*m*m*m*m*m", "water", "unit_unsafe"),
        (1, "(m)**3", "water", "unit_unsafe"),
        (1, "__import__('os')", "water", "unit_unsafe"),
        (1, "m\u0000", "water", "unit_unsafe"),
        (1, "L", "gas", "unknown_service"),
    ],
)
def test_rejections(value: object, unit: object, service: str, expected: str) -> None:
    assert reason(convert, value, unit, service) == expected


def test_unsafe_expressions_are_refused_fast() -> None:
    start = time.perf_counter()
    for unit in ("6^800000", "9**9**9**9", "m^" + "9" * 1000, "10" * 5000):
        assert reason(UnitConverter().factor, unit, "water") == "unit_unsafe"
    assert time.perf_counter() - start < 0.1


def test_pint_expressions() -> None:
    assert pint_expression("m3") == "m**3"
    assert pint_expression(" kW h ") == "kW*h"
    assert pint_expression("W·h") == "W*h"
    assert pint_expression("kg * m^2 / s^2") == "kg*m**2/s**2"
    assert pint_expression("US gal") == "gallon"
    assert pint_expression("MWH") == "MWh"
    assert pint_expression("mWh") == "mWh"  # milliwatt-hour stays milli


def test_factor_is_computed_once_per_unit_and_service() -> None:
    converter = UnitConverter()
    calls: list[str] = []
    real = UREG.parse_units

    class Spy:
        def __getattr__(self, name: str) -> object:
            return getattr(UREG, name)

        def parse_units(self, expression: str) -> object:
            calls.append(expression)
            return real(expression)

    converter._registry = Spy()  # type: ignore[assignment]
    for _ in range(1000):
        converter.to_base(1.5, "kWh", "electricity")
        with pytest.raises(Rejection):
            converter.to_base(1.5, "kg", "water")
    assert calls == ["kWh", "kg"]  # failures are cached too


def test_cached_conversion_is_cheap() -> None:
    converter = UnitConverter()
    converter.to_base(1.0, "kWh", "electricity")
    start = time.perf_counter()
    for i in range(20_000):
        converter.to_base(i * 0.001, "kWh", "electricity")
    # ~1 µs each here; a Pint conversion per reading would take ~5 s for this loop.
    assert time.perf_counter() - start < 1.0


def test_from_base_inverts_to_base() -> None:
    converter = UnitConverter()
    assert converter.from_base(1234567, "m3", "water") == pytest.approx(1234.567)


@settings(max_examples=200, deadline=None)
@given(
    unit_service=st.sampled_from(UNITS),
    value=st.one_of(
        st.floats(min_value=0, max_value=1e9, allow_nan=False, allow_infinity=False),
        st.integers(min_value=0, max_value=10**9),
    ),
)
def test_round_trip_within_one_base_unit(unit_service: tuple[str, str], value: float) -> None:
    unit, service = unit_service
    converter = UnitConverter()
    try:
        base = converter.to_base(value, unit, service)
    except Rejection as exc:
        assert exc.reason == "too_large"
        assert value * converter.factor(unit, service) > MAX_BASE_VALUE * 0.999
        return
    assert (
        abs(converter.from_base(base, unit, service) - value) * converter.factor(unit, service) <= 1
    )
    # and against Pint converting the value itself, the slow way
    exact = UREG.Quantity(value, pint_expression(unit)).to(BASE_UNITS[service]).magnitude
    assert abs(base - exact) <= 1


@settings(max_examples=200, deadline=None)
@given(
    unit=st.one_of(
        st.text(max_size=200),
        st.text(alphabet="mLkWhJgalft^*/·³² _0123456789()-.e", max_size=40),
    ),
    service=st.sampled_from(["water", "electricity"]),
)
def test_arbitrary_unit_text_only_ever_rejected_and_fast(unit: str, service: str) -> None:
    converter = UnitConverter()
    start = time.perf_counter()
    try:
        factor = converter.factor(unit, service)
    except Rejection as exc:
        assert exc.reason in {"unit_unknown", "unit_dimension", "unit_unsafe"}
    else:
        assert math.isfinite(factor) and factor > 0
    assert time.perf_counter() - start < 0.25
