"""Households, meters and usage rows for the database tests of the regulation."""

from __future__ import annotations

from datetime import date, timedelta

from metering.regulation.tables import NightUsage
from metering.tables import DailyUsage, Meter
from regie.tables import Household

MARTIN = {"reference": "H-1", "name": "Famille Martin", "address": "1 rue des Lilas"}
DUPONT = {"reference": "H-2", "name": "Maurice Dupont", "address": "2 rue des Lilas"}
FAR = {"reference": "H-9", "name": "Léa Lointaine", "address": "9 route du Bout"}


async def households() -> dict[str, int]:
    """H-1 (3 persons, social) and H-2 (1 person) in Lille, H-9 in Roubaix; a water meter
    each, and an electricity meter for H-1. Returns household ids and meter ids by name."""
    rows = await Household.insert(
        Household(**MARTIN, persons=3, social=True, territory="lille"),
        Household(**DUPONT, persons=1, social=False, territory="lille"),
        Household(**FAR, persons=2, social=False, territory="roubaix"),
    ).returning(Household.id)
    h1, h2, h9 = (r["id"] for r in rows)
    meters = await Meter.insert(
        Meter(serial="W-1", service="water", household=h1),
        Meter(serial="W-2", service="water", household=h2),
        Meter(serial="W-9", service="water", household=h9),
        Meter(serial="E-1", service="electricity", household=h1, registers='["hchc","hchp"]'),
    ).returning(Meter.id)
    w1, w2, w9, e1 = (r["id"] for r in meters)
    return {"H-1": h1, "H-2": h2, "H-9": h9, "W-1": w1, "W-2": w2, "W-9": w9, "E-1": e1}


async def usage(
    meter: int,
    start: date,
    days: int,
    *,
    per_day: int,
    night: int = 0,
    leak: tuple[date, date, int] | None = None,
) -> None:
    """`days` of daily use and nights; during `leak` (first, last, L/h) the night minimum is
    the leak and the day's use grows by it round the clock."""
    daily, nights = [], []
    for k in range(days):
        day = start + timedelta(days=k)
        flow = leak[2] if leak and leak[0] <= day <= leak[1] else 0
        daily.append(DailyUsage(meter=meter, day=day, consumption=per_day + 24 * flow))
        nights.append(
            NightUsage(
                meter=meter,
                day=day,
                min_hour=night + flow,
                total=5 * (night + flow),
                hours=5,
                complete=True,
            )
        )
    await DailyUsage.insert(*daily)
    await NightUsage.insert(*nights)
