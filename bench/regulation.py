"""Regulation benchmark: the daily detection over 10,000 households and a year of daily usage.

Run: `.venv/bin/python bench/regulation.py [--households N] [--admin-url URL] [--repeat R]`.

1. A fresh PostgreSQL database `regie_bench_reg_<random>` on 127.0.0.1:5432, migrated, dropped
   at the end. Households (the simulator's mix: half with a water meter, half with an
   electricity meter, 1 to 5 persons), and 395 days of daily usage and night use ending on
   2025-12-31 (a year, plus the month a year back that the "same season last year" rule
   compares with), drawn from the simulator's hourly profiles (`WATER_HOURS`,
   `POWER_HOURS`, the off-peak hours for the hchc/hchp split) with day-to-day noise, are
   bulk-loaded with asyncpg COPY into `daily_usage` and `night_usage`, then VACUUM ANALYZE.
   Planted among them, with a known first day: leaking homes (5 % of the water meters, 3 to
   20 L/h, as in `make_meters`), heavy water users (1 %), homes whose use rose by 80 % from
   last year (1 %), and electricity homes with an appliance left on at night (1 %).
2. The floor: the daily run's two grouped reads (this year's and last year's 30 days of use,
   31 nights, as arrays per meter) by plain asyncpg, median of five.
3. Detection, timed as a whole: `metering.regulation.daily.evaluate_day(2025-12-31)`, the
   call the daily job makes (rule sets in force, drought levels, grouped reads of usage and
   nights, every rule checked for every household by the pure detection, cases opened with
   their history and in-app notices, in one transaction). Then run again: idempotent, no
   case opened twice.
4. Checks: every planted household has its case and no other household has one.

The last line is `regulation households=… seconds=… per_household_us=… ratio_to_sql_read=…`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402

from bench.common import admin_url_option, project_database, say  # noqa: E402
from metering.simulator import OFF_PEAK, POWER_HOURS, make_meters  # noqa: E402

DAY = date(2025, 12, 31)
FIRST = DAY - timedelta(days=394)
TERRITORY = "Flandre"
READ = (  # the daily run's two grouped reads (metering/regulation/store.py), without Python
    "SELECT meter, array_agg($1::date - day), array_agg(consumption) FROM daily_usage"
    " WHERE (day >= $2 AND day <= $3) OR (day >= $4 AND day <= $5) GROUP BY meter, register"
)
READ_NIGHTS = (
    "SELECT meter, array_agg($1::date - day), array_agg(min_hour), array_agg(total),"
    " array_agg(hours), array_agg(complete) FROM night_usage WHERE day >= $2 AND day <= $1"
    " GROUP BY meter"
)
OFF_PEAK_SHARE = sum(POWER_HOURS[h] for h in OFF_PEAK) / sum(POWER_HOURS)
EXPECTED = {  # what each planted trouble must open
    "leak": "water-night-leak",
    "heavy": "water-excess",
    "rise": "water-vs-last-year",
    "stuck": "electricity-night-base",
}


def plant(count: int, seed: int) -> tuple[list, dict[int, str]]:
    """The simulator's meters, and which of them carry a trouble (by index)."""
    meters = make_meters(count, prefix="B", leak_share=0.05, seed=seed)
    rng = random.Random(seed)
    trouble = {}
    for i, m in enumerate(meters):
        if m.leak_l_per_h > 0:
            trouble[i] = "leak"
        elif rng.random() < 0.01:
            trouble[i] = "stuck" if m.service == "electricity" else "heavy"
        elif m.service == "water" and rng.random() < 0.01:
            trouble[i] = "rise"
    return meters, trouble


def series(meters, trouble, ids, seed) -> Iterator[tuple[list, list]]:
    """Daily and night rows of one household after the other."""
    noise = [random.Random(seed + k).uniform(0.8, 1.2) for k in range(4099)]
    days = [FIRST + timedelta(days=k) for k in range(395)]
    start = DAY - timedelta(days=6)  # every trouble starts in the last week (leak, stuck)
    for i, m in enumerate(meters):
        meter, kind = ids[m.serial], trouble.get(i)
        daily, nights = [], []
        if m.service == "water":
            per_day = 140 * m.persons * (2.3 if kind == "heavy" else 1)
            for k, day in enumerate(days):
                leak = m.leak_l_per_h if kind == "leak" and day >= start else 0
                rise = 1.8 if kind == "rise" and day > DAY - timedelta(days=60) else 1
                used = int(per_day * rise * noise[(i * 31 + k) % 4099] + 24 * leak)
                daily.append((meter, day, "total", used, "measured"))
                night = round(leak)
                nights.append((meter, day, night, 5 * night, 5, True))
        else:
            mean_w = 250 + 150 * m.persons
            for k, day in enumerate(days):
                extra = 1500 if kind == "stuck" and day >= start else 0
                used = (mean_w * sum(POWER_HOURS) + 24 * extra) * noise[(i * 17 + k) % 4099]
                off = int(used * OFF_PEAK_SHARE)
                daily.append((meter, day, "hchc", off, "measured"))
                daily.append((meter, day, "hchp", int(used) - off, "measured"))
                night = int((mean_w * 0.45 + extra) * noise[(i * 7 + k) % 4099])
                nights.append((meter, day, night, 5 * night, 5, True))
        yield daily, nights


