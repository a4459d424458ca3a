"""Native format: `regie/v1/{service}/{meter}/reading`, one reading object or a list of them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from metering.adapters import (
    AdapterOptions,
    RawReading,
    Rejection,
    parse_timestamp,
    reading_unit,
    reading_value,
    register_name,
)
from metering.topics import TopicMatch

DEFAULT_REGISTER = "total"


def parse(
    match: TopicMatch, doc: Any, *, now: datetime, options: AdapterOptions
) -> list[RawReading]:
    """Readings of a native payload: `{"ts", "value", "unit"?, "register"?}` or a list of them.

    A list is how late or daily batches arrive (a LoRaWAN water meter may send a day at once);
    it is accepted or rejected whole so that a batch is never half stored.
    """
    if isinstance(doc, dict):
        return [_reading(match, doc, 0)]
    if isinstance(doc, list):
        return [_reading(match, item, i) for i, item in enumerate(doc)]
    raise Rejection("unknown_format", "native payload is neither an object nor a list")


def _reading(match: TopicMatch, item: Any, index: int) -> RawReading:
    # Runs once per reading of every batch: no detail text is built unless it fails.
    try:
        if type(item) is not dict:
            raise Rejection("unknown_format", "not an object")
        try:
            ts = item["ts"]
            value = item["value"]
        except KeyError as missing:
            raise Rejection("missing_field", f"no {missing}") from None
        register = item.get("register")
        return RawReading(
            meter_key=match.meter_key,
            key_kind="serial",
            ts=parse_timestamp(ts),
            register=DEFAULT_REGISTER if register is None else register_name(register),
            value=reading_value(value, "value"),
            unit=reading_unit(item.get("unit")),
            source="native",
            service=match.service,
        )
    except Rejection as exc:
        raise Rejection(exc.reason, f"reading {index}: {exc.detail}") from None
