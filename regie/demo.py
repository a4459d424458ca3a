"""The demo's territory: households and the meters the simulator plays, created once."""

from __future__ import annotations

import json
import random

from metering.simulator import make_meters
from metering.tables import Meter
from regie.tables import Household

STREETS = [
    "rue des Lilas",
    "avenue Jean Jaurès",
    "place du Marché",
    "chemin des Vignes",
    "rue de la Source",
    "allée des Tilleuls",
]


async def seed(count: int, territory: str = "demo") -> int:
    """Households with one simulated meter each (prefix SIM), unless already there."""
    if await Meter.exists().where(Meter.serial == "SIM000000"):
        return 0
    rng = random.Random(3)
    sims = make_meters(count)
    households = [
        Household(
            reference=f"H{i:06d}",
            name=f"Foyer {i}",
            address=f"{rng.randint(1, 120)} {rng.choice(STREETS)}",
            persons=sim.persons,
            social=rng.random() < 0.15,
            territory=territory,
        )
        for i, sim in enumerate(sims)
    ]
    await Household.insert(*households)
    ids = {
        r["reference"]: r["id"] for r in await Household.select(Household.id, Household.reference)
    }
    await Meter.insert(
        *[
            Meter(
                serial=sim.serial,
                service=sim.service,
                household=ids[f"H{i:06d}"],
                registers=json.dumps(sim.registers()),
                unit="L" if sim.service == "water" else "Wh",
                dev_eui=sim.dev_eui,
            )
            for i, sim in enumerate(sims)
        ]
    )
    return count