async def load(url: str, households: int, seed: int) -> dict[int, str]:
    """Households, meters, daily usage and nights by COPY; returns the planted troubles by
    household id."""
    meters, trouble = plant(households, seed)
    conn = await asyncpg.connect(url)
    try:
        started = time.perf_counter()
        homes = [(f"B{i:07d}", f"Foyer {i}", f"{i} rue du Banc", m.persons, i % 8 == 0, TERRITORY)
                 for i, m in enumerate(meters)]  # fmt: skip
        await conn.copy_records_to_table(
            "household",
            records=homes,
            columns=["reference", "name", "address", "persons", "social", "territory"],
        )
        home_ids = [r[0] for r in await conn.fetch("SELECT id FROM household ORDER BY id")]
        await conn.copy_records_to_table(
            "meter",
            records=[(m.serial, m.service, h, "[]") for m, h in zip(meters, home_ids, strict=True)],
            columns=["serial", "service", "household", "registers"],
        )
        ids = {r["serial"]: r["id"] for r in await conn.fetch("SELECT id, serial FROM meter")}
        days = nights = 0
        chunk_days, chunk_nights = [], []
        for daily, night in series(meters, trouble, ids, seed):
            chunk_days += daily
            chunk_nights += night
            if len(chunk_days) >= 400_000:
                days, nights = days + len(chunk_days), nights + len(chunk_nights)
                await copy(conn, chunk_days, chunk_nights)
                chunk_days, chunk_nights = [], []
        days, nights = days + len(chunk_days), nights + len(chunk_nights)
        await copy(conn, chunk_days, chunk_nights)
        await conn.execute("VACUUM ANALYZE")
        say(f"loaded {households} households, {days} daily rows, {nights} nights "
            f"in {time.perf_counter() - started:.1f} s")  # fmt: skip
        return {home_ids[i]: kind for i, kind in trouble.items()}
    finally:
        await conn.close()


async def copy(conn: asyncpg.Connection, days: list, nights: list) -> None:
    await conn.copy_records_to_table(
        "daily_usage", records=days, columns=["meter", "day", "register", "consumption", "quality"]
    )
    await conn.copy_records_to_table(
        "night_usage",
        records=nights,
        columns=["meter", "day", "min_hour", "total", "hours", "complete"],
    )


async def floor(url: str, runs: int = 5) -> float:
    conn = await asyncpg.connect(url)
    try:
        last_year = DAY - timedelta(days=364)
        args = (DAY, DAY - timedelta(days=29), DAY, last_year - timedelta(days=29), last_year)
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            async with conn.transaction():
                await conn.execute("SET LOCAL work_mem = '64MB'")
                rows = await conn.fetch(READ, *args)
                nights = await conn.fetch(READ_NIGHTS, DAY, DAY - timedelta(days=30))
            times.append(time.perf_counter() - started)
        say(f"sql read: {len(rows)} daily windows, {len(nights)} night windows; "
            f"runs {', '.join(f'{t:.3f}' for t in times)} s")  # fmt: skip
        return statistics.median(times)
    finally:
        await conn.close()


async def check(trouble: dict[int, str]) -> Counter[str]:
    """Every planted household has the case its trouble calls for, and nobody else has one."""
    from metering.regulation.tables import RegulationCase

    rows = await RegulationCase.select(RegulationCase.household, RegulationCase.rule)
    found: dict[int, set[str]] = {}
    for r in rows:
        found.setdefault(r["household"], set()).add(r["rule"])
    missed = [h for h, kind in trouble.items() if EXPECTED[kind] not in found.get(h, set())]
    extra = [h for h in found if h not in trouble]
    assert not missed and not extra, (missed[:5], extra[:5])
    cases = Counter(r["rule"] for r in rows)
    say(f"checked: {len(trouble)} planted households all found, no other case; {dict(cases)}")
    return cases


async def bench(url: str, households: int, repeat: int) -> tuple[float, float, int]:
    from metering.regulation.daily import evaluate_day
    from regie.core.database import migrate

    await migrate()
    trouble = await load(url, households, seed=2025)
    sql = await floor(url)
    now = datetime(2026, 1, 1, 6, 30, tzinfo=UTC)
    times = []
    for run in range(max(repeat, 2)):
        started, cpu = time.perf_counter(), time.process_time()
        report = await evaluate_day(DAY, now=now)
        times.append(time.perf_counter() - started)
        cpu = time.process_time() - cpu
        loadavg = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        say(f"detection run {run + 1}: {report.households} households, {report.opened} opened, "
            f"{report.kept} kept, in {times[-1]:.3f} s ({cpu:.2f} s of this process's CPU; "
            f"load average {loadavg} on {os.cpu_count()} CPUs)")  # fmt: skip
        assert report.households == households
        if run:
            assert report.opened == 0  # the same day again: no case opened twice
    cases = await check(trouble)
    return times[0], sql, sum(cases.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=2, help="runs (the first is reported)")
    admin_url_option(parser)
    args = parser.parse_args()
    with project_database(args.admin_url, "reg") as url:
        seconds, sql, cases = asyncio.run(bench(url, args.households, args.repeat))
    result = {
        "households": args.households,
        "seconds": f"{seconds:.3f}",
        "per_household_us": f"{seconds / args.households * 1e6:.1f}",
        "ratio_to_sql_read": f"{seconds / sql:.2f}",
    }
    say(json.dumps({**result, "sql_read_seconds": f"{sql:.3f}", "cases": cases}))
    print("regulation " + " ".join(f"{k}={v}" for k, v in result.items()))


if __name__ == "__main__":
    main()
