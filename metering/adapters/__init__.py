"""Payload adapters: one MQTT message (topic, bytes) in, raw readings or a Rejection out."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, NamedTuple

from metering.topics import METER_KEY_RE, TopicMatch, match_topic


class Rejection(Exception):
    """A payload or reading that cannot be accepted.

    `reason` is a short stable snake_case code stored with the rejected reading (counted per
    reason by ingest); `detail` is a human sentence for operators.
    """

    def __init__(self, reason: str, detail: str = "") -> None:
        # Both in args so that the exception pickles and compares sanely.
        super().__init__(reason, detail)
        self.reason = reason
        self.detail = detail

    def __str__(self) -> str:
        return f"{self.reason}: {self.detail}" if self.detail else self.reason


class RawReading(NamedTuple):
    """One register reading as a payload gave it: not yet converted, not yet validated. A
    named tuple: built once per reading of every message, it costs a third of a frozen
    dataclass."""

    meter_key: str  # meter serial (native, teleinfo) or LoRaWAN devEui (chirpstack)
    key_kind: str  # "serial" or "dev_eui"
    ts: datetime  # timezone-aware UTC, truncated to whole seconds
    register: str  # e.g. "total", "base", "hchc", "hchp", "bbrhcjb", "easf01"
    value: float | int  # magnitude as given (finite), NOT yet converted
    unit: str | None  # unit string from the payload, None when the payload carries none
    source: str  # "native" | "teleinfo" | "chirpstack"
    service: str | None  # "water"/"electricity" when the topic says (native), else None


@dataclass(frozen=True, slots=True)
class PowerPeakReading:
    """A TIC frame's apparent power beside the subscribed power (VA both): a candidate for the
    day's peak, which ingest keeps as a running maximum per meter and local day."""

    meter_key: str
    key_kind: str
    ts: datetime  # when the power was seen (SMAXSN's own stamp, else the frame's time)
    max_va: int
    subscribed_va: int
    source: str


@dataclass(frozen=True, slots=True)
class Parsed:
    """What one message carries: register readings, power peaks, and the parts refused.

    `refused` holds labels that could not be read although the rest of the message could (a
    garbled PAPP must not cost the frame's energy indexes); each is stored as a rejection."""

    readings: list[RawReading]
    peaks: list[PowerPeakReading] = field(default_factory=list)
    refused: list[Rejection] = field(default_factory=list)


@dataclass(frozen=True)
class AdapterOptions:
    """Per-deployment knobs of the adapters."""

    chirpstack_index_key: str = "index"
    """Key of the index in ChirpStack's decoded `object` (each device codec names it)."""
    chirpstack_unit_key: str = "unit"
    """Key of the index's unit in ChirpStack's decoded `object`."""
    max_payload_bytes: int = 262144
    """Larger payloads are rejected before decoding."""


DEFAULT_OPTIONS = AdapterOptions()

# Integers in payloads are register indexes, frame counters, frequencies: 24 characters is
# far above any of them, and refusing longer digit strings keeps int() away from the
# quadratic conversion of huge numbers (and its 4300-digit ValueError).
_MAX_INT_CHARS = 24
_MAX_TS_CHARS = 64
MAX_UNIT_CHARS = 64
_REGISTER_RE = re.compile(r"[a-z0-9][a-z0-9_]{0,31}")
MAX_REGISTER_CHARS = 64  # longer names are refused without a look in the cache


