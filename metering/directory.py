"""The meters ingest knows: serial and devEui to meter, with what validation needs of each."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from metering.tables import Meter
from metering.validation import DEFAULT_MAX_RATE_PER_HOUR, StepRules


@dataclass(frozen=True, slots=True)
class MeterInfo:
    id: int
    serial: str
    service: str
    unit: str
    registers: frozenset[str]  # empty: any register
    rules: StepRules


class MeterDirectory:
    """Meters by serial and by devEui, reloaded when an unknown key shows up (at most every
    `refresh_s` seconds, so that a flood of unknown meters does not hammer the database)."""

    def __init__(self, refresh_s: float = 5.0) -> None:
        self.by_serial: dict[str, MeterInfo] = {}
        self.by_dev_eui: dict[str, MeterInfo] = {}
        self.by_id: dict[int, MeterInfo] = {}
        self.refresh_s = refresh_s
        self._loaded_at = float("-inf")

    async def load(self) -> None:
        rows = await Meter.select(
            Meter.id,
            Meter.serial,
            Meter.service,
            Meter.unit,
            Meter.registers,
            Meter.digits,
            Meter.max_rate,
            Meter.dev_eui,
        )
        by_serial: dict[str, MeterInfo] = {}
        by_eui: dict[str, MeterInfo] = {}
        for row in rows:
            registers = row["registers"]
            if isinstance(registers, str):
                registers = json.loads(registers or "[]")
            max_rate = row["max_rate"] or DEFAULT_MAX_RATE_PER_HOUR.get(row["service"], 0)
            info = MeterInfo(
                id=row["id"],
                serial=row["serial"],
                service=row["service"],
                unit=row["unit"],
                registers=frozenset(registers or ()),
                rules=StepRules(digits=row["digits"] or 0, max_per_hour=max_rate),
            )
            by_serial[info.serial] = info
            if row["dev_eui"]:
                by_eui[row["dev_eui"].lower()] = info
        self.by_serial, self.by_dev_eui = by_serial, by_eui
        self.by_id = {info.id: info for info in by_serial.values()}
        self._loaded_at = time.monotonic()

    def find(self, key: str, kind: str) -> MeterInfo | None:
        if kind == "dev_eui":
            return self.by_dev_eui.get(key.lower())
        return self.by_serial.get(key)

    def may_refresh(self) -> bool:
        return time.monotonic() - self._loaded_at >= self.refresh_s
