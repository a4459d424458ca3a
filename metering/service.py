"""Meters, readings and daily usage for operators: CSV import of meters, CSV exports."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from metering.adapters import Rejection
from metering.tables import DailyUsage, Meter, Reading
from metering.units import UnitConverter
from regie.core.csv_import import ImportError_, Row, check_rows, no_repeats, parse_int, read_rows
from regie.tables import Household

REQUIRED = ("serial", "service", "household", "unit", "digits", "dev_eui")
OPTIONAL = ("registers", "max_rate", "installed_on", "removed_on", "replaces")
_DEV_EUI = re.compile(r"[0-9a-fA-F]{16}")
_REGISTER = re.compile(r"[a-z0-9][a-z0-9_]{0,31}")


class UnknownMeter(LookupError):
    """No meter has that serial."""


@dataclass(frozen=True, slots=True)
class MeterRow:
    serial: str
    service: str
    household: str | None
    unit: str
    digits: int
    dev_eui: str | None
    registers: list[str]
    max_rate: int
    installed_on: date | None
    removed_on: date | None
    replaces: str | None


def _date(text: str, name: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{name} must be a date YYYY-MM-DD, got {text!r}") from None


def _checker(units: UnitConverter):
    def check(row: Row) -> MeterRow:
        v = {name: row.values.get(name, "") for name in REQUIRED + OPTIONAL}
        if not v["serial"] or len(v["serial"]) > 64:
            raise ValueError("serial must have 1 to 64 characters")
        if v["service"] not in ("water", "electricity"):
            raise ValueError(f"service must be water or electricity, got {v['service']!r}")
        if v["unit"]:
            try:
                units.factor(v["unit"], v["service"])
            except Rejection as error:
                raise ValueError(f"unit {v['unit']!r}: {error.detail or error.reason}") from None
        if v["dev_eui"] and not _DEV_EUI.fullmatch(v["dev_eui"]):
            raise ValueError(f"dev_eui must be 16 hexadecimal digits, got {v['dev_eui']!r}")
        registers = v["registers"].replace("|", " ").split()
        for name in registers:
            if not _REGISTER.fullmatch(name):
                raise ValueError(f"register name {name!r}: lower-case letters, digits and _")
        return MeterRow(
            serial=v["serial"],
            service=v["service"],
            household=v["household"] or None,
            unit=v["unit"],
            digits=parse_int(v["digits"] or "0", "digits", 0, 12),
            dev_eui=v["dev_eui"].lower() or None,
            registers=registers,
            max_rate=parse_int(v["max_rate"] or "0", "max_rate", 0, 10**9),
            installed_on=_date(v["installed_on"], "installed_on"),
            removed_on=_date(v["removed_on"], "removed_on"),
            replaces=v["replaces"] or None,
        )

    return check


async def import_meters(text: str) -> tuple[int, int]:
    """Create or update meters from CSV text; returns (created, updated). All or nothing."""
    lines = read_rows(text, REQUIRED, OPTIONAL)
    rows: list[MeterRow] = check_rows(lines, _checker(UnitConverter()))
    no_repeats(lines, [m.serial for m in rows], "serial")
    no_repeats(lines, [m.dev_eui for m in rows], "dev_eui")
    households = {
        r["reference"]: r["id"] for r in await Household.select(Household.id, Household.reference)
    }
    meters = {r["serial"]: r["id"] for r in await Meter.select(Meter.id, Meter.serial)}
    problems = []
    for line, m in zip(lines, rows, strict=True):
        if m.household and m.household not in households:
            problems.append(f"line {line.line}: no household with reference {m.household!r}")
        if m.replaces and m.replaces not in meters and m.replaces not in {r.serial for r in rows}:
            problems.append(f"line {line.line}: replaces unknown meter {m.replaces!r}")
    if problems:
        raise ImportError_(problems)
    created = updated = 0
    async with Meter._meta.db.transaction():
        for m in rows:  # replaced meters first would be nicer; two passes settle `replaces`
            values: dict[Any, Any] = {
                Meter.service: m.service,
                Meter.household: households.get(m.household) if m.household else None,
                Meter.unit: m.unit,
                Meter.digits: m.digits,
                Meter.dev_eui: m.dev_eui,
                Meter.registers: json.dumps(m.registers),
                Meter.max_rate: m.max_rate,
                Meter.installed_on: m.installed_on,
                Meter.removed_on: m.removed_on,
            }
            if m.serial in meters:
                await Meter.update(values).where(Meter.id == meters[m.serial])
                updated += 1
            else:
                row = Meter({**values, Meter.serial: m.serial})
                await row.save()
                meters[m.serial] = row.id
                created += 1
        for m in rows:
            if m.replaces:
                await Meter.update({Meter.replaces: meters[m.replaces]}).where(
                    Meter.id == meters[m.serial]
                )
    return created, updated


async def _meter_id(serial: str) -> int:
    row = await Meter.select(Meter.id).where(Meter.serial == serial).first()
    if row is None:
        raise UnknownMeter(f"no meter with serial {serial!r}")
    return int(row["id"])


async def export_readings(serial: str, start: date | None = None, end: date | None = None) -> str:
    """CSV of a meter's readings: UTC timestamp, register, value in base units, quality, flag.
    `end` is inclusive."""
    query = Reading.select(
        Reading.ts, Reading.register, Reading.value, Reading.quality, Reading.flag
    )
    query = query.where(Reading.meter == await _meter_id(serial))
    if start:
        query = query.where(Reading.ts >= datetime(start.year, start.month, start.day, tzinfo=UTC))
    if end:
        after = date.fromordinal(end.toordinal() + 1)
        query = query.where(Reading.ts < datetime(after.year, after.month, after.day, tzinfo=UTC))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["ts", "register", "value", "quality", "flag"])
    for r in await query.order_by(Reading.ts).order_by(Reading.register):
        ts = r["ts"].astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        writer.writerow([ts, r["register"], r["value"], r["quality"], r["flag"] or ""])
    return out.getvalue()


async def export_usage(serial: str, start: date | None = None, end: date | None = None) -> str:
    """CSV of a meter's daily usage: local day, register, consumption in base units, quality."""
    query = DailyUsage.select(
        DailyUsage.day, DailyUsage.register, DailyUsage.consumption, DailyUsage.quality
    ).where(DailyUsage.meter == await _meter_id(serial))
    if start:
        query = query.where(DailyUsage.day >= start)
    if end:
        query = query.where(DailyUsage.day <= end)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["day", "register", "consumption", "quality"])
    for r in await query.order_by(DailyUsage.day).order_by(DailyUsage.register):
        writer.writerow([r["day"].isoformat(), r["register"], r["consumption"], r["quality"]])
    return out.getvalue()
