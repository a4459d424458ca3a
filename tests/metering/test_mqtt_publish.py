"""The ingest client's lean reading of PUBLISH packets gives what paho's own decoder gives
(topic, payload, packet id, QoS, MQTT 5 properties skipped), and leaves to paho whatever it
does not handle: QoS 2, topic aliases, malformed packets."""

from __future__ import annotations

import struct

from hypothesis import given
from hypothesis import strategies as st
from paho.mqtt import _packet
from paho.mqtt.enums import MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from metering.mqtt import parse_publish


def publish(topic: bytes, payload: bytes, qos: int, mid: int, props: Properties | None) -> bytes:
    body = struct.pack("!H", len(topic)) + topic
    if qos:
        body += struct.pack("!H", mid)
    if props is not None:
        body += props.pack()
    return body + payload


def properties(expiry: int | None, users: list[tuple[str, str]], content: str | None) -> Properties:
    found = Properties(PacketTypes.PUBLISH)
    if expiry is not None:
        found.MessageExpiryInterval = expiry
    if users:
        found.UserProperty = users
    if content is not None:
        found.ContentType = content
    return found


text = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=40)


@given(
    topic=st.binary(min_size=1, max_size=300),
    payload=st.binary(max_size=2000),
    qos=st.sampled_from([0, 1]),
    mid=st.integers(1, 65535),
    v5=st.booleans(),
    expiry=st.none() | st.integers(0, 2**32 - 1),
    users=st.lists(st.tuples(text, text), max_size=3),
    content=st.none() | text,
)
def test_the_lean_reading_matches_paho(
    topic: bytes,
    payload: bytes,
    qos: int,
    mid: int,
    v5: bool,
    expiry: int | None,
    users: list[tuple[str, str]],
    content: str | None,
) -> None:
    props = properties(expiry, users, content) if v5 else None
    header = 0x30 | (qos << 1)
    packet = publish(topic, payload, qos, mid, props)
    protocol = MQTTProtocolVersion.MQTTv5 if v5 else MQTTProtocolVersion.MQTTv311
    paho = _packet.decode_publish(header, packet, protocol)
    assert parse_publish(header, packet, v5) == (paho.topic, paho.payload, paho.mid, paho.qos)
    assert parse_publish(header, bytearray(packet), v5) == (topic, payload, paho.mid, qos)


def test_what_paho_reads_itself() -> None:
    assert parse_publish(0x34, publish(b"a/b", b"{}", 2, 7, None), False) is None  # QoS 2
    assert parse_publish(0x32, publish(b"", b"{}", 1, 7, None), False) is None  # alias
    assert parse_publish(0x32, b"\x00", False) is None  # too short for a topic length
    assert parse_publish(0x32, b"\x00\x09a/b", False) is None  # topic beyond the packet
    assert parse_publish(0x32, b"\x00\x03a/b\x00", False) is None  # half a packet id
    assert parse_publish(0x32, b"\x00\x03a/b\x00\x07\x05", True) is None  # properties cut
    assert parse_publish(0x32, b"\x00\x03a/b\x00\x07\xff\xff\xff\xff\x01", True) is None
    assert parse_publish(0x32, b"\x00\x03a/b\x00\x07\x00{}", True) == (b"a/b", b"{}", 7, 1)
