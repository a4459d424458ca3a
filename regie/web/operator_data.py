"""Read models of the operators' pages: search, household and meter detail with raw readings,
rejected readings with samples, ingest rate and lag, billing runs and drought restrictions."""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from piccolo.query.functions.aggregate import Count, Max

from metering.regulation.service import local_today
from metering.regulation.tables import DroughtRestriction
from metering.tables import DailyUsage, Meter, Reading, RejectedReading
from regie.settings import get_settings
from regie.tables import Account, Household
from regie.web.status import ingest_health
from tariffs.tables import Bill, BillingRun, TariffDraft, TariffVersion

SEARCH_LIMIT = 50
READINGS_PER_PAGE = 50
USAGE_DAYS = 31
SAMPLES = 5
BASE_UNIT = {"water": "L", "electricity": "Wh"}


def _contains(column: Any, query: str) -> Any:
    """`column` contains `query`, ignoring case: ILIKE on PostgreSQL, LIKE on SQLite (which
    ignores ASCII case already). Wildcards a user types only widen the search."""
    pattern = f"%{query.strip()[:100]}%"
    if Household._meta.db.engine_type == "postgres":
        return column.ilike(pattern)
    return column.like(pattern)


async def dashboard_counts() -> dict[str, Any]:
    """The figures at the top of the operators' dashboard (cheap counts only)."""
    since = datetime.now(UTC) - timedelta(hours=24)
    by_service = await Meter.select(Meter.service, Count(Meter.id, alias="count")).group_by(
        Meter.service
    )
    last_run = await BillingRun.select().order_by(BillingRun.id, ascending=False).first()
    return {
        "households": await Household.count(),
        "meters": {r["service"]: r["count"] for r in by_service},
        "rejected_24h": await RejectedReading.count().where(RejectedReading.received_at >= since),
        "drafts": await TariffDraft.count(),
        "versions": await TariffVersion.count(),
        "last_run": last_run,
        "restrictions": await current_restrictions(),
    }


async def search_households(query: str) -> list[dict[str, Any]]:
    """Households whose reference, name or address contains `query` (all when empty)."""
    select = Household.select().order_by(Household.reference).limit(SEARCH_LIMIT)
    if query.strip():
        select = select.where(
            _contains(Household.reference, query)
            | _contains(Household.name, query)
            | _contains(Household.address, query)
        )
    rows = await select
    ids = [r["id"] for r in rows] or [0]
    counts = await (
        Meter.select(Meter.household, Count(Meter.id, alias="count"))
        .where(Meter.household.is_in(ids))
        .group_by(Meter.household)
    )
    meters = {r["household"]: r["count"] for r in counts}
    return [{**r, "meters": meters.get(r["id"], 0)} for r in rows]


async def household_detail(reference: str) -> dict[str, Any] | None:
    """A household with its meters, the accounts linked to it and its latest bills."""
    home = await Household.select().where(Household.reference == reference).first()
    if home is None:
        return None
    meters = await Meter.select().where(Meter.household == home["id"]).order_by(Meter.serial)
    accounts = await Account.select(Account.login, Account.name, Account.active).where(
        Account.household == home["id"]
    )
    bills = await (
        Bill.select(
            Bill.number, Bill.kind, Bill.service, Bill.period, Bill.total_cents, Bill.currency,
            Bill.issued_at,
        )
        .where(Bill.household == home["id"])
        .order_by(Bill.id, ascending=False)
        .limit(12)
    )  # fmt: skip
    return {"household": home, "meters": meters, "accounts": accounts, "bills": bills}


async def search_meters(query: str) -> list[dict[str, Any]]:
    """Meters whose serial, LoRaWAN DevEUI or household reference contains `query`."""
    select = (
        Meter.select(
            Meter.id, Meter.serial, Meter.service, Meter.dev_eui, Meter.installed_on,
            Meter.removed_on, Meter.household.reference.as_alias("household_ref"),
        )
        .order_by(Meter.serial)
        .limit(SEARCH_LIMIT)
    )  # fmt: skip
    if query.strip():
        select = select.where(
            _contains(Meter.serial, query)
            | _contains(Meter.dev_eui, query)
            | _contains(Meter.household.reference, query)
        )
    return list(await select)


@dataclass(frozen=True)
class MeterDetail:
    meter: dict[str, Any]
    household: dict[str, Any] | None
    unit: str
    readings: list[dict[str, Any]]
    page: int
    pages: int
    total: int  # readings shown by the filter
    count_all: int
    flagged: int
    flagged_only: bool
    usage: list[dict[str, Any]]


