"""MQTT connection details shared by the ingest worker, the simulator and the benchmarks: URL
parsing and the protocol the broker speaks (MQTT 5, or 3.1.1 where it has no 5)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlparse

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion


@dataclass(frozen=True, slots=True)
class BrokerAddress:
    host: str
    port: int
    username: str | None = None
    password: str | None = None

    @classmethod
    def parse(cls, url: str) -> BrokerAddress:
        parts = urlparse(url)
        if parts.scheme not in ("mqtt", "tcp", ""):
            raise ValueError(f"REGIE_MQTT_URL must be mqtt://host:port, got {url!r}")
        return cls(
            host=parts.hostname or "127.0.0.1",
            port=parts.port or 1883,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )


class _ReadBuffer:
    """A TCP socket read in large chunks. paho reads each packet with three or four recv()
    calls (type byte, remaining length byte by byte, body) and one select() per packet; here
    they are served from one recv() of up to 64 KiB. `pending()` is what paho asks of a TLS
    socket to know that bytes wait without select() saying so."""

    CHUNK = 65536

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._data = b""
        self._pos = 0

    def recv(self, bufsize: int) -> bytes:
        pos, data = self._pos, self._data
        if pos >= len(data):
            chunk = self._sock.recv(max(bufsize, self.CHUNK))  # BlockingIOError when empty
            if len(chunk) <= bufsize:
                return chunk
            data, pos = self._data, self._pos = chunk, 0
        end = pos + bufsize
        self._pos = end
        return data[pos:end]

    def pending(self) -> int:
        return len(self._data) - self._pos

    def __getattr__(self, name: str) -> Any:  # send, fileno, setblocking, close…
        return getattr(self._sock, name)


def parse_publish(
    header: int, packet: bytes | bytearray, v5: bool
) -> tuple[bytes, bytes, int, int] | None:
    """A PUBLISH packet's topic, payload, packet id and QoS, its MQTT 5 properties skipped;
    None for what the lean path leaves to paho (QoS 2, an empty topic standing for a topic
    alias, a malformed packet: paho then reads it, or refuses it, itself)."""
    qos = (header & 0x06) >> 1
    if qos == 2 or len(packet) < 2:
        return None
    end = 2 + ((packet[0] << 8) | packet[1])
    pos = end + (2 if qos else 0)
    if end == 2 or pos > len(packet):
        return None
    mid = (packet[end] << 8) | packet[end + 1] if qos else 0
    if v5:  # the properties' length, a variable byte integer, then the properties
        length, shift = 0, 0
        while True:
            if pos >= len(packet) or shift > 21:
                return None
            byte = packet[pos]
            pos += 1
            length |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                break
        pos += length
        if pos > len(packet):
            return None
    return bytes(packet[2:end]), bytes(packet[pos:]), mid, qos


class BufferedClient(mqtt.Client):
    """paho's client reading its socket in chunks, and every packet already received in one
    turn of its loop (stock paho reads one packet per select()). With `on_publish_raw` set and
    manual acknowledgement, a QoS 0 or 1 PUBLISH goes straight to it as (topic bytes, payload,
    packet id, QoS): no message object, properties or callback matching per message."""

    BURST = 10000  # packets per turn at most, so that keepalive and writes still get turns
    on_publish_raw: Callable[[bytes, bytes, int, int], None] | None = None

    def _handle_publish(self) -> mqtt.MQTTErrorCode:
        receive = self.on_publish_raw
        if receive is None or not self._manual_ack:
            return super()._handle_publish()
        found = parse_publish(
            self._in_packet["command"], self._in_packet["packet"], self._protocol == mqtt.MQTTv5
        )
        if found is None:
            return super()._handle_publish()
        receive(*found)
        return mqtt.MQTT_ERR_SUCCESS

    def _create_socket(self) -> Any:
        sock = super()._create_socket()
        return _ReadBuffer(sock) if type(sock) is socket.socket else sock

    def loop_read(self, max_packets: int = 1) -> mqtt.MQTTErrorCode:
        rc = super().loop_read(max_packets)
        sock: Any = self._sock
        if not isinstance(sock, _ReadBuffer):
            return rc
        pending = sock.pending
        for _ in range(self.BURST):
            if rc != mqtt.MQTT_ERR_SUCCESS or self._sock is not sock or not pending():
                break
            rc = super().loop_read(max_packets)
        return rc


def new_client(
    address: BrokerAddress,
    client_id: str,
    protocol: MQTTProtocolVersion,
    *,
    buffered: bool = False,
    **kwargs: Any,
) -> mqtt.Client:
    """A paho client with the credentials of `address`; v3.1.1 clients keep their session.
    `buffered`: a BufferedClient (fewer system calls per received message)."""
    cls = BufferedClient if buffered else mqtt.Client
    if protocol == mqtt.MQTTv5:
        client = cls(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=protocol, **kwargs)
    else:
        client = cls(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=protocol,
            clean_session=False,
            **kwargs,
        )
    if address.username:
        client.username_pw_set(address.username, address.password)
    return client


def broker_protocol(address: BrokerAddress, timeout: float = 5.0) -> MQTTProtocolVersion:
    """MQTTv5 if the broker accepts an MQTT 5 connection, else MQTTv311 (amqtt, old brokers)."""
    accepted = threading.Event()
    done = threading.Event()

    def on_connect(client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        if not reason.is_failure:
            accepted.set()
        done.set()

    probe = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    if address.username:
        probe.username_pw_set(address.username, address.password)
    probe.on_connect = on_connect
    probe.on_disconnect = lambda *args: done.set()
    try:
        probe.connect(address.host, address.port, keepalive=10)
    except OSError:
        raise
    probe.loop_start()
    try:
        done.wait(timeout)
    finally:
        probe.disconnect()
        probe.loop_stop()
    return mqtt.MQTTv5 if accepted.is_set() else mqtt.MQTTv311
