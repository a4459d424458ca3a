"""Linky/CBE TIC frames as teleinfo2mqtt publishes them: `teleinfo/{meter}`, labels of raw/value."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from metering.adapters import (
    AdapterOptions,
    RawReading,
    Rejection,
    meter_key,
    parse_timestamp,
    reading_value,
    shown,
)
from metering.topics import TopicMatch

UNIT = "Wh"
"""Every TIC energy index is in Wh (Enedis-NOI-CPT_54E, history and standard modes)."""

# Energy indexes only. Instantaneous labels (PAPP, IINST, IMAX, PTEC, SINSTS, SMAXSN, URMS1…)
# are measurements, not register readings. History mode: base, off-peak/peak (HC), EJP and
# Tempo options. Standard mode: total (EAST) and the supplier's ten index slots (EASF01-10),
# which is what a supplier bills on; the distributor's EASD01-04 repeat the same energy on
# the grid operator's calendar and are left out.
HISTORY_INDEX_LABELS = (
    "BASE",
    "HCHC",
    "HCHP",
    "EJPHN",
    "EJPHPM",
    "BBRHCJB",
    "BBRHPJB",
    "BBRHCJW",
    "BBRHPJW",
    "BBRHCJR",
    "BBRHPJR",
)
STANDARD_INDEX_LABELS = ("EAST", *(f"EASF{i:02d}" for i in range(1, 11)))
INDEX_LABELS = frozenset(HISTORY_INDEX_LABELS + STANDARD_INDEX_LABELS)
ID_LABELS = ("ADCO", "ADSC")  # meter address: history mode, standard mode

# The TIC horodate is the meter's legal French time with a season letter (E = summer,
# UTC+2; H = winter, UTC+1). teleinfo2mqtt writes that wall-clock time with a "Z" suffix and
# the season in "dst", so the real UTC instant is the stamp minus the season's offset.
_SEASON_OFFSET = {"summer": timedelta(hours=2), "winter": timedelta(hours=1)}
_DIGITS_RE = re.compile(r"[0-9]{1,15}")


def parse(
    match: TopicMatch, doc: Any, *, now: datetime, options: AdapterOptions
) -> list[RawReading]:
    """One reading per energy index label in the frame (none when the frame has none)."""
    if not isinstance(doc, dict):
        raise Rejection("unknown_format", "teleinfo frame is not a JSON object")
    key = _meter_key(doc, match.meter_key)
    ts = _frame_time(doc, now)
    return [
        RawReading(
            meter_key=key,
            key_kind="serial",
            ts=ts,
            register=label.lower(),
            value=_index_value(label, item),
            unit=UNIT,
            source="teleinfo",
            service=None,
        )
        for label, item in doc.items()
        if label in INDEX_LABELS
    ]


def _meter_key(doc: dict[str, Any], topic_key: str) -> str:
    # The frame's own address wins: the topic only holds what the publisher was set up with.
    # Its `raw` is used, never `value`: the number drops the address's leading zeros.
    for label in ID_LABELS:
        if label in doc:
            item = doc[label]
            raw = item.get("raw") if isinstance(item, dict) else item
            return meter_key(raw, label)
    return topic_key


def _frame_time(doc: dict[str, Any], now: datetime) -> datetime:
    """The standard-mode DATE label's horodate in UTC, else `now` (history mode has none)."""
    date = doc.get("DATE")
    if not isinstance(date, dict) or date.get("timestamp") is None:
        return now
    stamp = date["timestamp"]
    if not isinstance(stamp, dict):
        raise Rejection("bad_timestamp", f"DATE timestamp {shown(stamp)} is not an object")
    season = stamp.get("dst")
    ts = parse_timestamp(stamp.get("date"))
    if season is None:
        return ts
    if season not in _SEASON_OFFSET:
        raise Rejection("bad_timestamp", f"DATE season {shown(season)} is not summer/winter")
    return ts - _SEASON_OFFSET[season]


def _index_value(label: str, item: Any) -> int | float:
    if not isinstance(item, dict):
        raise Rejection("unknown_format", f"label {label} is not an object with raw and value")
    value = item.get("value")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return reading_value(value, label)
    # teleinfo2mqtt falls back to the sanitised string when parseInt fails; the raw digits
    # are still the index when only `value` was mangled.
    raw = item.get("raw")
    if isinstance(raw, str) and _DIGITS_RE.fullmatch(raw):
        return int(raw)
    raise Rejection("not_a_number", f"{label} is {shown(value)}, not a number")