async def meter_detail(
    serial: str, page: int = 1, flagged_only: bool = False
) -> MeterDetail | None:
    """A meter, one page of its raw readings (newest first) with their quality and flag, and
    its daily usage over the last days it has."""
    meter = await Meter.select().where(Meter.serial == serial).first()
    if meter is None:
        return None
    household = None
    if meter["household"] is not None:
        household = await Household.select().where(Household.id == meter["household"]).first()
    mine = Reading.meter == meter["id"]
    flagged = await Reading.count().where(mine & Reading.flag.is_not_null())
    where = (mine & Reading.flag.is_not_null()) if flagged_only else mine
    count_all = await Reading.count().where(mine)
    total = flagged if flagged_only else count_all
    pages = max(1, -(-total // READINGS_PER_PAGE))
    page = min(max(1, page), pages)
    readings = await (
        Reading.select(
            Reading.ts, Reading.register, Reading.value, Reading.quality, Reading.flag,
            Reading.received_at, Reading.source,
        )
        .where(where)
        .order_by(Reading.ts, ascending=False)
        .order_by(Reading.register)
        .limit(READINGS_PER_PAGE)
        .offset((page - 1) * READINGS_PER_PAGE)
    )  # fmt: skip
    usage = await (
        DailyUsage.select(
            DailyUsage.day, DailyUsage.register, DailyUsage.consumption, DailyUsage.quality
        )
        .where(DailyUsage.meter == meter["id"])
        .order_by(DailyUsage.day, ascending=False)
        .order_by(DailyUsage.register)
        .limit(USAGE_DAYS * 6)  # up to six registers (Tempo)
    )
    return MeterDetail(
        meter=meter,
        household=household,
        unit=BASE_UNIT.get(meter["service"], ""),
        readings=list(readings),
        page=page,
        pages=pages,
        total=total,
        count_all=count_all,
        flagged=flagged,
        flagged_only=flagged_only,
        usage=list(usage),
    )


def usage_bars(usage: list[dict[str, Any]], width: int = 620, height: int = 120) -> dict[str, Any]:
    """A bar per day (all registers summed) for a small server-side SVG chart."""
    per_day: dict[date, int] = {}
    for row in usage:
        day = row["day"] if isinstance(row["day"], date) else date.fromisoformat(str(row["day"]))
        per_day[day] = per_day.get(day, 0) + int(row["consumption"])
    days = sorted(per_day)[-USAGE_DAYS:]
    top = max((per_day[d] for d in days), default=0) or 1
    step = width / max(len(days), 1)
    bars = []
    for i, d in enumerate(days):
        h = round(per_day[d] / top * (height - 4), 1)
        bars.append({
            "x": round(i * step + 1, 1), "y": round(height - h, 1), "w": round(max(step - 2, 1), 1),
            "h": h, "day": d, "value": per_day[d],
        })  # fmt: skip
    total = sum(per_day[d] for d in days)
    return {"bars": bars, "width": width, "height": height, "total": total, "top": top}


async def rejected_by_reason(samples: int = SAMPLES) -> list[dict[str, Any]]:
    """Each reason with its count, its latest time and its latest payloads (stored text, to be
    rendered escaped)."""
    reasons = await (
        RejectedReading.select(
            RejectedReading.reason,
            Count(RejectedReading.id, alias="count"),
            Max(RejectedReading.received_at, alias="latest"),
        )
        .group_by(RejectedReading.reason)
        .order_by(RejectedReading.reason)
    )
    out = []
    for r in reasons:
        latest = await (
            RejectedReading.select(
                RejectedReading.topic, RejectedReading.payload, RejectedReading.detail,
                RejectedReading.received_at,
            )
            .where(RejectedReading.reason == r["reason"])
            .order_by(RejectedReading.received_at, ascending=False)
            .limit(samples)
        )  # fmt: skip
        out.append({**r, "latest": as_datetime(r["latest"]), "samples": latest})
    return sorted(out, key=lambda r: -r["count"])


# Rate of each ingest worker: messages between two of its status snapshots, remembered by
# this web process (a worker writes its counters every REGIE_INGEST_STATS_SECONDS).
_SNAPSHOTS: dict[str, deque[tuple[datetime, int]]] = {}


def _rate(worker: str, updated_at: datetime, messages: int) -> float | None:
    seen = _SNAPSHOTS.setdefault(worker, deque(maxlen=2))
    if not seen or seen[-1][0] != updated_at:
        seen.append((updated_at, messages))
    if len(seen) < 2:
        return None
    (t1, m1), (t2, m2) = seen
    seconds = (t2 - t1).total_seconds()
    if seconds <= 0 or m2 < m1:  # a restarted worker counts from zero again
        return None
    return (m2 - m1) / seconds


async def ingest_view(now: datetime | None = None, silent_sample: int = 20) -> dict[str, Any]:
    """Ingest health with each worker's rate (messages/s), lag (receive → commit) and the time
    since its last message, and a sample of the meters silent for 24 h."""
    now = now or datetime.now(UTC)
    health = await ingest_health()
    for w in health["workers"]:
        updated = datetime.fromisoformat(w["updated_at"])
        w["rate"] = _rate(w["worker"], updated, int(w.get("messages", 0)))
        w["lag_ms_avg"] = w.get("lag_ms_avg", 0.0)
        last = float(w.get("last_message_at") or 0)
        w["quiet_s"] = max(0.0, time.time() - last) if last else None
        age = (now - updated).total_seconds()
        w["stale"] = age > max(30.0, 3 * get_settings().ingest.stats_seconds)
    since = now - timedelta(hours=24)
    # NOT EXISTS walks the (meter, register, ts) index of each meter: no scan of readings.
    health["silent"] = await Meter.raw(
        "SELECT m.serial, m.service FROM meter m WHERE m.removed_on IS NULL AND NOT EXISTS "
        "(SELECT 1 FROM reading r WHERE r.meter = m.id AND r.ts >= {}) "
        "ORDER BY m.serial LIMIT {}",
        since,
        silent_sample,
    )
    return health


async def territories() -> list[str]:
    rows = await Household.select(Household.territory).distinct().order_by(Household.territory)
    return [r["territory"] for r in rows]


async def current_restrictions(today: date | None = None) -> list[dict[str, Any]]:
    """Restrictions in force today in the régie's time zone (not withdrawn, not ended)."""
    today = today or local_today(datetime.now(UTC))
    rows = await DroughtRestriction.select().where(
        DroughtRestriction.withdrawn_at.is_null() & (DroughtRestriction.starts_on <= today)
    )
    return [r for r in rows if r["ends_on"] is None or as_day(r["ends_on"]) >= today]


def as_datetime(value: Any) -> datetime | None:
    # SQLite hands an aggregate of a timestamp back as text.
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def as_day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
