"""Shared by the ingest tests: meters in the database, message streams with what they should
store, a worker running in the test's event loop, and daily usage computed independently."""

from __future__ import annotations

import asyncio
import json
import random
import time
import uuid
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from metering.ingest import IngestWorker
from metering.mqtt import BrokerAddress
from metering.publisher import FastPublisher
from metering.tables import DailyUsage, Meter, Reading
from regie.settings import DatabaseSettings, IngestSettings, MqttSettings, Settings

PARIS = ZoneInfo("Europe/Paris")
Key = tuple[str, str]  # serial, register


def settings_for(database_url: str, mqtt_url: str, client_id: str, **ingest: object) -> Settings:
    return Settings(
        timezone="Europe/Paris",
        database=DatabaseSettings(url=database_url),
        # A group of its own and a short session: a test's leftover session on the shared
        # broker must not take a share of the next test's messages.
        mqtt=MqttSettings(
            url=mqtt_url, client_id=client_id, shared_group=client_id, session_expiry=60
        ),
        ingest=IngestSettings(**{"batch_size": 2000, "flush_seconds": 0.3, **ingest}),  # type: ignore[arg-type]
    )


async def add_meters(specs: list[tuple[str, str, str | None, int]]) -> None:
    """(serial, service, dev_eui, digits) each; registers left open."""
    await Meter.insert(
        *[
            Meter(serial=s, service=svc, dev_eui=eui, digits=digits, registers="[]")
            for s, svc, eui, digits in specs
        ]
    )


@dataclass
class Stream:
    """Messages to publish and what a correct ingest stores from them."""

    messages: list[tuple[str, bytes]] = field(default_factory=list)
    expected: dict[Key, dict[int, int]] = field(default_factory=lambda: defaultdict(dict))
    malformed: int = 0


