"""The demo's territory: 2,000 households with water and electricity meters, a year of usage,
the shipped tariffs in force, a bill run, two committees with members in every college, two
open proposals and the overconsumption cases the year shows. Created once, in bulk."""

from __future__ import annotations

import json
import math
import random
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import tariffs
from metering.simulator import make_meters
from metering.store import PostgresStore, SQLiteStore
from metering.tables import Meter
from regie.settings import get_settings
from regie.tables import Account, Household

TERRITORY = "demo"
PASSWORD = "demo-regie-2026"  # noqa: S105 - the demo's published password
EXAMPLES = Path(tariffs.__file__).parent / "examples"
STREETS = [
    "rue des Lilas",
    "avenue Jean Jaurès",
    "place du Marché",
    "chemin des Vignes",
    "rue de la Source",
    "allée des Tilleuls",
    "impasse du Moulin",
    "quai de l'Aa",
]
CHARTER = """
co_signatures = 3
vote_duration_days = 14
secrecy = "secret"
quorum = "1/3"
"""


@dataclass
class Logins:
    """One login per role, printed by `regie demo`."""

    rows: list[tuple[str, str]] = field(default_factory=list)


def logins() -> Logins:
    return Logins(
        [
            ("household", "foyer@demo.regie"),
            ("committee member (users' college)", "usager@demo.regie"),
            ("committee member (operators' college)", "agent-comite@demo.regie"),
            ("committee member (public actors)", "elue@demo.regie"),
            ("operator", "exploitation@demo.regie"),
            ("administrator", "admin@demo.regie"),
        ]
    )


async def seed(households: int = 2000, *, now: datetime | None = None) -> bool:
    """Create the demo territory unless it is there; False when it already was."""
    now = now or datetime.now(UTC)
    if await Household.exists().where(Household.reference == "H000000"):
        return False
    rng = random.Random(2026)
    today = now.date()
    start = today - timedelta(days=365)
    sims = make_meters(households * 2, leak_share=0.04)  # even: water, odd: electricity
    await Household.insert(
        *[
            Household(
                reference=f"H{i:06d}",
                name=f"Foyer {i}",
                address=f"{rng.randint(1, 120)} {rng.choice(STREETS)}",
                persons=sims[2 * i].persons,
                social=rng.random() < 0.15,
                territory=TERRITORY,
            )
            for i in range(households)
        ]
    )
    home = {
        r["reference"]: r["id"] for r in await Household.select(Household.id, Household.reference)
    }
    await Meter.insert(
        *[
            Meter(
                serial=sim.serial,
                service=sim.service,
                household=home[f"H{n // 2:06d}"],
                registers=json.dumps(sim.registers()),
                dev_eui=sim.dev_eui,
                unit="L" if sim.service == "water" else "Wh",
                installed_on=start - timedelta(days=400),
            )
            for n, sim in enumerate(sims)
        ]
    )
    meter_id = {r["serial"]: r["id"] for r in await Meter.select(Meter.id, Meter.serial)}
    days, nights = _history(sims, meter_id, start, today, rng)
    await _bulk_load(days, nights)
    await _tariffs(start)
    await _bill_last_year(now)
    await _people_and_committees(home, now)
    await _costs(start + timedelta(days=1), now)
    await _overconsumption(today, now)
    return True