def shown(value: object, limit: int = 60) -> str:
    """An untrusted value quoted for a detail sentence: ASCII only, bounded."""
    text = ascii(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _json_int(text: str) -> int:
    if len(text) > _MAX_INT_CHARS:
        raise Rejection("too_large", f"integer of {len(text)} characters")
    return int(text)


def _json_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # "1e400" parses to inf
        raise Rejection("too_large", f"number {shown(text)} overflows a float")
    return value


def _json_constant(text: str) -> Any:
    # Python's json accepts NaN and Infinity, which RFC 8259 JSON does not.
    raise Rejection("invalid_json", f"{text} is not a JSON value")


_DECODER = json.JSONDecoder(
    parse_int=_json_int, parse_float=_json_float, parse_constant=_json_constant
)


def decode_json(payload: bytes, max_bytes: int) -> Any:
    """The JSON document in a payload: bounded, strict UTF-8, strict JSON."""
    if len(payload) > max_bytes:
        raise Rejection("payload_too_large", f"{len(payload)} bytes, limit {max_bytes}")
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Rejection("invalid_utf8", f"byte {exc.start} is not UTF-8") from None
    try:
        return _DECODER.decode(text)
    except json.JSONDecodeError as exc:
        raise Rejection("invalid_json", exc.msg) from None
    except RecursionError:
        raise Rejection("invalid_json", "nested too deeply") from None


def parse_timestamp(text: object) -> datetime:
    """An ISO 8601 timestamp with an offset, as aware UTC truncated to whole seconds."""
    if not isinstance(text, str) or len(text) > _MAX_TS_CHARS:
        raise Rejection("bad_timestamp", f"{shown(text)} is not an ISO 8601 string")
    return _parse_timestamp(text)


@lru_cache(maxsize=1 << 16)  # many meters report the same instants: parsed once each
def _parse_timestamp(text: str) -> datetime:
    try:
        ts = datetime.fromisoformat(text)
        offset = ts.utcoffset()
        if offset is None:
            # A naive time is ambiguous by an hour or two: refuse rather than guess.
            raise Rejection("bad_timestamp", f"{shown(text)} has no UTC offset")
        if offset or ts.tzinfo is not UTC:
            ts = ts.astimezone(UTC)
    except (ValueError, OverflowError):
        raise Rejection("bad_timestamp", f"{shown(text)} is not an ISO 8601 time") from None
    if ts.year < 1970:  # ts is UTC here, so this is "before the Unix epoch"
        raise Rejection("bad_timestamp", f"{shown(text)} is before 1970")
    return ts.replace(microsecond=0) if ts.microsecond else ts


def utc_now(now: datetime) -> datetime:
    """The caller's clock as aware UTC whole seconds (a naive `now` is a programming error)."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(UTC).replace(microsecond=0)


def reading_value(value: object, what: str) -> int | float:
    """A reading's magnitude: a JSON number (not a boolean), finite."""
    if type(value) is int:  # the common case first: this runs once per reading
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Rejection("not_a_number", f"{what} is {shown(value)}, not a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise Rejection("non_finite", f"{what} is {value}")
    return value


def reading_unit(value: object) -> str | None:
    """A payload's unit string, passed on unconverted (units.py validates it)."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise Rejection("unit_unknown", f"unit {shown(value)} is not a string")
    if len(value) > MAX_UNIT_CHARS:
        raise Rejection("unit_unsafe", f"unit of {len(value)} characters")
    return value


def register_name(value: object) -> str:
    """A register name, lower-cased: short snake_case, safe as a database key."""
    if type(value) is str and len(value) <= MAX_REGISTER_CHARS:
        return _register_name(value)  # the same few names, message after message
    return _check_register_name(value)


@lru_cache(maxsize=1024)
def _register_name(value: str) -> str:
    return _check_register_name(value)


def _check_register_name(value: object) -> str:
    name = value.lower() if isinstance(value, str) else None
    if name is None or _REGISTER_RE.fullmatch(name) is None:
        raise Rejection("bad_register", f"register {shown(value)} is not a short name")
    return name


def meter_key(value: object, what: str) -> str:
    """A meter serial or devEui found in a payload, held to the same rule as topic keys."""
    if not isinstance(value, str) or METER_KEY_RE.fullmatch(value) is None:
        raise Rejection("bad_meter_key", f"{what} {shown(value)} is not a meter key")
    return value


def parse_message(
    topic: str, payload: bytes, *, now: datetime, options: AdapterOptions = DEFAULT_OPTIONS
) -> list[RawReading]:
    """Readings carried by one MQTT message, or Rejection for anything unacceptable.

    Dispatches on the topic; `now` stands in for the reading time when the format carries
    none (history-mode teleinfo). A message's readings are accepted or rejected whole.
    """
    return parse_payload(topic, payload, now=now, options=options).readings


def parse_payload(
    topic: str, payload: bytes, *, now: datetime, options: AdapterOptions = DEFAULT_OPTIONS
) -> Parsed:
    """Everything one MQTT message carries (readings, TIC power peaks), or Rejection."""
    now_utc = utc_now(now)
    match = match_topic(topic)
    if match is None:
        raise Rejection("unknown_format", f"no adapter reads topic {shown(topic)}")
    doc = decode_json(payload, options.max_payload_bytes)
    if match.source == "teleinfo":
        return teleinfo.parse_frame(match, doc, now=now_utc, options=options)
    return Parsed(_ADAPTERS[match.source](match, doc, now=now_utc, options=options))


# The adapters import the names above, so they are loaded last.
from metering.adapters import chirpstack, native, teleinfo  # noqa: E402

_ADAPTERS = {
    "native": native.parse,
    "teleinfo": teleinfo.parse,
    "chirpstack": chirpstack.parse,
}

__all__ = [
    "DEFAULT_OPTIONS",
    "AdapterOptions",
    "Parsed",
    "PowerPeakReading",
    "RawReading",
    "Rejection",
    "TopicMatch",
    "parse_message",
    "parse_payload",
]
