"""Web benchmark: the household page and the committee dashboard under 20 concurrent clients,
with 10,000 households and a year of daily usage on PostgreSQL.

Run: `.venv/bin/python bench/web.py [--households N] [--clients C] [--seconds S]
[--warmup W] [--min-requests M] [--limit L] [--workers K] [--admin-url URL] [--py-spy DIR]`.

1. A fresh PostgreSQL database `regie_bench_web_<random>` on 127.0.0.1:5432, migrated, dropped
   at the end. Households (the simulator's persons, 15 % social), each with a water
   and an HP/HC electricity meter as in `regie demo`, and a year of daily usage up to today
   (seasonal, 1 % of the days estimated) plus five weeks of nights, are bulk-loaded with
   asyncpg COPY (indexes of `daily_usage` rebuilt after the load), then VACUUM ANALYZE.
   Then, through the project's services: the shipped water and electricity tariffs in force
   for the year, last month billed (`bill_period`), yesterday's overconsumption checks
   (`evaluate_day`), a water and an electricity committee with C members over the three colleges,
   a tariff change put to the vote and a household's motion, and C household accounts.
2. The app as people run it: `python -m regie.cli serve --workers K` (uvicorn, one worker
   unless --workers, the pool) in a child process on a free loopback port; its CPU is counted
   over all its processes. Every client logs in once through the login
   form: C households, C committee members.
3. Pages one after the other, each with C concurrent clients (httpx.AsyncClient, one
   keep-alive connection each, no pause between requests): a warm-up of W seconds (and one
   answer per client at least), then S seconds measured, extended until M answers and cut at
   L seconds; the requests started then are awaited and measured. The trivial template page
   is `/login` (a small form; each client sends its own session cookie, so it pays the
   session lookup that every page pays, and no session is created), then the household page
   `/household` (each client its own household), then the water committee's dashboard
   `/committees/{id}` (each client its own member). Every answer must have the page's
   status and marker. Per page: requests/s while requests were started, the p50 and p95 of
   the measured requests, and the CPU the server and this client used. For reference,
   `/no-such-page` (the app's 404 template; clients without a session, so no database at
   all) is measured first.
4. With --py-spy DIR, py-spy samples the server during each measured phase (raw collapsed
   stacks in DIR) and the hottest functions are printed.

The last line is
`web household_p95_ms=… committee_p95_ms=… household_rps=… ratio_to_static_template=…`,
the ratio dividing the household page's requests/s by the `/login` page's in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import random
import re
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402
import httpx  # noqa: E402

from bench.common import admin_url_option, project_database, say  # noqa: E402
from metering.simulator import make_meters  # noqa: E402

TERRITORY = "bench"
PASSWORD = "bench-regie-2026"  # the accounts of a throw-away database
EXAMPLES = ROOT / "tariffs" / "examples"
CHARTER = 'co_signatures = 3\nvote_duration_days = 14\nsecrecy = "secret"\nquorum = "1/3"\n'
CHUNK = 500_000  # daily rows per COPY
CSRF = re.compile(rb'name="csrf_token" value="([^"]+)"')


# -- the territory -----------------------------------------------------------------------


def usage_rows(
    sims: list[Any], ids: dict[str, int], start: date, today: date, seed: int
) -> Iterator[tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]]:
    """Daily rows and night rows, meter after meter: water higher in summer, electricity in
    winter, leaking homes drawing all night (as `regie demo` draws them)."""
    rng = random.Random(seed)
    calendar = []
    for d in range((today - start).days + 1):
        day = start + timedelta(days=d)
        season = math.cos((day.timetuple().tm_yday - 200) / 365 * 2 * math.pi)
        calendar.append((day, season, day > today - timedelta(days=35)))
    uniform = rng.uniform
    for sim in sims:
        meter, habit = ids[sim.serial], uniform(0.75, 1.3)
        days: list[tuple[Any, ...]] = []
        nights: list[tuple[Any, ...]] = []
        if sim.service == "water":
            base, leak = 140 * sim.persons * habit, sim.leak_l_per_h * 24
            low = int(sim.leak_l_per_h)
            for day, season, recent in calendar:
                noise = uniform(0.8, 1.2)
                quality = "estimated" if uniform(0, 1) < 0.01 else "measured"
                litres = int(base * noise * (1 + 0.2 * season) + leak)
                days.append((meter, "total", day, litres, quality))
                if recent:
                    nights.append((meter, day, low, low * 5 + int(noise * 3), 5, True))
        else:
            base = (250 + 150 * sim.persons) * 24 * habit
            for day, season, _ in calendar:
                wh = base * uniform(0.8, 1.2) * (1 - 0.35 * season)
                quality = "estimated" if uniform(0, 1) < 0.01 else "measured"
                days.append((meter, "hchc", day, int(wh * 0.4), quality))
                days.append((meter, "hchp", day, int(wh * 0.6), quality))
        yield days, nights


async def load(url: str, households: int, start: date, today: date) -> int:
    """Households, meters, daily usage and nights by COPY; returns the daily rows."""
    sims = make_meters(households * 2, prefix="W", leak_share=0.04, seed=2026)
    rng = random.Random(7)
    conn = await asyncpg.connect(url)
    try:
        began = time.perf_counter()
        await conn.copy_records_to_table(
            "household",
            records=[
                (
                    f"H{i:06d}",
                    f"Foyer {i}",
                    f"{i % 120 + 1} rue du Banc",
                    sims[2 * i].persons,
                    rng.random() < 0.15,
                    TERRITORY,
                )
                for i in range(households)
            ],
            columns=["reference", "name", "address", "persons", "social", "territory"],
        )
        home = [r[0] for r in await conn.fetch("SELECT id FROM household ORDER BY reference")]
        installed = start - timedelta(days=400)
        await conn.copy_records_to_table(
            "meter",
            records=[
                (
                    s.serial,
                    s.service,
                    home[n // 2],
                    "[]" if s.service == "water" else '["hchc", "hchp"]',
                    s.dev_eui,
                    "L" if s.service == "water" else "Wh",
                    installed,
                )
                for n, s in enumerate(sims)
            ],
            columns=[
                "serial",
                "service",
                "household",
                "registers",
                "dev_eui",
                "unit",
                "installed_on",
            ],
        )
        ids = {r["serial"]: r["id"] for r in await conn.fetch("SELECT id, serial FROM meter")}
        indexes = await conn.fetch(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'daily_usage'"
            " AND indexname NOT LIKE '%pkey'"
        )
        for r in indexes:  # built once after the load rather than row by row
            await conn.execute(f'DROP INDEX "{r["indexname"]}"')
        rows, days, nights = 0, [], []
        for d, n in usage_rows(sims, ids, start, today, seed=2026):
            days += d
            nights += n
            if len(days) >= CHUNK:
                rows += len(days)
                await copy(conn, days, nights)
                days, nights = [], []
        rows += len(days)
        await copy(conn, days, nights)
        for r in indexes:
            await conn.execute(r["indexdef"])
        await conn.execute("VACUUM ANALYZE")
        say(
            f"loaded {households} households, {len(sims)} meters, {rows} daily rows "
            f"in {time.perf_counter() - began:.1f} s"
        )
        return rows
    finally:
        await conn.close()


async def copy(conn: asyncpg.Connection, days: list[Any], nights: list[Any]) -> None:
    await conn.copy_records_to_table(
        "daily_usage", records=days, columns=["meter", "register", "day", "consumption", "quality"]
    )
    await conn.copy_records_to_table(
        "night_usage",
        records=nights,
        columns=["meter", "day", "min_hour", "total", "hours", "complete"],
    )


@dataclass
class People:
    households: list[str] = field(default_factory=list)  # logins, one per client
    members: list[str] = field(default_factory=list)
    committee: int = 0  # the water committee, whose dashboard is measured


async def services(households: int, clients: int, start: date, now: datetime) -> People:
    """Tariffs, last month's bills, overconsumption cases, accounts, committees, proposals."""
    from committees import proposals, service, votes
    from metering.regulation.daily import evaluate_day
    from regie.core.accounts import create_account, hash_password
    from regie.tables import Account
    from tariffs.billing import bill_period
    from tariffs.service import create_version

    began = time.perf_counter()
    for name in ("dunkerque_eco_solidaire.toml", "tarif_bleu_hphc.toml"):
        await create_version(
            in_force((EXAMPLES / name).read_text("utf-8"), start), TERRITORY, origin="setup"
        )
    last = now.date().replace(day=1) - timedelta(days=1)
    report = await bill_period(f"{last:%Y-%m}", territory=TERRITORY, now=now)
    say(f"billed {last:%Y-%m}: {report!r}"[:300])
    cases = await evaluate_day(now.date() - timedelta(days=1), now=now)
    say(f"overconsumption checks: {cases!r}"[:300])
    hashed = hash_password(PASSWORD)  # Argon2id is slow by design: hash the shared one once

    async def person(login: str, name: str, household: str | None = None) -> int:
        account = await create_account(login, name, household_ref=household)
        await Account.update({Account.password_hash: hashed}).where(Account.id == account.id)
        return int(account.id)

    people = People()
    step = max(1, households // (2 * clients))
    for c in range(clients):  # households spread over the territory, none a member
        people.households.append(f"foyer{c}@bench.regie")
        await person(people.households[-1], f"Foyer {c * step}", f"H{c * step:06d}")
    colleges: dict[str, list[int]] = {"public": [], "operators": [], "users": []}
    for c in range(clients):
        college = ("public", "operators", "users")[c % 3]
        login = f"membre{c}@bench.regie"
        home = f"H{c * step + 1:06d}" if college == "users" else None
        colleges[college].append(await person(login, f"Membre {c}", home))
        people.members.append(login)
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
    people.committee = water
    user = colleges["users"][0]
    text = in_force(
        (EXAMPLES / "dunkerque_eco_solidaire.toml").read_text("utf-8"),
        now.date() + timedelta(days=30),
    )
    tariff = await proposals.file_proposal(
        user,
        water,
        "tariff_change",
        "Eau essentielle moins chère",
        body="Baisser le prix des 75 premiers m³.",
        now=now - timedelta(days=3),
        tariff_text=text.replace('price = "0.83"', 'price = "0.70"', 1),
        effective_on=now.date() + timedelta(days=30),
    )
    await votes.open_vote(tariff, now=now - timedelta(days=1))
    await votes.cast_vote(colleges["public"][0], tariff, "yes", now=now - timedelta(hours=20))
    await proposals.file_proposal(
        user,
        water,
        "free_motion",
        "Des kits d'économie d'eau gratuits",
        body="Des mousseurs pour les foyers qui le demandent.",
        now=now - timedelta(days=1),
    )
    say(
        f"tariffs, bills, cases, {2 * clients} accounts, committees in "
        f"{time.perf_counter() - began:.1f} s"
    )
    return people


def in_force(text: str, valid_from: date) -> str:
    return re.sub(r"(?m)^valid_from\s*=.*$", f"valid_from = {valid_from.isoformat()}", text)


# -- the server and its clients ----------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(url: str, port: int, workers: int = 1) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "REGIE_DATABASE_URL": url,
        "REGIE_DEVELOPMENT": "1",  # plain HTTP on loopback: cookies without Secure
        "REGIE_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "PICCOLO_CONF": "regie.piccolo_conf",
    }
    command = [sys.executable, "-m", "regie.cli", "serve", "--host", "127.0.0.1"]
    options = ["--port", str(port), "--workers", str(workers)]
    return subprocess.Popen([*command, *options], env=env, cwd=ROOT)


