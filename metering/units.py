"""Units: every incoming unit string converted to the service's base unit (Wh, litres) by Pint,
once per distinct unit string."""

from __future__ import annotations

import pint

UREG = pint.UnitRegistry()
"""The one Pint registry of the project (tariffs use it too)."""

BASE_UNITS: dict[str, str] = {"water": "L", "electricity": "Wh"}
"""Base unit per service: register readings are stored as integers of these."""

DIMENSIONS: dict[str, str] = {"water": "[length] ** 3", "electricity": "[energy]"}
"""Pint dimensionality a unit of each service must have."""