def iso(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat()


def build_stream(
    rng: random.Random, *, run: str, meters: int, hours: int, start: datetime
) -> tuple[Stream, list[tuple[str, str, str | None, int]]]:
    """Native water, teleinfo electricity and ChirpStack water meters, hourly indexes with a
    30-hour gap on every meter, some native messages carrying a day of readings at once."""
    stream, specs = Stream(), []
    t0 = int(start.timestamp())
    hours_sent = [h for h in range(hours) if not 40 <= h < 70]  # the gap
    for i in range(meters):
        kind = ("native", "teleinfo", "chirpstack")[i % 3]
        serial = f"{run}{kind[0].upper()}{i:04d}"
        eui = f"{abs(hash(serial)) % (1 << 64):016x}" if kind == "chirpstack" else None
        service = "electricity" if kind == "teleinfo" else "water"
        specs.append((serial, service, eui, 0))
        index = {"total": rng.randint(0, 10**6), "easf01": rng.randint(0, 10**7),
                 "easf02": rng.randint(0, 10**7)}  # fmt: skip
        batch: list[dict[str, object]] = []
        for h in hours_sent:
            ts = t0 + h * 3600
            for reg in index:
                index[reg] += rng.randint(0, 40 if service == "water" else 900)
            if kind == "native":
                # cubic metres with three decimals: exactly the litres
                batch.append({"ts": iso(ts), "value": index["total"] / 1000, "unit": "m^3"})
                stream.expected[(serial, "total")][ts] = index["total"]
                if len(batch) == 24 or rng.random() < 0.6:
                    body: object = batch if len(batch) > 1 else batch[0]
                    stream.messages.append(
                        (f"regie/v1/water/{serial}/reading", json.dumps(body).encode())
                    )
                    batch = []
            elif kind == "teleinfo":
                local = datetime.fromtimestamp(ts, PARIS)
                season = "summer" if local.dst() else "winter"
                wall = local.replace(tzinfo=None).isoformat() + ".000Z"
                doc = {
                    "ADSC": {"raw": serial, "value": serial},
                    "DATE": {"raw": "", "value": "", "timestamp": {"dst": season, "date": wall}},
                    "EASF01": {"raw": str(index["easf01"]), "value": index["easf01"]},
                    "EASF02": {"raw": str(index["easf02"]), "value": index["easf02"]},
                    "SINSTS": {"raw": "00850", "value": 850},
                }
                stream.expected[(serial, "easf01")][ts] = index["easf01"]
                stream.expected[(serial, "easf02")][ts] = index["easf02"]
                stream.messages.append((f"teleinfo/{serial}", json.dumps(doc).encode()))
            else:
                doc = {
                    "deduplicationId": str(uuid.UUID(int=rng.getrandbits(128))),
                    "time": iso(ts),
                    "deviceInfo": {"devEui": eui, "deviceName": serial},
                    "fCnt": h,
                    "object": {"index": index["total"], "unit": "L"},
                }
                stream.expected[(serial, "total")][ts] = index["total"]
                stream.messages.append(
                    (f"application/1/device/{eui}/event/up", json.dumps(doc).encode())
                )
        if batch:
            body = batch if len(batch) > 1 else batch[0]
            stream.messages.append((f"regie/v1/water/{serial}/reading", json.dumps(body).encode()))
    return stream, specs


MALFORMED = [
    ("regie/v1/water/{s}/reading", b'{"ts": "2026-03-01T00:00:00Z", "value": NaN}'),
    ("regie/v1/water/{s}/reading", b"not json at all"),
    ("regie/v1/water/NOSUCHMETER/reading", b'{"ts": "2026-03-01T00:00:00Z", "value": 1}'),
    ("regie/v1/water/{s}/reading", b'{"ts": "2026-03-01T00:00:00Z", "value": 5, "unit": "kg"}'),
    ("application/1/device/00000000deadbeef/event/up", b'{"time": "2026-03-01T00:00:00Z"}'),
    ("regie/v1/water/{s}/reading", b"\xff\xfe\x00garbage"),
]


def spoil(
    stream: Stream, rng: random.Random, serial: str, share_dup: float, share_bad: float
) -> None:
    """Add exact duplicates and malformed messages, then shuffle everything."""
    originals = list(stream.messages)
    stream.messages += rng.sample(originals, int(len(originals) * share_dup))
    bad = int(len(originals) * share_bad) or 1
    for i in range(bad):
        topic, payload = MALFORMED[i % len(MALFORMED)]
        stream.messages.append((topic.format(s=serial), payload))
    stream.malformed += bad
    rng.shuffle(stream.messages)


def publish(
    mqtt_url: str,
    messages: list[tuple[str, bytes]],
    received: Callable[[], int] | None = None,
    ahead: int = 500,
) -> None:
    """Publish at QoS 1. With `received`, stay at most `ahead` messages in front of the
    consumer: a stock Mosquitto (max_queued_messages 1000) drops what overflows its queue."""
    publisher = FastPublisher(BrokerAddress.parse(mqtt_url), f"test-pub-{uuid.uuid4().hex[:8]}")
    start = received() if received else 0
    deadline = time.monotonic() + 300
    for sent, (topic, payload) in enumerate(messages):
        while received and sent - (received() - start) >= ahead:
            publisher._send()
            if time.monotonic() > deadline:
                raise TimeoutError("the consumer stopped receiving")
            time.sleep(0.002)
        publisher.publish(topic, payload)
    # amqtt cancels the delivery of a publisher's messages still in its queue when that
    # publisher disconnects: stay connected until the consumer has them all.
    while received and received() - start < len(messages):
        publisher._send()
        if time.monotonic() > deadline:
            raise TimeoutError("the consumer stopped receiving")
        time.sleep(0.01)
    publisher.close()


async def start_worker(
    settings: Settings, until_idle: float | None = None
) -> tuple[IngestWorker, asyncio.Task[int]]:
    worker = IngestWorker(settings, until_idle=until_idle, echo=lambda line: None)
    task = asyncio.create_task(worker.run())
    for _ in range(200):
        if worker.connected:
            await asyncio.sleep(0.3)  # let the subscription settle
            return worker, task
        await asyncio.sleep(0.05)
    raise TimeoutError("the ingest worker did not connect")


async def stored_readings() -> dict[Key, dict[int, int]]:
    serials = {r["id"]: r["serial"] for r in await Meter.select(Meter.id, Meter.serial)}
    out: dict[Key, dict[int, int]] = defaultdict(dict)
    for r in await Reading.select(Reading.meter, Reading.register, Reading.ts, Reading.value):
        out[(serials[r["meter"]], r["register"])][int(r["ts"].timestamp())] = r["value"]
    return out


async def stored_days() -> dict[Key, dict[date, int]]:
    serials = {r["id"]: r["serial"] for r in await Meter.select(Meter.id, Meter.serial)}
    out: dict[Key, dict[date, int]] = defaultdict(dict)
    for r in await DailyUsage.select():
        out[(serials[r["meter"]], r["register"])][r["day"]] = r["consumption"]
    return out


def expected_days(points: dict[int, int], zone: ZoneInfo = PARIS) -> dict[date, int]:
    """Daily use computed without metering.usage: the index at each local midnight is read on
    the straight line between the readings around it, and rounded."""
    times = sorted(points)
    first, last = times[0], times[-1]

    def index_at(t: float) -> float:
        if t <= first:
            return points[first]
        if t >= last:
            return points[last]
        i = bisect_left(times, t)
        t1, t0 = times[i], times[i - 1]
        if t1 == t:
            return points[t1]
        return points[t0] + (points[t1] - points[t0]) * (t - t0) / (t1 - t0)

    out = {}
    day = datetime.fromtimestamp(first, zone).date()
    while True:
        start = datetime(day.year, day.month, day.day, tzinfo=zone).timestamp()
        nxt = day + timedelta(days=1)
        end = datetime(nxt.year, nxt.month, nxt.day, tzinfo=zone).timestamp()
        if start > last:
            break
        lo = points[first] if start <= first else round(index_at(start))
        hi = points[last] if end > last else round(index_at(end))
        out[day] = hi - lo
        day = nxt
    return out


async def drain(worker: IngestWorker, task: asyncio.Task[int], messages: int) -> int:
    """Wait until the worker has received `messages`, then stop it: it stores and acknowledges
    what it holds and exits. Returns its exit code."""
    deadline = time.monotonic() + 120
    while worker.pipeline.counters.messages < messages:
        if task.done() or time.monotonic() > deadline:
            raise AssertionError(
                f"worker received {worker.pipeline.counters.messages} of {messages} messages"
                f" (connections: {worker.generation})"
            )
        await asyncio.sleep(0.05)
    worker.stop()
    return await asyncio.wait_for(task, timeout=60)
