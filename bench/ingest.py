"""Ingest benchmark: how fast `IngestWorker` drains a backlog into each database.

Run: `.venv/bin/python bench/ingest.py [--messages N] [--meters M] [--batched-readings R]`.

Everything runs against a Mosquitto of the bench's own (the project's config plus a loopback
listener, no persistence, `max_queued_messages 0`) and drain rates are measured, so that no
publisher limits either side: a backlog is published at QoS 1 (FastPublisher, every PUBACK
awaited) while the consumer is offline on its persistent session, then the consumer connects
and the clock runs until it has everything.

1. Ceiling: a bare paho subscriber (MQTT 5, fixed client id, clean_start=False, session expiry,
   QoS 1 on `$share/<group>/regie/v1/+/+/reading`, auto-ack, same receive maximum as the
   worker) drains N single-reading native messages doing nothing with them.
2. For PostgreSQL (a fresh `regie_bench_*` database, dropped at the end) and SQLite (a temp
   file): the worker drains an identical backlog of N messages (`msgs_per_s`, `readings_per_s`,
   `ratio_to_ceiling`), then, into a fresh database, native messages of 96 readings each, at
   least R readings (`batched_readings_per_s`). Each database holds M simulated meters.
   Time runs from `worker.run()` until the worker's stored counter reaches the expected count
   (so the `until_idle` wait is not counted); then the readings in the database are counted
   and must equal it exactly, with no duplicate and no rejection.
3. Memory: the worker runs in a fresh child process per measurement (which also sets
   REGIE_DATABASE_URL before anything of the project is imported); `rss_mb` is the peak
   (ru_maxrss) of those processes, and the growth of VmRSS between 10% and 100% of the
   batched run is printed on a `memory` line (target: under 50 MB).

The simulator's electricity meters put both registers (hchc, hchp) in each message; the
backlog re-chunks every simulator message into messages of exactly 1 (or 96) readings.
The last lines are `ingest ceiling msgs_per_s=…` and one `ingest db=… msgs_per_s=…
readings_per_s=… ratio_to_ceiling=… batched_readings_per_s=… rss_mb=…` per database.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import paho.mqtt.client as mqtt  # noqa: E402
from paho.mqtt.enums import CallbackAPIVersion  # noqa: E402
from paho.mqtt.packettypes import PacketTypes  # noqa: E402
from paho.mqtt.properties import Properties  # noqa: E402

from bench.common import create_database, drop_database, say  # noqa: E402
from metering.mqtt import BrokerAddress  # noqa: E402
from metering.publisher import FastPublisher  # noqa: E402
from metering.simulator import SimMeter, make_meters, start_aligned, stream  # noqa: E402
from metering.topics import NATIVE_FILTER  # noqa: E402
from regie.broker import free_port  # noqa: E402

INTERVAL = 900  # seconds between two simulated readings
BATCH = 96  # readings per message in the batched runs
UNTIL_IDLE = 3.0
SESSION_EXPIRY = 3600


# --- the backlog ------------------------------------------------------------------------------
def backlog_start(readings: int, meters: int, per_message: int) -> int:
    """A start early enough that every reading of the backlog lies in the past."""
    steps = math.ceil(readings / (1.5 * meters))  # a water reading, two electricity ones
    rounds = math.ceil(steps / per_message) + 1
    return start_aligned(time.time(), INTERVAL) - rounds * per_message * INTERVAL


def backlog(
    meters: list[SimMeter], start: int, per_message: int
) -> Iterator[tuple[str, bytes, int]]:
    """(topic, payload, readings): the simulator's native messages cut into messages of
    `per_message` readings each."""
    for topic, payload in stream(meters, start=start, interval=INTERVAL, batch=per_message):
        items = json.loads(payload)
        items = items if isinstance(items, list) else [items]
        for i in range(0, len(items), per_message):
            chunk = items[i : i + per_message]
            body = chunk[0] if len(chunk) == 1 else chunk
            yield topic, json.dumps(body).encode(), len(chunk)


def publish(url: str, messages: Iterator[tuple[str, bytes, int]]) -> tuple[int, int]:
    """Publish at QoS 1 and wait for every PUBACK; (messages, readings)."""
    started = time.perf_counter()
    publisher = FastPublisher(BrokerAddress.parse(url), f"bench-pub-{uuid.uuid4().hex[:8]}")
    count = readings = 0
    for topic, payload, n in messages:
        publisher.publish(topic, payload)
        count += 1
        readings += n
    publisher.close()
    seconds = time.perf_counter() - started
    say(f"published {count} messages ({readings} readings) in {seconds:.1f} s")
    return count, readings


def take_readings(messages: Iterator[tuple[str, bytes, int]], readings: int) -> Iterator[Any]:
    total = 0
    for item in messages:
        if total >= readings:
            return
        total += item[2]
        yield item


# --- the broker and MQTT sessions --------------------------------------------------------------
class Mosquitto:
    """The project's Mosquitto config on a free loopback port, in a temp dir."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        conf = (ROOT / "regie" / "deploy" / "mosquitto.conf").read_text().splitlines()
        kept = [line for line in conf if not line.startswith(("persistence", "autosave"))]
        extra = [
            f"listener {self.port} 127.0.0.1",
            "persistence false",
            "max_queued_messages 0",
            "log_dest stderr",  # errors and warnings only: no line per connection
            "log_type error",
            "log_type warning",
        ]
        self.conf = folder / "mosquitto.conf"
        self.conf.write_text("\n".join(kept + extra) + "\n")
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> None:
        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        self.process = subprocess.Popen([binary, "-c", str(self.conf)])
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                FastPublisher(BrokerAddress.parse(self.url), "bench-probe").close()
                say(f"mosquitto pid {self.process.pid} on port {self.port}")
                return
            except OSError:
                time.sleep(0.05)
        raise TimeoutError(f"mosquitto did not listen on {self.port}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


def receive_maximum() -> int:
    from metering.ingest import receive_maximum  # the worker's own
    from regie.settings import IngestSettings

    return receive_maximum(IngestSettings().batch_size)


def connect(
    url: str, client_id: str, *, clean: bool, expiry: int, on_message: Any = None
) -> mqtt.Client:
    """A connected MQTT 5 paho client (network loop running)."""
    address = BrokerAddress.parse(url)
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
    client.on_message = on_message
    connected = threading.Event()
    client.on_connect = lambda *args: connected.set()
    props = Properties(PacketTypes.CONNECT)
    props.SessionExpiryInterval = expiry
    props.ReceiveMaximum = receive_maximum()
    client.connect(address.host, address.port, clean_start=clean, properties=props)
    client.loop_start()
    if not connected.wait(10):
        raise TimeoutError(f"{client_id} got no CONNACK")
    return client


def close(client: mqtt.Client) -> None:
    """Disconnect and wait until the DISCONNECT is out (loop_stop alone may drop it, and the
    broker would then see the session as still connected)."""
    gone = threading.Event()
    client.on_disconnect = lambda *args: gone.set()
    client.disconnect()
    if not gone.wait(10):
        raise TimeoutError("no clean disconnection from the broker")
    client.loop_stop()


def forget_session(url: str, client_id: str) -> None:
    """End a persistent session, so that later backlogs are not queued for it too."""
    close(connect(url, client_id, clean=True, expiry=0))


def measure_ceiling(url: str, meters: int, messages: int, start: int) -> float:
    client_id = group = f"bench-ceiling-{uuid.uuid4().hex[:8]}"
    client = connect(url, client_id, clean=True, expiry=SESSION_EXPIRY)
    subscribed = threading.Event()
    client.on_subscribe = lambda *args: subscribed.set()
    client.subscribe(f"$share/{group}/{NATIVE_FILTER}", qos=1)
    if not subscribed.wait(10):
        raise TimeoutError("no SUBACK for the ceiling subscriber")
    close(client)
    sent, _ = publish(url, islice(backlog(make_meters(meters), start, 1), messages))
    received = 0
    done = threading.Event()

    def on_message(client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        nonlocal received
        received += 1
        if received == sent:
            done.set()

    started, cpu_started = time.perf_counter(), time.process_time()
    client = connect(url, client_id, clean=False, expiry=SESSION_EXPIRY, on_message=on_message)
    finished = done.wait(60 + sent / 1000)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    close(client)
    forget_session(url, client_id)
    if not finished:
        raise RuntimeError(f"ceiling subscriber got {received} of {sent} messages")
    say(f"ceiling: {sent} messages drained in {seconds:.2f} s (CPU {cpu:.2f} s)")
    return sent / seconds


# --- one measurement: prepare (child), publish (here), drain (child) ----------------------------
def child(
    mode: str,
    db_url: str,
    mqtt_url: str,
    client_id: str,
    meters: int,
    expected: int,
    profile: Path | None = None,
) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json") as result:
        env = {**os.environ, "REGIE_DATABASE_URL": db_url, "PICCOLO_CONF": "regie.piccolo_conf"}
        command = [sys.executable, __file__, "--_child", mode, "--_db", db_url]
        command += ["--_mqtt", mqtt_url, "--_client", client_id, "--meters", str(meters)]
        command += ["--_expected", str(expected), "--_result", result.name]
        if profile:  # collapsed stacks per thread, for flamegraph.pl or speedscope
            spy = [str(Path(sys.executable).parent / "py-spy"), "record", "--nonblocking", "--idle"]
            command = [*spy, "--threads", "--format", "raw", "-o", str(profile), "--", *command]
        subprocess.run(command, env=env, check=True, cwd=ROOT)
        return json.loads(Path(result.name).read_text())


def measure(
    db_url: str, mqtt_url: str, meters: int, messages: Iterator[Any], profile: Path | None
) -> dict:
    client_id = f"bench-ingest-{uuid.uuid4().hex[:8]}"
    child("prepare", db_url, mqtt_url, client_id, meters, 0)
    _, readings = publish(mqtt_url, messages)
    try:
        return child("run", db_url, mqtt_url, client_id, meters, readings, profile)
    finally:
        forget_session(mqtt_url, client_id)


def vm_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def child_main(args: argparse.Namespace) -> dict:
    """In a fresh process whose REGIE_DATABASE_URL is the database under test."""
    from metering.ingest import IngestWorker
    from metering.tables import Meter, Reading, RejectedReading
    from regie.core.database import migrate
    from regie.settings import DatabaseSettings, IngestSettings, MqttSettings, Settings

    settings = Settings(
        database=DatabaseSettings(url=args._db),
        mqtt=MqttSettings(
            url=args._mqtt,
            client_id=args._client,
            shared_group=args._client,
            session_expiry=SESSION_EXPIRY,
        ),
        ingest=IngestSettings(stats_seconds=5.0),
    )

    def echo(line: str) -> None:
        say(f"  {line}")

    if args._child == "prepare":
        await migrate()
        sims = make_meters(args.meters)
        for i in range(0, len(sims), 500):
            await Meter.insert(
                *[
                    Meter(
                        serial=sim.serial,
                        service=sim.service,
                        registers="[]",
                        unit="L" if sim.service == "water" else "Wh",
                        dev_eui=sim.dev_eui,
                    )
                    for sim in sims[i : i + 500]
                ]
            )
        # The worker once, briefly: its persistent session and subscriptions now exist.
        worker = IngestWorker(settings, until_idle=None, echo=lambda line: None)
        task = asyncio.create_task(worker.run())
        for _ in range(200):
            if worker.connected or task.done():
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)  # the SUBACKs
        worker.stop()
        if await task != 0:
            raise SystemExit("the worker failed while creating its session")
        return {}

    expected = args._expected
    worker = IngestWorker(settings, until_idle=UNTIL_IDLE, echo=echo)
    started, cpu_started = time.perf_counter(), time.process_time()
    task = asyncio.create_task(worker.run())
    counters = worker.pipeline.counters
    rss_at_10 = None
    while counters.stored < expected and not task.done():
        if rss_at_10 is None and counters.stored >= expected / 10:
            rss_at_10 = vm_rss_mb()
        await asyncio.sleep(0.01)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    rss_end = vm_rss_mb()
    code = await task
    stored = await Reading.count()
    rejected = await RejectedReading.count()
    if code != 0 or stored != expected or counters.duplicates or rejected:
        raise SystemExit(
            f"ingest check FAILED: exit {code}, {stored} readings in the database for"
            f" {expected} expected, {counters.duplicates} duplicates, {rejected} rejected"
        )
    say(f"  checked: {stored} readings in the database, as expected")
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,  # the worker's process, both threads
        "messages": counters.messages,
        "readings": stored,
        "batches": counters.batches,
        "rss_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "rss_at_10_mb": rss_at_10 if rss_at_10 is not None else rss_end,
        "rss_end_mb": rss_end,
    }


