"""Households: import from CSV and look-ups."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from regie.core.csv_import import Row, check_rows, no_repeats, parse_bool, parse_int, read_rows
from regie.tables import Household

REQUIRED = ("reference", "name", "address", "persons", "social", "territory")


@dataclass(frozen=True, slots=True)
class HouseholdRow:
    reference: str
    name: str
    address: str
    persons: int
    social: bool
    territory: str


def _check(row: Row) -> HouseholdRow:
    v = row.values
    if not v["reference"]:
        raise ValueError("reference is empty")
    if not v["name"]:
        raise ValueError("name is empty")
    if not v["territory"]:
        raise ValueError("territory is empty")
    return HouseholdRow(
        reference=v["reference"][:64],
        name=v["name"][:200],
        address=v["address"],
        persons=parse_int(v["persons"], "persons", 1, 50),
        social=parse_bool(v["social"]),
        territory=v["territory"][:64],
    )


async def import_households(text: str) -> tuple[int, int]:
    """Create or update households from CSV text; returns (created, updated). All or nothing."""
    lines = read_rows(text, REQUIRED)
    rows: list[HouseholdRow] = check_rows(lines, _check)
    no_repeats(lines, [h.reference for h in rows], "reference")
    existing = {
        r["reference"]: r["id"] for r in await Household.select(Household.id, Household.reference)
    }
    created = updated = 0
    async with Household._meta.db.transaction():
        new = []
        for h in rows:
            values: dict[Any, Any] = {
                Household.name: h.name,
                Household.address: h.address,
                Household.persons: h.persons,
                Household.social: h.social,
                Household.territory: h.territory,
            }
            if h.reference in existing:
                await Household.update(values).where(Household.id == existing[h.reference])
                updated += 1
            else:
                new.append(Household({**values, Household.reference: h.reference}))
        for start in range(0, len(new), 500):
            await Household.insert(*new[start : start + 500])
        created = len(new)
    return created, updated
