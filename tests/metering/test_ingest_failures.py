"""No reading lost and none stored twice when the worker is killed, the broker restarts, or two
workers share the stream. Each test runs its own Mosquitto with the project's config."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from metering.tables import Reading
from tests.metering.brokers import MosquittoProcess, have_mosquitto
from tests.metering.helpers import (
    add_meters,
    build_stream,
    expected_days,
    publish,
    stored_days,
    stored_readings,
)

pytestmark = [
    pytest.mark.db,
    pytest.mark.mosquitto,
    pytest.mark.skipif(not have_mosquitto(), reason="mosquitto is not installed"),
]


@pytest.fixture
def broker() -> Iterator[MosquittoProcess]:
    process = MosquittoProcess().start()
    try:
        yield process
    finally:
        process.close()


class Worker:
    """`regie ingest` as a child process, as a supervisor would run it."""

    def __init__(
        self, db: str, mqtt_url: str, client_id: str, group: str, log: Path, protocol: str = "5"
    ) -> None:
        self.env = {
            **os.environ,
            "REGIE_DATABASE_URL": db,
            "REGIE_MQTT_URL": mqtt_url,
            "REGIE_MQTT_CLIENT_ID": client_id,
            "REGIE_MQTT_SHARED_GROUP": group,
            "REGIE_MQTT_PROTOCOL": protocol,
            "REGIE_INGEST_BATCH": "500",
            "REGIE_INGEST_FLUSH_SECONDS": "0.2",
            "REGIE_INGEST_STATS_SECONDS": "1",
        }
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, until_idle: float = 4.0) -> Worker:
        out = self.log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "regie.cli", "ingest", "--until-idle", str(until_idle)],
            env=self.env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        return self

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def wait(self, timeout: float = 120) -> int:
        assert self.process is not None
        return self.process.wait(timeout=timeout)

    def stored(self) -> int:
        """`stored=` of the worker's last printed counters."""
        lines = [ln for ln in self.log.read_text().splitlines() if ln.startswith("ingest ")]
        return int(lines[-1].split("stored=")[1].split()[0]) if lines else 0


async def wait_until_subscribed(mqtt_url: str, seconds: float = 30) -> None:
    """Publish probe readings until one is stored: the worker's session then exists."""
    await add_meters([("PROBE", "water", None, 0)])
    deadline = time.monotonic() + seconds
    n = 0
    while time.monotonic() < deadline:
        n += 1
        body = f'{{"ts": "2026-01-01T00:00:{n % 60:02d}Z", "value": {n}, "unit": "L"}}'
        publish(mqtt_url, [("regie/v1/water/PROBE/reading", body.encode())])
        if await Reading.count() > 0:
            return
        await asyncio.sleep(0.2)
    raise TimeoutError("the worker did not subscribe")


async def wait_for_rows(count: int, seconds: float = 60) -> int:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        stored = await Reading.count()
        if stored >= count:
            return stored
        await asyncio.sleep(0.1)
    raise TimeoutError(f"fewer than {count} readings stored after {seconds} s")


def _stream(run: str, meters: int = 30, hours: int = 260):
    rng = random.Random(run)
    return build_stream(
        rng, run=run, meters=meters, hours=hours, start=datetime(2026, 5, 1, tzinfo=UTC)
    )


async def _check(stream) -> None:  # type: ignore[no-untyped-def]
    stored = await stored_readings()
    stored.pop(("PROBE", "total"), None)
    assert stored == stream.expected
    days = await stored_days()
    for key, points in stream.expected.items():
        assert days[key] == expected_days(points), key


async def test_sigkill_mid_stream_loses_nothing(
    db: str, broker: MosquittoProcess, tmp_path: Path
) -> None:
    stream, specs = _stream("KIL")
    await add_meters(specs)
    worker = Worker(db, broker.url, "kill-test", "kill", tmp_path / "worker.log").start(
        until_idle=30
    )
    await wait_until_subscribed(broker.url)  # its session exists from now on
    rest = stream.messages
    half = len(rest) // 2
    publish(broker.url, rest[:half])
    await wait_for_rows(3000)
    worker.kill()  # mid-stream: a batch may be written but not acknowledged, or neither
    killed_at = await Reading.count()
    publish(broker.url, rest[half:])  # queued by the broker on the worker's session
    worker.start(until_idle=3)
    assert worker.wait() == 0
    assert killed_at < sum(len(v) for v in stream.expected.values())
    await _check(stream)


async def test_broker_restart_mid_stream_loses_nothing(
    db: str, broker: MosquittoProcess, tmp_path: Path
) -> None:
    stream, specs = _stream("RST")
    await add_meters(specs)
    # Mosquitto 2.0.11 (Debian 12) restores neither MQTT 5 sessions nor shared subscriptions
    # from its persistence file: measured here, a v5 or a $share worker lost what was queued
    # for it across a restart. A plain MQTT 3.1.1 persistent session survives; the README
    # says to run a single worker that way on such a broker.
    log = tmp_path / "worker.log"
    worker = Worker(db, broker.url, "restart-test", "", log, protocol="3.1.1")
    worker.start(until_idle=8)
    await wait_until_subscribed(broker.url)
    half = len(stream.messages) // 2
    publish(broker.url, stream.messages[:half])
    broker.stop()  # queued and unacknowledged messages are kept in the persistence file
    broker.start()
    publish(broker.url, stream.messages[half:])
    assert worker.wait() == 0
    await _check(stream)


async def test_two_workers_split_one_stream(
    db: str, broker: MosquittoProcess, tmp_path: Path
) -> None:
    stream, specs = _stream("TWO")
    await add_meters(specs)
    group = f"split-{uuid.uuid4().hex[:6]}"
    one = Worker(db, broker.url, "split-1", group, tmp_path / "one.log").start(until_idle=6)
    two = Worker(db, broker.url, "split-2", group, tmp_path / "two.log").start(until_idle=6)
    await wait_until_subscribed(broker.url)
    await asyncio.sleep(1.0)  # the second one too
    publish(broker.url, stream.messages)
    assert one.wait() == 0
    assert two.wait() == 0
    assert one.stored() > 0
    assert two.stored() > 0
    probes = await Reading.count().where(Reading.meter.serial == "PROBE")
    total = sum(len(v) for v in stream.expected.values())
    assert one.stored() + two.stored() == total + probes
    await _check(stream)
