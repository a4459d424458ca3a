"""Billing benchmark: bill 100,000 households for one month from a month of daily usage.

Run: `.venv/bin/python bench/billing.py [--households N] [--admin-url URL] [--repeat R]`.

1. A fresh PostgreSQL database `regie_bench_billing_<random>` on 127.0.0.1:5432, migrated,
   dropped at the end. Households (1 to 5 persons, one in eight with the social status), one
   water meter each, and every day of November 2026 of usage (the household's own mean use
   per person with day-to-day noise; 1 % of the days estimated) are bulk-loaded with asyncpg
   COPY, then VACUUM ANALYZE. The tariff is Dunkerque's (tariffs/examples), put in force by
   the operators' set-up.
2. The floor: a plain SQL query summing the month of usage per meter, fetched by asyncpg
   (`SELECT meter, SUM(consumption) … GROUP BY meter`), run five times on the warm cache;
   its median.
3. The billing run, timed as a whole: `tariffs.billing.bill_period("2026-11")`, the call
   behind `regie bill --period 2026-11` and the monthly job (versions, one grouped read of
   meters and usage, then pricing and numbered bills written in transactions with COPY, a
   batch written while the next is priced); the reading is also shown apart, and the CPU
   time of the process. The runs use the app's pool of connections, as the monthly job does.
   With --repeat R > 1 the bills, runs and counter are emptied (TRUNCATE) between runs and
   the median is printed.
4. Checks: one bill per household, numbers 1..N without a gap, and 300 bills drawn at random
   priced again by the pure engine from the daily usage: identical to the character.

The last line is `billing households=… seconds=… per_household_us=… ratio_to_sql_sum=…`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402

from bench.common import admin, admin_url_option, project_database, say  # noqa: E402

START, END = date(2026, 11, 1), date(2026, 11, 30)
TERRITORY = "Dunkerque"
FLOOR = (
    "SELECT meter, SUM(consumption) FROM daily_usage WHERE day >= $1 AND day <= $2 GROUP BY meter"
)


async def load(url: str, households: int, seed: int) -> None:
    """Households, meters and a month of daily usage, by COPY."""
    rng = random.Random(seed)
    conn = await asyncpg.connect(url)
    try:
        started = time.perf_counter()
        homes = [
            (f"H{i:07d}", f"Foyer {i}", "", rng.choice((1, 1, 2, 2, 2, 3, 3, 4, 5)),
             rng.random() < 0.125, TERRITORY)
            for i in range(households)
        ]  # fmt: skip
        await conn.copy_records_to_table(
            "household",
            records=homes,
            columns=["reference", "name", "address", "persons", "social", "territory"],
        )
        ids = [r[0] for r in await conn.fetch("SELECT id FROM household ORDER BY id")]
        await conn.copy_records_to_table(
            "meter",
            records=[(f"W{i:08d}", "water", home, "[]") for i, home in enumerate(ids)],
            columns=["serial", "service", "household", "registers"],
        )
        meters = await conn.fetch(
            "SELECT m.id, h.persons FROM meter m JOIN household h ON h.id = m.household"
        )
        days = [START + timedelta(days=n) for n in range((END - START).days + 1)]
        rows = []
        for meter, persons in meters:
            mean = persons * rng.uniform(60, 160)  # litres per day
            for day in days:
                quality = "estimated" if rng.random() < 0.01 else "measured"
                rows.append((meter, day, "total", int(mean * rng.uniform(0.5, 1.5)), quality))
        say(f"generated {len(ids)} households and {len(rows)} days of usage")
        await conn.copy_records_to_table(
            "daily_usage",
            records=rows,
            columns=["meter", "day", "register", "consumption", "quality"],
        )
        await conn.execute("VACUUM ANALYZE")
        say(f"loaded in {time.perf_counter() - started:.1f} s")
    finally:
        await conn.close()


async def floor(url: str, runs: int = 5) -> float:
    conn = await asyncpg.connect(url)
    try:
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            rows = await conn.fetch(FLOOR, START, END)
            times.append(time.perf_counter() - started)
        say(f"sql sum: {len(rows)} meters; runs {', '.join(f'{t:.3f}' for t in times)} s")
        return statistics.median(times)
    finally:
        await conn.close()


async def check(url: str, households: int, sample: int = 300) -> None:
    """Every household billed once, numbers without a gap, and a sample priced again by the
    engine (the billing run's fast path must give the engine's bill to the character)."""
    from tariffs.engine import price_period
    from tariffs.fast import priced
    from tariffs.tariff_file import load_tariff

    conn = await asyncpg.connect(url)
    try:
        count, homes, top, gaps = await conn.fetchrow(
            "SELECT COUNT(*), COUNT(DISTINCT household), MAX(seq), COUNT(DISTINCT seq) FROM bill"
        )
        assert count == homes == households == top == gaps, (count, homes, top, gaps)
        rows = await conn.fetch(
            "SELECT c.detail, h.persons, h.social, SUM(d.consumption) FROM bill b"
            " JOIN bill_content c ON c.id = b.content"
            " JOIN household h ON h.id = b.household JOIN meter m ON m.household = h.id"
            " JOIN daily_usage d ON d.meter = m.id AND d.day BETWEEN $1 AND $2"
            " WHERE b.seq = ANY($3) GROUP BY b.id, c.id, h.id",
            START,
            END,
            random.Random(7).sample(range(1, households + 1), min(sample, households)),
        )
        tariff = load_tariff(ROOT / "tariffs" / "examples" / "dunkerque_eco_solidaire.toml")
        for detail, persons, social, litres in rows:
            bill = price_period(
                tariff,
                Fraction(int(litres), 1000),
                persons=persons,
                social=social,
                start=START,
                end=END,
            )
            assert priced(bill).detail == detail, (detail, bill)
        say(f"checked: {count} bills, numbers 1..{top} without a gap, {len(rows)} re-priced")
    finally:
        await conn.close()


async def bench(url: str, households: int, repeat: int) -> tuple[float, float]:
    from regie.core.database import engine, migrate
    from tariffs.service import create_version

    await migrate()
    await load(url, households, seed=2026)
    text = (ROOT / "tariffs" / "examples" / "dunkerque_eco_solidaire.toml").read_text()
    await create_version(text, TERRITORY, origin="setup")
    sql = await floor(url)
    # The app's pool, as `regie serve` and its monthly job use it: runs after the first find
    # their statements prepared on the same connections.
    db = engine()
    await db.start_connection_pool(reset=_no_reset)  # type: ignore[attr-defined]
    try:
        times = await _runs(url, households, repeat)
    finally:
        await db.close_connection_pool()  # type: ignore[attr-defined]
    await check(url, households)
    return statistics.median(times), sql


async def _no_reset(connection: object) -> None:
    return None  # as regie.app: only SET LOCAL is ever set, nothing to undo


async def _runs(url: str, households: int, repeat: int) -> list[float]:
    from tariffs.billing import bill_period

    times = []
    for run in range(repeat):
        if run:
            await admin(url, "TRUNCATE bill, bill_content, billing_run, bill_counter")
        started, cpu = time.perf_counter(), time.process_time()
        read: list[float] = []
        report = await bill_period(
            "2026-11",
            now=datetime(2026, 12, 2, 5, 0, tzinfo=UTC),
            started=lambda _, read=read: read.append(time.perf_counter()),  # type: ignore[misc]
        )
        times.append(time.perf_counter() - started)
        numbers = f"{report.first_number} to {report.last_number}"
        say(f"billing run {run + 1}: {report.issued} bills ({numbers}) in {times[-1]:.3f} s: "
            f"reading {read[0] - started:.3f} s, then pricing and writing "
            f"{time.perf_counter() - read[0]:.3f} s; CPU of the process "
            f"{time.process_time() - cpu:.3f} s")  # fmt: skip
        assert report.issued == households and not report.problems
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=1)
    admin_url_option(parser)
    args = parser.parse_args()
    with project_database(args.admin_url, "billing") as url:
        seconds, sql = asyncio.run(bench(url, args.households, args.repeat))
    result = {
        "households": args.households,
        "seconds": f"{seconds:.3f}",
        "per_household_us": f"{seconds / args.households * 1e6:.1f}",
        "ratio_to_sql_sum": f"{seconds / sql:.2f}",
    }
    say(json.dumps({**result, "sql_sum_seconds": f"{sql:.3f}"}))
    print("billing " + " ".join(f"{k}={v}" for k, v in result.items()))


if __name__ == "__main__":
    main()
