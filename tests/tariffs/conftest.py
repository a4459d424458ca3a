"""Shared fixtures of the tariff tests: the decimal FloatOperation trap is on in every test."""

from __future__ import annotations

import decimal
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _float_operation_trap() -> Iterator[None]:
    """Any float slipping into Decimal arithmetic (Decimal(0.1), Decimal < 0.5) raises."""
    with decimal.localcontext() as context:
        context.traps[decimal.FloatOperation] = True
        yield
