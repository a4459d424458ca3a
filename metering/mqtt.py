"""MQTT connection details shared by the ingest worker, the simulator and the benchmarks: URL
parsing and the protocol the broker speaks (MQTT 5, or 3.1.1 where it has no 5)."""

from __future__ import annotations

import threading
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


def new_client(
    address: BrokerAddress, client_id: str, protocol: MQTTProtocolVersion, **kwargs: Any
) -> mqtt.Client:
    """A paho client with the credentials of `address`; v3.1.1 clients keep their session."""
    if protocol == mqtt.MQTTv5:
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=client_id, protocol=protocol, **kwargs
        )
    else:
        client = mqtt.Client(
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
