"""MQTT topics: the filters ingest subscribes to, and which payload format a topic carries."""

from __future__ import annotations

import re
from dataclasses import dataclass

NATIVE_FILTER = "regie/v1/+/+/reading"
TELEINFO_FILTER = "teleinfo/+"
CHIRPSTACK_FILTER = "application/+/device/+/event/up"

SERVICES = frozenset({"water", "electricity"})

# A meter serial or devEui taken from a topic ends up in the database and in pages: bounded,
# printable ASCII, no MQTT wildcard or separator. A topic is never longer than this bound
# times a few segments, so the split below stays cheap whatever a client publishes.
METER_KEY_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")
_MAX_TOPIC_LENGTH = 512


@dataclass(frozen=True, slots=True)
class TopicMatch:
    """What a topic says: the format, the meter key it names, the service when it says one."""

    source: str  # "native" | "teleinfo" | "chirpstack"
    meter_key: str
    service: str | None


def subscription_topics() -> list[str]:
    """The MQTT topic filters ingest subscribes to (one per payload format)."""
    return [NATIVE_FILTER, TELEINFO_FILTER, CHIRPSTACK_FILTER]


def match_topic(topic: str) -> TopicMatch | None:
    """The format and meter named by a concrete topic, or None when no adapter reads it."""
    if not isinstance(topic, str) or len(topic) > _MAX_TOPIC_LENGTH:
        return None
    parts = topic.split("/")
    service: str | None
    match parts:
        case ["regie", "v1", named, meter, "reading"] if named in SERVICES:
            source, key, service = "native", meter, named
        case ["teleinfo", meter]:
            source, key, service = "teleinfo", meter, None
        case ["application", app, "device", dev_eui, "event", "up"] if app:
            source, key, service = "chirpstack", dev_eui, None
        case _:
            return None
    if METER_KEY_RE.fullmatch(key) is None:
        return None
    return TopicMatch(source=source, meter_key=key, service=service)