async def wait_ready(base: str, server: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    async with httpx.AsyncClient(base_url=base) as client:
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise RuntimeError(f"the server exited with {server.returncode}")
            try:
                if (await client.get("/no-such-page")).status_code == 404:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError("the server did not answer in time")


async def logged_in(base: str, login: str) -> httpx.AsyncClient:
    """A client with its own connection, logged in once through the login form."""
    client = httpx.AsyncClient(base_url=base, timeout=120, limits=httpx.Limits(max_connections=1))
    page = await client.get("/login")
    token = CSRF.search(page.content)
    assert token, "no CSRF token on /login"
    response = await client.post(
        "/login", data={"login": login, "password": PASSWORD, "csrf_token": token.group(1).decode()}
    )
    assert response.status_code == 303, (login, response.status_code)
    return client


@dataclass
class Phase:
    name: str
    requests: int = 0
    rps: float = 0.0
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    server_cpu: float = 0.0  # share of one core
    client_cpu: float = 0.0
    errors: Counter[str] = field(default_factory=Counter)


def cpu_seconds(pid: int) -> float:
    """CPU of the server: its process and the workers it started (uvicorn --workers)."""
    total = 0.0
    for one in [pid, *children(pid)]:
        fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found + [grand for child in found for grand in children(child)]


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


async def measure(
    name: str,
    clients: list[tuple[httpx.AsyncClient, str, bytes, int]],
    pid: int,
    args: argparse.Namespace,
    profile: Path | None,
) -> Phase:
    """Warm-up: every client asks until `--warmup` seconds have passed and it has had one
    answer. Then all start together and ask again as soon as they have their answer, for
    `--seconds` and at least `--min-requests` answers (at most `--max-requests`, and never
    beyond `--limit` seconds); the requests started then are measured and awaited."""
    phase = Phase(name)
    latencies: list[float] = []
    completed = 0
    warm_end = time.perf_counter() + args.warmup

    async def warm(client: httpx.AsyncClient, url: str) -> None:
        while True:
            await client.get(url)
            if time.perf_counter() >= warm_end:
                return

    await asyncio.gather(*(warm(c, url) for c, url, *_ in clients))
    start = time.perf_counter()
    end, limit = start + args.seconds, start + args.limit
    stop = math.inf  # when no new request is started any more

    def go_on(now: float) -> bool:
        nonlocal stop
        if now < stop and (
            now >= limit
            or len(latencies) >= args.max_requests
            or (now >= end and completed >= args.min_requests)
        ):
            stop = now
        return now < stop

    async def client_loop(client: httpx.AsyncClient, url: str, marker: bytes, status: int) -> None:
        nonlocal completed
        while go_on(t0 := time.perf_counter()):
            try:
                response = await client.get(url)
                ok = response.status_code == status and marker in response.content
                problem = "" if ok else f"{response.status_code}"
            except httpx.HTTPError as exc:
                problem = type(exc).__name__
            t1 = time.perf_counter()
            if problem:
                phase.errors[problem] += 1
            latencies.append(t1 - t0)
            if t1 <= stop:
                completed += 1

    spy = None
    if profile is not None:
        options = ["record", "--rate", "250", "--format", "raw", "--nonblocking"]
        options += ["--subprocesses", "--pid"]
        spy = await asyncio.create_subprocess_exec(
            str(Path(sys.executable).parent / "py-spy"), *options, str(pid),
            "--output", str(profile / f"{name}.txt"),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
    server_cpu, client_cpu = cpu_seconds(pid), time.process_time()
    await asyncio.gather(*(client_loop(*client) for client in clients))
    elapsed = time.perf_counter() - start
    phase.server_cpu = (cpu_seconds(pid) - server_cpu) / elapsed
    phase.client_cpu = (time.process_time() - client_cpu) / elapsed
    if spy is not None:
        spy.send_signal(signal.SIGINT)  # py-spy writes its samples when interrupted
        await asyncio.wait_for(spy.wait(), 60)
    phase.requests = len(latencies)
    phase.rps = completed / (stop - start)
    phase.p50_ms = quantile(latencies, 0.50) * 1000
    phase.p95_ms = quantile(latencies, 0.95) * 1000
    say(
        f"{name}: {phase.requests} requests in {elapsed:.1f} s, {phase.rps:.1f} req/s, "
        f"p50 {phase.p50_ms:.1f} ms, p95 {phase.p95_ms:.1f} ms, max "
        f"{max(latencies) * 1000:.0f} ms; server CPU {phase.server_cpu:.0%} of a core, client "
        f"{phase.client_cpu:.0%}; errors {dict(phase.errors) or 0}; load average "
        f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}"
    )
    return phase


def hottest(path: Path, top: int = 12) -> None:
    """Functions by samples in them (self) and under them (for the project's own code)."""
    own: Counter[str] = Counter()
    under: Counter[str] = Counter()
    total = 0
    mine = ("regie/", "metering/", "tariffs/", "committees/", "templates/")
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = stack.split(";")
        own[frames[-1]] += n
        for frame in set(frames):
            if any(f"/{m}" in frame or f"({m}" in frame for m in mine):
                under[frame] += n
    if not total:
        return
    say(f"py-spy {path.name}: {total} samples; self time:")
    for frame, n in own.most_common(top):
        say(f"  {n / total:6.1%}  {frame}")
    say("  inclusive time in the project's code:")
    for frame, n in under.most_common(top):
        say(f"  {n / total:6.1%}  {frame}")


async def drive(url: str, people: People, args: argparse.Namespace) -> dict[str, Phase]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(url, port, args.workers)
    opened: list[httpx.AsyncClient] = []
    try:
        await wait_ready(base, server)
        began = time.perf_counter()
        homes = [await logged_in(base, login) for login in people.households]
        members = [await logged_in(base, login) for login in people.members]
        strangers = [
            httpx.AsyncClient(base_url=base, limits=httpx.Limits(max_connections=1))
            for _ in people.households
        ]
        opened = homes + members + strangers
        say(
            f"server pid {server.pid} on {base}; {len(opened)} clients logged in "
            f"in {time.perf_counter() - began:.1f} s"
        )
        profile = Path(args.py_spy) if args.py_spy else None
        if profile is not None:
            profile.mkdir(parents=True, exist_ok=True)
        board = f"/committees/{people.committee}"
        pages: list[tuple[str, list[tuple[httpx.AsyncClient, str, bytes, int]]]] = [
            ("not_found_template", [(c, "/no-such-page", b"<html", 404) for c in strangers]),
            ("login_template", [(c, "/login", b'name="csrf_token"', 200) for c in homes]),
            ("household", [(c, "/household", b'id="usage_chart"', 200) for c in homes]),
            ("committee", [(c, board, b'id="dashboard"', 200) for c in members]),
        ]
        phases = {}
        for name, clients in pages:
            phase = await measure(name, clients, server.pid, args, profile)
            phases[name] = phase
            if profile is not None and (profile / f"{name}.txt").exists():
                hottest(profile / f"{name}.txt")
        return phases
    finally:
        for client in opened:
            await client.aclose()
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()


async def prepare(url: str, args: argparse.Namespace) -> People:
    from regie.core.database import migrate
    from regie.web.household_data import local_today

    await migrate()
    today = local_today()
    start = today - timedelta(days=365)
    await load(url, args.households, start, today)
    return await services(args.households, args.clients, start, datetime.now(UTC))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--households", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=20.0, help="measured, per page")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds before, per page")
    parser.add_argument("--min-requests", type=int, default=40, help="per page at least")
    parser.add_argument("--max-requests", type=int, default=50_000, help="per page at most")
    parser.add_argument("--limit", type=float, default=300.0, help="seconds per page at most")
    parser.add_argument(
        "--workers", type=int, default=1, help="server processes (regie serve --workers)"
    )
    parser.add_argument("--py-spy", default="", help="a directory for py-spy's samples")
    admin_url_option(parser)
    args = parser.parse_args()
    say(f"{os.cpu_count()} CPUs")
    with project_database(args.admin_url, "web") as url:
        people = asyncio.run(prepare(url, args))
        phases = asyncio.run(drive(url, people, args))
    failed = {n: dict(p.errors) for n, p in phases.items() if p.errors}
    if failed:
        raise SystemExit(f"pages answered wrongly: {failed}")
    home, board, login = phases["household"], phases["committee"], phases["login_template"]
    say(
        f"ratio to the 404 template (no database): "
        f"{home.rps / phases['not_found_template'].rps:.3f}"
    )
    result = {
        "household_p95_ms": f"{home.p95_ms:.1f}",
        "committee_p95_ms": f"{board.p95_ms:.1f}",
        "household_rps": f"{home.rps:.1f}",
        "ratio_to_static_template": f"{home.rps / login.rps:.3f}",
    }
    print("web " + " ".join(f"{k}={v}" for k, v in result.items()))


if __name__ == "__main__":
    main()
