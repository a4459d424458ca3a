"""Regulation services: rule-set versions adopted by committees, drought levels, night use
rolled up from readings, TIC power peaks."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from metering.regulation import rule_file
from metering.regulation.nights import MAX_GAP, Night, night_bounds, night_of
from metering.regulation.notices import drought_message
from metering.regulation.rules import (
    DroughtPeriod,
    Level,
    RuleSet,
    level_on,
)
from metering.regulation.tables import (
    DroughtRestriction,
    NightUsage,
    PowerPeak,
    RegulationNotice,
    RuleSetVersion,
)
from metering.tables import Meter, Reading
from regie.settings import get_settings
from regie.tables import Household


@dataclass(frozen=True)
class AdoptedRuleSet:
    id: int
    territory: str
    service: str
    version: int
    effective_on: date
    decision_ref: str | None


def regie_zone() -> ZoneInfo:
    return ZoneInfo(get_settings().timezone)


def local_today(now: datetime) -> date:
    return now.astimezone(regie_zone()).date()


async def adopt_rule_set(
    territory: str,
    service: str,
    rules: str | Mapping[str, Any],
    *,
    decision_ref: str | None,
    effective_on: date | None = None,
    now: datetime | None = None,
) -> AdoptedRuleSet:
    """Store a new version of a territory's rule set for `service` (TOML text or a document),
    in force from `effective_on` (default: today). Raises `rule_file.RuleSetError` naming every
    problem. Enacting the same decision twice returns the version it already made."""
    now = now or datetime.now(UTC)
    parsed = (
        rule_file.loads(rules, service)
        if isinstance(rules, str)
        else rule_file.parse(rules, service)
    )
    where = (RuleSetVersion.territory == territory) & (RuleSetVersion.service == service)
    async with RuleSetVersion._meta.db.transaction():
        if decision_ref is not None:
            same = (
                await RuleSetVersion.objects()
                .where(where & (RuleSetVersion.decision_ref == decision_ref))
                .first()
            )
            if same is not None:
                return _adopted(same)
        last = (
            await RuleSetVersion.select(RuleSetVersion.version)
            .where(where)
            .order_by(RuleSetVersion.version, ascending=False)
            .first()
        )
        row = RuleSetVersion(
            territory=territory,
            service=service,
            version=(last["version"] if last else 0) + 1,
            document=rule_file.document(parsed),
            effective_on=effective_on or local_today(now),
            decision_ref=decision_ref,
            adopted_at=now,
        )
        await row.save()
    return _adopted(row)


def _adopted(row: RuleSetVersion) -> AdoptedRuleSet:
    return AdoptedRuleSet(
        row.id, row.territory, row.service, row.version, as_date(row.effective_on), row.decision_ref
    )


async def rule_sets_in_force(day: date) -> dict[tuple[str, str], tuple[RuleSet, int | None]]:
    """Per (territory, service) with an adopted version: the rule set in force on `day` and
    its version id. Other territories use `default_rule_set`."""
    rows = (
        await RuleSetVersion.select()
        .where(RuleSetVersion.effective_on <= day)
        .order_by(RuleSetVersion.effective_on)
        .order_by(RuleSetVersion.version)
        .output(load_json=True)
    )
    out = {}
    for r in rows:  # the latest effective version wins
        out[(r["territory"], r["service"])] = (rule_file.parse(r["document"]), r["id"])
    return out


async def declare_drought(
    territory: str,
    level: Level | str,
    starts_on: date,
    ends_on: date | None = None,
    *,
    declared_by: str,
    decision_ref: str | None = None,
    now: datetime | None = None,
) -> int:
    """Declare a drought level for a territory and tell every household of it in the app."""
    now = now or datetime.now(UTC)
    level = Level(level)
    if ends_on is not None and ends_on < starts_on:
        raise ValueError("a restriction ends on or after the day it starts")
    households = await Household.select(Household.id).where(Household.territory == territory)
    message = drought_message(level, starts_on, ends_on)
    figures = {"level": str(level), "starts_on": str(starts_on), "ends_on": str(ends_on or "")}
    async with DroughtRestriction._meta.db.transaction():
        row = DroughtRestriction(
            territory=territory,
            level=str(level),
            starts_on=starts_on,
            ends_on=ends_on,
            declared_by=declared_by,
            decision_ref=decision_ref,
            created_at=now,
        )
        await row.save()
        notices = [
            RegulationNotice(
                household=h["id"], kind="drought", message=message, figures=figures, created_at=now
            )
            for h in households
        ]
        if notices:
            await RegulationNotice.insert(*notices)
    return row.id


async def lift_drought(restriction: int, ends_on: date) -> None:
    """End a restriction on `ends_on` (inclusive)."""
    await DroughtRestriction.update({DroughtRestriction.ends_on: ends_on}).where(
        DroughtRestriction.id == restriction
    )


async def drought_periods(
    territory: str | None, start: date, end: date
) -> dict[str, list[DroughtPeriod]]:
    """Restrictions in force at some point between `start` and `end`, per territory."""
    query = DroughtRestriction.select().where(
        DroughtRestriction.withdrawn_at.is_null() & (DroughtRestriction.starts_on <= end)
    )
    if territory is not None:
        query = query.where(DroughtRestriction.territory == territory)
    out: dict[str, list[DroughtPeriod]] = defaultdict(list)
    for r in await query:
        ends = as_date(r["ends_on"]) if r["ends_on"] is not None else None
        if ends is None or ends >= start:
            out[r["territory"]].append(
                DroughtPeriod(Level(r["level"]), as_date(r["starts_on"]), ends)
            )
    return out


async def drought_level(territory: str, day: date) -> Level | None:
    """The level shown to every household of the territory on `day`."""
    return level_on((await drought_periods(territory, day, day)).get(territory, []), day)


async def record_power_peaks(rows: Iterable[tuple[str, date, int, int]]) -> int:
    """Store (meter serial, day, highest VA, subscribed VA) from TIC frames; replaces a day."""
    rows = list(rows)
    ids = {
        r["serial"]: r["id"]
        for r in await Meter.select(Meter.id, Meter.serial).where(
            Meter.serial.is_in([r[0] for r in rows] or [""])
        )
    }
    known = [(ids[s], d, v, sub) for s, d, v, sub in rows if s in ids]
    async with PowerPeak._meta.db.transaction():
        for meter, day, *_ in known:
            await PowerPeak.delete().where((PowerPeak.meter == meter) & (PowerPeak.day == day))
        if known:
            await PowerPeak.insert(
                *[PowerPeak(meter=m, day=d, max_va=v, subscribed_va=s) for m, d, v, s in known]
            )
    return len(known)


async def roll_up_nights(day: date, *, only_incomplete: bool = False) -> int:
    """Night use of every meter for the night of `day`, from its readings (idempotent); with
    `only_incomplete`, only meters without a complete night yet (late readings)."""
    start, end = night_bounds(day, regie_zone())
    done = NightUsage.select(NightUsage.meter).where(
        (NightUsage.day == day) & (NightUsage.complete == True)  # noqa: E712 (SQL)
    )
    query = Reading.select(Reading.meter, Reading.register, Reading.ts, Reading.value).where(
        (Reading.ts >= _utc(start - MAX_GAP))
        & (Reading.ts <= _utc(end + MAX_GAP))
        & Reading.flag.is_null()
    )
    if only_incomplete:
        query = query.where(Reading.meter.not_in(done))
    series: dict[int, dict[str, list[tuple[int, int]]]] = defaultdict(lambda: defaultdict(list))
    for r in await query.order_by(Reading.meter).order_by(Reading.ts):
        series[r["meter"]][r["register"]].append((int(r["ts"].timestamp()), r["value"]))
    if not series:
        return 0
    digits = {m["id"]: m["digits"] for m in await Meter.select(Meter.id, Meter.digits)}
    nights: dict[int, Night] = {}
    for meter, registers in series.items():
        night = night_of(registers, day, regie_zone(), digits=digits.get(meter, 0))
        if night is not None:
            nights[meter] = night
    async with NightUsage._meta.db.transaction():
        if nights:
            await NightUsage.delete().where(
                (NightUsage.day == day) & NightUsage.meter.is_in(list(nights))
            )
            await NightUsage.insert(
                *[
                    NightUsage(
                        meter=m,
                        day=day,
                        min_hour=n.min_hour,
                        total=n.total,
                        hours=n.hours,
                        complete=n.complete,
                    )
                    for m, n in nights.items()
                ]
            )
    return len(nights)


def as_date(value: date | str) -> date:
    # SQLite hands back a computed column's date as text.
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _utc(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, UTC)