# --- databases ---------------------------------------------------------------------------------
class Databases:
    """Fresh databases, one per measurement, removed at the end."""

    def __init__(self, admin_url: str, folder: Path) -> None:
        self.admin_url = admin_url
        self.folder = folder
        self.created: list[str] = []

    def new(self, engine: str, kind: str) -> str:
        if engine == "sqlite":
            return f"sqlite:///{self.folder / f'{kind}.db'}"
        name, url = create_database(self.admin_url, kind)
        self.created.append(name)
        return url

    def drop(self) -> None:
        for name in self.created:
            drop_database(self.admin_url, name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200_000, help="single-reading messages")
    parser.add_argument("--meters", type=int, default=2000)
    parser.add_argument("--batched-readings", type=int, default=1_000_000)
    parser.add_argument(
        "--postgres",
        default="postgresql://postgres@127.0.0.1:5432/test",
        help="a database to connect to for CREATE/DROP DATABASE",
    )
    parser.add_argument("--databases", default="postgresql,sqlite")
    parser.add_argument(
        "--py-spy",
        type=Path,
        metavar="DIR",
        help="profile each drain with py-spy (slower) into DIR/<db>-<kind>.txt",
    )
    for hidden in ("--_child", "--_db", "--_mqtt", "--_client", "--_result"):
        parser.add_argument(hidden, help=argparse.SUPPRESS)
    parser.add_argument("--_expected", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.meters < 2 or args.messages < 1 or args.batched_readings < 1:
        parser.error("at least 2 meters, 1 message and 1 batched reading")

    if args._child:
        result = asyncio.run(child_main(args))
        Path(args._result).write_text(json.dumps(result))
        return

    began = time.perf_counter()
    engines = args.databases.split(",")
    single_start = backlog_start(args.messages, args.meters, 1)
    batched_start = backlog_start(args.batched_readings, args.meters, BATCH)
    results: dict[str, dict[str, dict]] = {}
    with tempfile.TemporaryDirectory(prefix="regie-bench-") as tmp:
        broker = Mosquitto(Path(tmp))
        databases = Databases(args.postgres, Path(tmp))
        try:
            broker.start()
            ceiling = measure_ceiling(broker.url, args.meters, args.messages, single_start)
            for engine in engines:
                runs = {
                    "single": islice(
                        backlog(make_meters(args.meters), single_start, 1), args.messages
                    ),
                    "batched": take_readings(
                        backlog(make_meters(args.meters), batched_start, BATCH),
                        args.batched_readings,
                    ),
                }
                for kind, messages in runs.items():
                    say(f"{engine} {kind}: preparing")
                    url = databases.new(engine, kind)
                    spy = args.py_spy / f"{engine}-{kind}.txt" if args.py_spy else None
                    result = measure(url, broker.url, args.meters, messages, spy)
                    results.setdefault(engine, {})[kind] = result
                    say(
                        f"{engine} {kind}: {result['messages']} messages,"
                        f" {result['readings']} readings in {result['seconds']:.2f} s"
                        f" (CPU {result['cpu_seconds']:.2f} s, {result['batches']} batches),"
                        f" peak RSS {result['rss_peak_mb']:.0f} MB"
                    )
        finally:
            broker.stop()
            databases.drop()

    say(f"total {time.perf_counter() - began:.0f} s")
    for engine in engines:
        batched = results[engine]["batched"]
        growth = batched["rss_end_mb"] - batched["rss_at_10_mb"]
        print(
            f"memory db={engine} rss_mb_at_10pct={batched['rss_at_10_mb']:.1f}"
            f" rss_mb_end={batched['rss_end_mb']:.1f} growth_mb={growth:.1f}"
            f" over_readings={batched['readings']}"
        )
    print(f"ingest ceiling msgs_per_s={ceiling:.0f}")
    for engine in engines:
        single, batched = results[engine]["single"], results[engine]["batched"]
        msgs_per_s = single["messages"] / single["seconds"]
        print(
            f"ingest db={engine} msgs_per_s={msgs_per_s:.0f}"
            f" readings_per_s={single['readings'] / single['seconds']:.0f}"
            f" ratio_to_ceiling={msgs_per_s / ceiling:.2f}"
            f" batched_readings_per_s={batched['readings'] / batched['seconds']:.0f}"
            f" rss_mb={max(single['rss_peak_mb'], batched['rss_peak_mb']):.1f}"
        )


if __name__ == "__main__":
    main()