def _history(
    sims: list[Any], meter_id: dict[str, int], start: date, today: date, rng: random.Random
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """A year of daily use per meter (and the last five weeks of nights for leak checks):
    water higher in summer, electricity in winter; leaking homes draw all night."""
    days: list[tuple[Any, ...]] = []
    nights: list[tuple[Any, ...]] = []
    span = (today - start).days
    calendar = []
    for d in range(span):
        day = start + timedelta(days=d)
        calendar.append((d, day, math.cos((day.timetuple().tm_yday - 200) / 365 * 2 * math.pi)))
    uniform = rng.uniform
    for sim in sims:
        meter = meter_id[sim.serial]
        habit = uniform(0.75, 1.3)
        if sim.service == "water":
            base, leak = 140 * sim.persons * habit, sim.leak_l_per_h * 24
            for d, day, season in calendar:
                noise = uniform(0.8, 1.2)
                days.append(
                    (meter, "total", day, int(base * noise * (1 + 0.2 * season) + leak), "measured")
                )
                if d >= span - 35:
                    low = int(sim.leak_l_per_h)
                    nights.append((meter, day, low, low * 5 + int(noise * 3), 5, True))
        else:
            base = (250 + 150 * sim.persons) * 24 * habit
            for _d, day, season in calendar:
                wh = base * uniform(0.8, 1.2) * (1 - 0.35 * season)
                days.append((meter, "hchc", day, int(wh * 0.4), "measured"))
                days.append((meter, "hchp", day, int(wh * 0.6), "measured"))
    return days, nights


async def _bulk_load(days: list[tuple[Any, ...]], nights: list[tuple[Any, ...]]) -> None:
    db = get_settings().database
    day_cols = ["meter", "register", "day", "consumption", "quality"]
    night_cols = ["meter", "day", "min_hour", "total", "hours", "complete"]
    if db.is_postgres:
        store = await PostgresStore.connect(db.url)
        try:
            await store.conn.copy_records_to_table("daily_usage", records=days, columns=day_cols)
            await store.conn.copy_records_to_table(
                "night_usage", records=nights, columns=night_cols
            )
        finally:
            await store.close()
        return
    sqlite = SQLiteStore(str(db.sqlite_path))
    try:
        conn = sqlite.conn
        # A fresh demo database: no need to survive a power cut mid-load; indexes are built
        # once after the rows are in, rather than row by row.
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA cache_size=-262144")
        conn.execute("BEGIN")
        conn.execute("DROP INDEX IF EXISTS daily_usage_key")
        conn.execute("DROP INDEX IF EXISTS daily_usage_day")
        iso: dict[date, str] = {}  # a year has 365 days: format each once
        conn.executemany(
            "INSERT INTO daily_usage (meter, register, day, consumption, quality)"
            " VALUES (?,?,?,?,?)",
            [
                (m, r, iso.get(d) or iso.setdefault(d, d.isoformat()), c, q)
                for m, r, d, c, q in days
            ],
        )
        conn.executemany(
            "INSERT INTO night_usage (meter, day, min_hour, total, hours, complete)"
            " VALUES (?,?,?,?,?,?)",
            [(m, d.isoformat(), lo, total, h, int(c)) for m, d, lo, total, h, c in nights],
        )
        conn.execute("CREATE UNIQUE INDEX daily_usage_key ON daily_usage (meter, register, day)")
        conn.execute("CREATE INDEX daily_usage_day ON daily_usage (day)")
        conn.execute("COMMIT")
        conn.execute("PRAGMA synchronous=NORMAL")
    finally:
        await sqlite.close()


def _from(text: str, start: date) -> str:
    """The shipped example, in force from the start of the demo's history."""
    return re.sub(r"(?m)^valid_from\s*=.*$", f"valid_from = {start.isoformat()}", text)


async def _tariffs(start: date) -> None:
    from tariffs.service import create_version

    for name in ("dunkerque_eco_solidaire.toml", "tarif_bleu_hphc.toml"):
        text = (EXAMPLES / name).read_text(encoding="utf-8")
        await create_version(_from(text, start), TERRITORY, origin="setup")


async def _bill_last_year(now: datetime) -> None:
    """The twelve months before this one, billed as the monthly job would have."""
    from tariffs.billing import bill_period

    month = now.date().replace(day=1)
    for _ in range(12):
        month = (month - timedelta(days=1)).replace(day=1)
        await bill_period(f"{month.year}-{month.month:02d}", territory=TERRITORY, now=now)


async def _people_and_committees(home: dict[str, int], now: datetime) -> None:
    from committees import evaluations, proposals, service, votes
    from regie.core.accounts import create_account, hash_password

    hashed = hash_password(PASSWORD)  # Argon2id is slow by design: hash the shared one once

    async def person(
        login: str,
        name: str,
        household: str | None = None,
        *,
        operator: bool = False,
        admin: bool = False,
    ) -> int:
        account = await create_account(
            login, name, household_ref=household, operator=operator, admin=admin
        )
        await Account.update({Account.password_hash: hashed}).where(Account.id == account.id)
        return int(account.id)

    household = await person("foyer@demo.regie", "Foyer 1 (Martin)", "H000001")
    user = await person("usager@demo.regie", "Awa Diallo", "H000002")
    staff = await person("agent-comite@demo.regie", "Karim Benali (agent)")
    elected = await person("elue@demo.regie", "Claire Dubois (élue)")
    await person("exploitation@demo.regie", "Service exploitation", operator=True)
    await person("admin@demo.regie", "Administration", admin=True)
    colleges = {"public": [elected], "operators": [staff], "users": [user]}
    for i in range(3, 9):  # more users (households), public actors and workers
        colleges["users"].append(await person(f"usager{i}@demo.regie", f"Foyer {i}", f"H{i:06d}"))
    for i in range(2):
        colleges["operators"].append(await person(f"agent{i}@demo.regie", f"Agent {i}"))
        colleges["public"].append(await person(f"elu{i}@demo.regie", f"Élu·e {i}"))
    since = now - timedelta(days=60)
    water = await service.create_committee(
        "Comité de l'eau", "water", TERRITORY, CHARTER, now=since
    )
    power = await service.create_committee(
        "Comité de l'électricité", "electricity", TERRITORY, CHARTER, now=since
    )
    for committee in (water, power):
        for college, accounts in colleges.items():
            for account in accounts:
                await service.add_member(committee, account, college, starts_at=since, now=since)
    # A tariff change on the agenda, put to the vote: a cheaper essential block for everyone.
    text = _from(
        (EXAMPLES / "dunkerque_eco_solidaire.toml").read_text(encoding="utf-8"),
        now.date() + timedelta(days=30),
    )
    cheaper = text.replace('price = "0.83"', 'price = "0.70"', 1)
    tariff = await proposals.file_proposal(
        user,
        water,
        "tariff_change",
        "Eau essentielle moins chère",
        body="Baisser le prix des 75 premiers m³ de 0,83 € à 0,70 €, financé par l'eau de confort.",
        tariff_text=cheaper,
        effective_on=now.date() + timedelta(days=30),
        now=now - timedelta(days=3),
    )
    await proposals.comment(
        staff,
        tariff,
        "Le service peut l'absorber si la tranche confort suit.",
        now=now - timedelta(days=2),
    )
    await votes.open_vote(tariff, now=now - timedelta(days=1))
    await votes.cast_vote(elected, tariff, "yes", now=now - timedelta(hours=20))
    # A household's motion, gathering co-signatures (the right to contribute).
    motion = await proposals.file_proposal(
        household,
        water,
        "free_motion",
        "Des kits d'économie d'eau gratuits",
        body="Distribuer des mousseurs et des chasses double débit aux foyers qui le demandent.",
        now=now - timedelta(days=1),
    )
    await proposals.sign_proposal(colleges["users"][2], motion, now=now - timedelta(hours=5))
    # An evaluation of the meter-reading contractor, answered by a few households and members.
    evaluation = await proposals.file_proposal(
        user, water, "evaluation", "Évaluer la relève des compteurs",
        body="Le contrat de relève arrive à échéance : qu'en pensent les foyers ?",
        details={"subject": "Relève des compteurs (prestataire)", "scale": 5, "criteria": [
            {"label": "Ponctualité", "question": "Les relevés sont-ils faits à temps ?"},
            {"label": "Accueil", "question": "Les agents sont-ils courtois et identifiables ?"},
            {"label": "Fiabilité", "question": "Les index relevés sont-ils justes ?",
             "weight": "2"},
        ]}, now=now - timedelta(days=2),
    )  # fmt: skip
    for n, account in enumerate([*colleges["users"][:4], staff, elected]):
        scores = [3 + n % 3, 4 if n % 2 else None, 2 + n % 4]
        await evaluations.answer(account, evaluation, scores, now=now - timedelta(hours=30 - n))
    _ = home


async def _costs(start: date, now: datetime) -> None:
    """A year of the régie's costs per service, as the operators would record them."""
    from tariffs import costs, costs_store

    budget = {
        "water": [("staff", "Personnel", "260000"), ("operations", "Traitement et réseau",
                  "120000"), ("investment", "Amortissements", "150000"),
                  ("levies", "Redevances reversées à l'agence de l'eau", "80000")],
        "electricity": [("purchases", "Achats d'énergie", "900000"), ("staff", "Personnel",
                        "150000"), ("maintenance", "Entretien du réseau", "80000")],
    }  # fmt: skip
    end = start + timedelta(days=364)
    for service, lines in budget.items():
        for category, label, amount in lines:
            line = costs.parse_line(
                service=service, territory=TERRITORY, starts_on=start.isoformat(),
                ends_on=end.isoformat(), category=category, label=label, amount=amount,
            )  # fmt: skip
            await costs_store.record(line, by="exploitation@demo.regie", now=now)


async def _overconsumption(today: date, now: datetime) -> None:
    from metering.regulation.daily import evaluate_day

    await evaluate_day(today - timedelta(days=1), now=now)


async def demo_accounts_exist() -> bool:
    return bool(await Account.exists().where(Account.login == "admin@demo.regie"))
