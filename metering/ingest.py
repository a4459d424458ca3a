"""The ingest worker: MQTT messages in, readings and daily usage stored exactly once.

paho's network thread only appends each message to an inbox (a failure there would end the
thread and leave a live process that ingests nothing). The event loop drains the inbox in
batches, stores each batch in one transaction and only then acknowledges its messages
(manual acks), so that a crash at any point loses nothing: unacknowledged messages are sent
again on the persistent session and the unique keys turn them into counted duplicates.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
import struct
import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from metering.adapters import AdapterOptions
from metering.directory import MeterDirectory
from metering.ingest_batch import Batch, Pipeline
from metering.mqtt import BrokerAddress, BufferedClient, broker_protocol, new_client
from metering.store import PostgresStore, SQLiteStore
from metering.tables import IngestStatus
from metering.topics import subscription_topics
from metering.usage import DayCalendar
from regie.settings import Settings

log = logging.getLogger("regie.ingest")

# Messages (or readings) accepted between two turns of the event loop while a batch is
# written: each of the write's statements waits for a turn to go out.
_SLICE = 256
_SLICE_POINTS = 500
_PUBACK = struct.Struct("!BBH")

Inbound = tuple[str, bytes, int, int, float, int]
"""topic, payload, mid, qos, received_at, connection generation."""


class IngestWorker:
    """One ingest worker; several may share a subscription group and split the load."""

    def __init__(
        self,
        settings: Settings,
        *,
        until_idle: float | None = None,
        echo: Callable[[str], None] = print,
    ) -> None:
        self.settings = settings
        self.until_idle = until_idle
        self.echo = echo
        self.inbox: deque[Inbound] = deque()
        self.generation = 0
        self.connected = False
        self.stopping = False
        self.directory = MeterDirectory()
        self.pipeline = Pipeline(
            self.directory,
            DayCalendar(settings.timezone),
            options=AdapterOptions(
                chirpstack_index_key=settings.ingest.chirpstack_index_key,
                chirpstack_unit_key=settings.ingest.chirpstack_unit_key,
                max_payload_bytes=settings.ingest.max_payload_bytes,
            ),
            future_tolerance_s=settings.ingest.future_tolerance_s,
        )
        self.client: mqtt.Client | None = None
        self.protocol = mqtt.MQTTv5
        self.shared = True  # subscribe through $share/<group>/ (Mosquitto: v5 and v3.1.1)

    # --- paho's thread: keep it tiny ---------------------------------------------------------
    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        self.inbox.append(
            (
                message.topic,
                bytes(message.payload),
                message.mid,
                message.qos,
                time.time(),
                self.generation,
            )
        )

    def _on_publish_raw(self, topic: bytes, payload: bytes, mid: int, qos: int) -> None:
        """BufferedClient's lean path: what `_on_message` keeps, without paho's message."""
        self.inbox.append(
            (topic.decode("utf-8", "replace"), payload, mid, qos, time.time(), self.generation)
        )

    def _on_connect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any
    ) -> None:
        if reason.is_failure:
            log.warning("broker refused the connection: %s", reason)
            return
        self.generation += 1  # acks of messages from an earlier connection are dropped
        self.connected = True
        group = self.settings.mqtt.shared_group
        for topic in subscription_topics():
            if group and self.shared:
                topic = f"$share/{group}/{topic}"
            client.subscribe(topic, qos=1)

    def _on_disconnect(self, client: mqtt.Client, *args: Any) -> None:
        self.connected = False

    # --- the worker ----------------------------------------------------------------------------
    async def run(self) -> int:
        """Ingest until stopped (SIGTERM, SIGINT or --until-idle); the exit code for the shell."""
        await self.directory.load()
        store = await self._open_store()
        address = BrokerAddress.parse(self.settings.mqtt.url)
        choice = self.settings.mqtt.protocol
        if choice == "auto":
            self.protocol = await asyncio.to_thread(_protocol_with_retry, address)
            # A broker without MQTT 5 (amqtt) is taken to have no shared subscriptions either.
            self.shared = self.protocol == mqtt.MQTTv5
        else:
            self.protocol = mqtt.MQTTv5 if choice == "5" else mqtt.MQTTv311
        client = self.client = new_client(
            address, self.settings.mqtt.client_id, self.protocol, manual_ack=True, buffered=True
        )
        client.on_message = self._on_message
        if isinstance(client, BufferedClient):
            client.on_publish_raw = self._on_publish_raw
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.reconnect_delay_set(min_delay=1, max_delay=30)
        client.max_inflight_messages_set(100)  # our publishes only (none); inbound is the broker's
        self._connect(client, address)
        client.loop_start()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):  # not the main thread
                loop.add_signal_handler(sig, self.stop)
        try:
            return await self._loop(store)
        finally:
            await self._write_status()
            client.disconnect()
            client.loop_stop()
            await store.close()

    def stop(self) -> None:
        self.stopping = True

    def _connect(self, client: mqtt.Client, address: BrokerAddress) -> None:
        if self.protocol == mqtt.MQTTv5:
            props = Properties(PacketTypes.CONNECT)
            props.SessionExpiryInterval = self.settings.mqtt.session_expiry
            # How many unacknowledged messages the broker may send us: three batches, so that
            # while one is written and the next one is full, a third already arrives (with
            # two, the broker stopped exactly when the next batch filled).
            props.ReceiveMaximum = receive_maximum(self.settings.ingest.batch_size)
            client.connect_async(
                address.host, address.port, keepalive=30, clean_start=False, properties=props
            )
        else:
            client.connect_async(address.host, address.port, keepalive=30)

    async def _open_store(self) -> SQLiteStore | PostgresStore:
        db = self.settings.database
        if db.is_postgres:
            return await PostgresStore.connect(db.url)
        return SQLiteStore(str(db.sqlite_path))

    async def _loop(self, store: SQLiteStore | PostgresStore) -> int:
        batch_size = self.settings.ingest.batch_size
        flush_s = self.settings.ingest.flush_seconds
        acks: list[tuple[int, int, int, float]] = []
        writing: asyncio.Task[None] | None = None  # the previous batch, being stored
        first_at = 0.0
        last_message = time.monotonic()
        next_stats = time.monotonic() + self.settings.ingest.stats_seconds
        pipeline = self.pipeline
        while True:
            drained = 0
            # Accept while the previous batch is written (the database works meanwhile), in
            # slices, so that the write task gets the loop back between its statements.
            while self.inbox and len(acks) < batch_size and pipeline.pending_points < batch_size:
                if not acks:
                    first_at = time.monotonic()
                slice_end = pipeline.pending_points + _SLICE_POINTS
                for _ in range(min(_SLICE, len(self.inbox))):
                    topic, payload, mid, qos, received, gen = self.inbox.popleft()
                    pipeline.accept(topic, payload, received)
                    acks.append((mid, qos, gen, received))
                    points = pipeline.pending_points
                    if len(acks) >= batch_size or points >= batch_size or points >= slice_end:
                        break
                drained += 1
                if writing is not None:
                    await asyncio.sleep(0)
            now = time.monotonic()
            if drained:
                last_message = now
            full = len(acks) >= batch_size or pipeline.pending_points >= batch_size
            if writing is not None and (writing.done() or full or self.stopping):
                if not await self._written(writing):
                    return 3
                writing = None
            if writing is None and acks and (full or now - first_at >= flush_s or self.stopping):
                writing = asyncio.create_task(self._store(store, pipeline.take(), acks))
                acks = []
                await asyncio.sleep(0)  # send its first statement before accepting more
            if now >= next_stats:
                next_stats = now + self.settings.ingest.stats_seconds
                self.echo(self.stats_line())
                await self._write_status()
            busy = acks or self.inbox or writing is not None
            if self.stopping and not busy:
                return 0
            idle_for = now - last_message if not busy else 0.0
            if self.until_idle is not None and idle_for >= self.until_idle:
                self.echo(self.stats_line())
                return 0
            if not drained:
                if writing is None:
                    await asyncio.sleep(0.005)
                else:  # wake up as soon as the write is done, or to accept what came in
                    await asyncio.wait({writing}, timeout=0.005)

    async def _store(
        self,
        store: SQLiteStore | PostgresStore,
        batch: Batch,
        acks: list[tuple[int, int, int, float]],
    ) -> None:
        """One batch in one transaction; its messages are acknowledged only once committed."""
        async with store.transaction() as tx:
            await self.pipeline.write(batch, tx)
        self._ack(acks)

    async def _written(self, writing: asyncio.Task[None]) -> bool:
        try:
            await writing
        except Exception:
            log.exception("storing a batch failed; exiting without acknowledging it")
            self.echo("ingest: database write failed, exiting (messages stay queued)")
            return False
        return True

    def _ack(self, acks: list[tuple[int, int, int, float]]) -> None:
        client = self.client
        assert client is not None
        generation = self.generation
        # In arrival order, as MQTT requires; acks of an earlier connection are void.
        mids = [mid for mid, qos, gen, _ in acks if qos == 1 and gen == generation]
        queue = getattr(client, "_packet_queue", None)
        if queue is not None and mids:
            # One write for the batch's PUBACKs instead of one packet, one wake-up of paho's
            # thread and one send() per message: each PUBACK is 4 bytes (type, length 2, packet
            # id; MQTT 5 allows leaving out the success reason code), so the batch's acks are
            # one buffer, queued the way paho queues its own `ack()`.
            data = b"".join(_PUBACK.pack(0x40, 2, mid) for mid in mids)
            queue(0x40, data, 0, 0)
        else:
            for mid in mids:
                client.ack(mid, 1)
        self.pipeline.note_committed([received for _, _, _, received in acks])

    def stats_line(self) -> str:
        c = self.pipeline.counters
        rejected = sum(c.rejected.values())
        return (
            f"ingest messages={c.messages} readings={c.readings} stored={c.stored}"
            f" duplicates={c.duplicates} rejected={rejected} flagged={sum(c.flagged.values())}"
            f" lag_ms_max={c.lag_ms_max:.0f} connected={self.connected}"
        )

    async def _write_status(self) -> None:
        counters = json.dumps(self.pipeline.counters.as_dict())
        worker = self.settings.mqtt.client_id
        now = datetime.now(UTC)
        try:
            updated = (
                await IngestStatus.update(
                    {IngestStatus.updated_at: now, IngestStatus.counters: counters}
                )
                .where(IngestStatus.worker == worker)
                .returning(IngestStatus.id)
            )
            if not updated:
                await IngestStatus(worker=worker, updated_at=now, counters=counters).save()
        except Exception:  # the status is informative: never stop ingest for it
            log.exception("could not write the ingest status")


def receive_maximum(batch_size: int) -> int:
    """The MQTT 5 receive maximum of a worker writing batches of `batch_size`."""
    return min(65535, batch_size * 3)


def _protocol_with_retry(address: BrokerAddress) -> MQTTProtocolVersion:
    delay = 1.0
    while True:
        try:
            return broker_protocol(address)
        except OSError as error:
            log.warning(
                "broker %s:%s unreachable (%s); retrying", address.host, address.port, error
            )
            time.sleep(delay)
            delay = min(delay * 2, 30)
