"""A small territory for the journeys: a tariff in force, a metered household with a year of
use and a bill, a water committee with members in every college."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import tariffs
from tests.regie.web.conftest import PASSWORD

TERRITORY = "lille"
CHARTER = """
co_signatures = 2
vote_duration_days = 7
secrecy = "secret"
quorum = "1/3"
"""


@dataclass
class World:
    committee: int = 0
    members: dict[str, list[str]] = field(default_factory=dict)  # college -> logins
    households: list[str] = field(default_factory=list)  # logins of households


def tariff_text(valid_from: str, essential: str = "0.83") -> str:
    text = (Path(tariffs.__file__).parent / "examples" / "dunkerque_eco_solidaire.toml").read_text()
    text = re.sub(r"(?m)^valid_from\s*=.*$", f"valid_from = {valid_from}", text)
    return text.replace('price = "0.83"', f'price = "{essential}"', 1)


async def build(now: datetime) -> World:
    from committees import service
    from metering.tables import DailyUsage, Meter
    from regie.core.accounts import create_account
    from regie.tables import Household
    from tariffs.billing import bill_period
    from tariffs.service import create_version

    world = World()
    today = now.date()
    start = today - timedelta(days=400)
    await create_version(tariff_text(start.isoformat()), TERRITORY, origin="setup")
    for i in range(4):
        home = Household(
            reference=f"L-{i}",
            name=f"Famille {i}",
            address=f"{i} rue Nationale",
            persons=2 + i % 3,
            social=i == 0,
            territory=TERRITORY,
        )
        await home.save()
        login = f"foyer{i}@lille.example"
        await create_account(login, f"Famille {i}", household_ref=f"L-{i}", password=PASSWORD)
        world.households.append(login)
        meter = Meter(serial=f"LW-{i}", service="water", household=home.id, unit="L")
        await meter.save()
        await DailyUsage.insert(
            *[
                DailyUsage(
                    meter=meter.id,
                    day=today - timedelta(days=d),
                    register="total",
                    consumption=150 * home.persons + 7 * (d % 5),
                )
                for d in range(1, 366)
            ]
        )
    first = today.replace(day=1) - timedelta(days=1)
    await bill_period(f"{first.year}-{first.month:02d}", territory=TERRITORY, now=now)
    since = now - timedelta(days=30)
    world.committee = await service.create_committee(
        "Comité de l'eau de Lille", "water", TERRITORY, CHARTER, now=since
    )
    seats = {
        "public": ["elue@lille.example"],
        "operators": ["agent@lille.example"],
        "users": [world.households[1], world.households[2]],
    }
    for college, logins in seats.items():
        for login in logins:
            if not login.startswith("foyer"):
                await create_account(login, login.split("@")[0].title(), password=PASSWORD)
            account = await service.account_id(login)
            await service.add_member(world.committee, account, college, starts_at=since, now=since)
    world.members = seats
    return world


def utcnow() -> datetime:
    return datetime.now(UTC)
