"""Simulated meters: realistic water and electricity profiles as MQTT messages in any of the
three payload formats. Pure: the caller chooses the clock and the publisher."""

from __future__ import annotations

import json
import math
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

# Share of a household's daily water drawn in each hour (morning and evening peaks, nothing
# between midnight and 05:00). Sums to 1.
WATER_HOURS = [0, 0, 0, 0, 0, 0.01, 0.05, 0.12, 0.10, 0.05, 0.04, 0.05,
               0.07, 0.05, 0.03, 0.03, 0.04, 0.05, 0.07, 0.10, 0.08, 0.04, 0.02, 0.0]  # fmt: skip
# Electric power relative to the day's mean, per hour (base load at night, two peaks).
POWER_HOURS = [0.5, 0.45, 0.45, 0.45, 0.45, 0.5, 0.9, 1.4, 1.2, 0.9, 0.8, 0.9,
               1.1, 0.9, 0.8, 0.8, 0.9, 1.2, 1.8, 2.0, 1.7, 1.3, 0.9, 0.6]  # fmt: skip
OFF_PEAK = set(range(22, 24)) | set(range(6))  # HC hours of a typical French contract
PARIS = ZoneInfo("Europe/Paris")  # Linky meters keep French legal time
FORMAT_SERVICE = {"teleinfo": "electricity", "chirpstack": "water"}  # the meters each speaks


@dataclass(slots=True)
class SimMeter:
    """One simulated meter and its running indexes (litres or Wh per register)."""

    serial: str
    service: str  # water | electricity
    persons: int = 2
    leak_l_per_h: float = 0.0  # a leaking home draws this all night long
    dev_eui: str | None = None
    index: dict[str, float] = field(default_factory=dict)

    def registers(self) -> list[str]:
        return ["total"] if self.service == "water" else ["hchc", "hchp"]


def make_meters(
    count: int, *, prefix: str = "SIM", leak_share: float = 0.05, seed: int = 7
) -> list[SimMeter]:
    """Half water, half electricity; a share of the water meters leaks."""
    rng = random.Random(seed)
    meters = []
    for i in range(count):
        service = "water" if i % 2 == 0 else "electricity"
        leak = rng.uniform(3, 20) if service == "water" and rng.random() < leak_share else 0.0
        meters.append(
            SimMeter(
                serial=f"{prefix}{i:06d}",
                service=service,
                persons=rng.randint(1, 5),
                leak_l_per_h=leak,
                dev_eui=f"70b3d5{i:010x}",
                index={r: rng.uniform(0, 50_000) for r in ("total", "hchc", "hchp")},
            )
        )
    return meters


def step_meter(meter: SimMeter, ts: int, seconds: int, rng: random.Random) -> None:
    """Advance the meter's indexes over the `seconds` before `ts`."""
    hour = datetime.fromtimestamp(ts, UTC).hour
    if meter.service == "water":
        daily = 140 * meter.persons  # litres per day (French mean ~ 148 L per person)
        flow = daily * WATER_HOURS[hour] * seconds / 3600 * rng.uniform(0.5, 1.5)
        meter.index["total"] += flow + meter.leak_l_per_h * seconds / 3600
    else:
        mean_w = 250 + 150 * meter.persons
        energy = mean_w * POWER_HOURS[hour] * seconds / 3600 * rng.uniform(0.7, 1.3)
        meter.index["hchc" if hour in OFF_PEAK else "hchp"] += energy


def message(
    meter: SimMeter, fmt: str, points: list[tuple[int, dict[str, float]]]
) -> tuple[str, bytes]:
    """One MQTT message for `points` (instant, indexes) of one meter, in format `fmt`."""
    if fmt == "native":
        items = [
            {"ts": _iso(ts), "value": round(index[r], 3 if meter.service == "water" else 0),
             "unit": "L" if meter.service == "water" else "Wh", "register": r}
            for ts, index in points
            for r in meter.registers()
        ]  # fmt: skip
        body: object = items[0] if len(items) == 1 else items
        return f"regie/v1/{meter.service}/{meter.serial}/reading", json.dumps(body).encode()
    if fmt == "teleinfo":
        # Standard-mode frame as teleinfo2mqtt publishes it: EASF01 is the off-peak index,
        # EASF02 the peak one, DATE the meter's French wall-clock time with its season.
        ts, index = points[-1]
        local = datetime.fromtimestamp(ts, PARIS)
        season = "summer" if local.dst() else "winter"
        wall = local.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"
        hchc, hchp = int(index["hchc"]), int(index["hchp"])
        body = {
            "ADSC": {"raw": meter.serial, "value": meter.serial},
            "DATE": {"raw": "", "value": "", "timestamp": {"dst": season, "date": wall}},
            "EAST": {"raw": f"{hchc + hchp:09d}", "value": hchc + hchp},
            "EASF01": {"raw": f"{hchc:09d}", "value": hchc},
            "EASF02": {"raw": f"{hchp:09d}", "value": hchp},
            "SINSTS": {"raw": "00850", "value": 850},
        }
        return f"teleinfo/{meter.serial}", json.dumps(body).encode()
    if fmt == "chirpstack":
        ts, index = points[-1]
        body = {
            "deduplicationId": str(uuid.uuid5(uuid.NAMESPACE_OID, f"{meter.serial}{ts}")),
            "time": _iso(ts),
            "deviceInfo": {"devEui": meter.dev_eui, "deviceName": meter.serial},
            "fCnt": ts // 900 % 65536,
            "object": {"index": round(index["total"]), "unit": "L"},
        }
        return f"application/regie/device/{meter.dev_eui}/event/up", json.dumps(body).encode()
    raise ValueError(f"unknown format {fmt!r}: native, teleinfo or chirpstack")


def stream(
    meters: list[SimMeter],
    *,
    start: int,
    interval: int = 900,
    batch: int = 1,
    fmt: str = "native",
    seed: int = 11,
) -> Iterator[tuple[str, bytes]]:
    """Messages for every meter, `batch` readings each, from `start`, forever (take what you
    need). Teleinfo (electricity) and ChirpStack (water) carry one reading per message and
    skip the meters of the other service."""
    rng = random.Random(seed)
    ts = start
    while True:
        pending: dict[str, list[tuple[int, dict[str, float]]]] = {m.serial: [] for m in meters}
        for _ in range(batch):
            ts += interval
            for meter in meters:
                step_meter(meter, ts, interval, rng)
                pending[meter.serial].append((ts, dict(meter.index)))
        for meter in meters:
            if fmt == "native":
                yield message(meter, fmt, pending[meter.serial])
            elif meter.service == FORMAT_SERVICE[fmt]:
                for point in pending[meter.serial]:
                    yield message(meter, fmt, [point])


def _iso(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")


def start_aligned(now: float, interval: int) -> int:
    return int(math.floor(now / interval) * interval)
