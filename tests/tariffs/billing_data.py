"""Households, meters, daily usage and tariff versions for the database tests of tariffs."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "tariffs" / "examples"


def from_date(day: str, name: str = "dunkerque_eco_solidaire.toml") -> str:
    """An example tariff taking effect on `day` (YYYY-MM-DD)."""
    text = (EXAMPLES / name).read_text(encoding="utf-8")
    for line in text.splitlines():
        if line.startswith("valid_from"):
            return text.replace(line, f"valid_from = {day}", 1)
    raise AssertionError("no valid_from")


async def household(
    reference: str, *, persons: int = 1, social: bool = False, territory: str = "T"
) -> int:
    from regie.tables import Household

    row = Household(
        reference=reference, name=reference, persons=persons, social=social, territory=territory
    )
    await row.save()
    return int(row.id)


async def meter(
    home: int,
    service: str = "water",
    *,
    serial: str | None = None,
    installed_on: date | None = None,
    removed_on: date | None = None,
) -> int:
    from metering.tables import Meter

    row = Meter(
        serial=serial or f"{service[0].upper()}-{home}-{installed_on or ''}",
        service=service,
        household=home,
        installed_on=installed_on,
        removed_on=removed_on,
    )
    await row.save()
    return int(row.id)


async def daily(
    meter_id: int,
    first: date,
    last: date,
    amount: int,
    *,
    register: str = "total",
    estimated: tuple[date, ...] = (),
) -> None:
    """`amount` base units (L, Wh) on every day of `first`..`last`."""
    from metering.tables import DailyUsage

    rows = []
    day = first
    while day <= last:
        quality = "estimated" if day in estimated else "measured"
        rows.append(
            DailyUsage(
                meter=meter_id, day=day, register=register, consumption=amount, quality=quality
            )
        )
        day += timedelta(days=1)
    await DailyUsage.insert(*rows)


def d(text: str) -> date:
    return date.fromisoformat(text)
