"""ChirpStack v4 uplink events: `application/{app}/device/{devEui}/event/up`, decoded object."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from metering.adapters import (
    AdapterOptions,
    RawReading,
    Rejection,
    meter_key,
    parse_timestamp,
    reading_unit,
    reading_value,
    shown,
)
from metering.topics import TopicMatch

REGISTER = "total"
_MISSING = object()


def parse(
    match: TopicMatch, doc: Any, *, now: datetime, options: AdapterOptions
) -> list[RawReading]:
    """The index reading of one uplink event (JSON marshaler of ChirpStack v4).

    Only the codec's decoded `object` carries the index; without a codec in the device
    profile ChirpStack publishes the raw bytes alone, which we cannot read.
    `fCnt` is not required: the protobuf JSON mapping omits it when it is 0.
    """
    if not isinstance(doc, dict):
        raise Rejection("unknown_format", "ChirpStack event is not a JSON object")
    info = doc.get("deviceInfo")
    if not isinstance(info, dict) or "devEui" not in info:
        raise Rejection("missing_field", "no deviceInfo.devEui")
    dev_eui = meter_key(info["devEui"], "deviceInfo.devEui")
    # EUIs are hex: ChirpStack writes them lower-case, operators often upper-case.
    if dev_eui.lower() != match.meter_key.lower():
        raise Rejection(
            "topic_mismatch", f"devEui {dev_eui} in payload, {match.meter_key} in topic"
        )
    if "time" not in doc:
        raise Rejection("missing_field", "no 'time'")
    ts = parse_timestamp(doc["time"])
    decoded = doc.get("object")
    if not isinstance(decoded, dict):
        raise Rejection("missing_field", "no decoded 'object' (is a codec configured?)")
    value = _lookup(decoded, options.chirpstack_index_key)
    if value is _MISSING:
        raise Rejection("missing_field", f"object has no {shown(options.chirpstack_index_key)}")
    unit = _lookup(decoded, options.chirpstack_unit_key)
    return [
        RawReading(
            meter_key=dev_eui,
            key_kind="dev_eui",
            ts=ts,
            register=REGISTER,
            value=reading_value(value, "object index"),
            unit=reading_unit(None if unit is _MISSING else unit),
            source="chirpstack",
            service=None,
        )
    ]


def _lookup(decoded: dict[str, Any], key: str) -> Any:
    """`decoded[key]`, or a dotted path into nested objects ("meter.index") for codecs that
    nest their output; a literal key with dots wins over the path."""
    if key in decoded:
        return decoded[key]
    node: Any = decoded
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return _MISSING
        node = node[part]
    return node
