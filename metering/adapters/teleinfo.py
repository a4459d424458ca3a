"""Linky/CBE TIC frames as teleinfo2mqtt publishes them: `teleinfo/{meter}`, labels of raw/value.

Energy indexes become register readings; the apparent power beside the subscribed power
becomes a power-peak observation (history mode: PAPP and ISOUSC; standard mode: SMAXSN,
SMAXSN-1 and PREF), which ingest keeps as each meter's daily maximum."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from metering.adapters import (
    AdapterOptions,
    Parsed,
    PowerPeakReading,
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

# Energy indexes are the registers. Instantaneous labels (PAPP, IINST, IMAX, PTEC, SINSTS,
# SMAXSN, URMS1…) are measurements, not register readings; the power ones feed power peaks.
# History mode: base, off-peak/peak (HC), EJP and Tempo options. Standard mode: total (EAST)
# and the supplier's ten index slots (EASF01-10), which is what a supplier bills on; the
# distributor's EASD01-04 repeat the same energy on the grid operator's calendar and are
# left out.
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

# Subscribed power in VA. History mode gives the subscribed current ISOUSC in A; Enedis
# sizes single-phase subscriptions at 200 VA per ampere (3 kVA = 15 A … 6 kVA = 30 A,
# 9 kVA = 45 A, 12 kVA = 60 A: the ISOUSC a Linky in history mode shows for each power,
# Enedis-NOI-CPT_54E §6.1, and the CBE meters' Enedis-NOI-CPT_02E). A three-phase frame
# (IINST1…3) counts ISOUSC per phase on another scale: no peak is taken from it. Standard
# mode gives PREF directly in kVA.
VA_PER_SUBSCRIBED_AMPERE = 200
VA_PER_KVA = 1000
THREE_PHASE_LABELS = ("IINST1", "IINST2", "IINST3")
# Upper bounds from the labels' widths (PAPP and SMAXSN 5 digits in VA; ISOUSC 2 digits in A;
# PREF 2 digits in kVA, 3 allowed): anything larger is a garbled value, not a power.
_MAX = {"PAPP": 99_999, "SMAXSN": 99_999, "SMAXSN-1": 99_999, "ISOUSC": 99, "PREF": 999}


def parse(
    match: TopicMatch, doc: Any, *, now: datetime, options: AdapterOptions
) -> list[RawReading]:
    """One reading per energy index label in the frame (none when the frame has none)."""
    return parse_frame(match, doc, now=now, options=options).readings


def parse_frame(match: TopicMatch, doc: Any, *, now: datetime, options: AdapterOptions) -> Parsed:
    """The frame's index readings and its power peaks; a garbled power label is refused on
    its own (with its reason) and the rest of the frame is kept."""
    if not isinstance(doc, dict):
        raise Rejection("unknown_format", "teleinfo frame is not a JSON object")
    key = _meter_key(doc, match.meter_key)
    ts = _frame_time(doc, now)
    readings = [
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
    peaks: list[PowerPeakReading] = []
    refused: list[Rejection] = []
    for seen, subscribed_va in _power_pairs(doc, ts, refused):
        peak_ts, max_va = seen
        peaks.append(PowerPeakReading(key, "serial", peak_ts, max_va, subscribed_va, "teleinfo"))
    return Parsed(readings, peaks, refused)


def _power_pairs(
    doc: dict[str, Any], ts: datetime, refused: list[Rejection]
) -> list[tuple[tuple[datetime, int], int]]:
    """((when, apparent VA), subscribed VA) of the frame: PAPP/ISOUSC in history mode,
    SMAXSN (today's peak) and SMAXSN-1 (yesterday's) with PREF in standard mode."""
    out = []
    if "PAPP" in doc and "ISOUSC" in doc and not any(k in doc for k in THREE_PHASE_LABELS):
        papp = _power(doc, "PAPP", refused)
        isousc = _power(doc, "ISOUSC", refused)
        if papp is not None and isousc:
            out.append(((ts, papp), isousc * VA_PER_SUBSCRIBED_AMPERE))
    if "PREF" in doc and ("SMAXSN" in doc or "SMAXSN-1" in doc):
        pref = _power(doc, "PREF", refused)
        for label in ("SMAXSN", "SMAXSN-1"):
            if label not in doc or not pref:
                continue
            smax = _power(doc, label, refused)
            when = _label_time(doc[label], ts if label == "SMAXSN" else None, label, refused)
            if smax is not None and when is not None:
                out.append(((when, smax), pref * VA_PER_KVA))
    return out


def _power(doc: dict[str, Any], label: str, refused: list[Rejection]) -> int | None:
    try:
        value = _index_value(label, doc[label])
        if not isinstance(value, int):
            raise Rejection("not_a_number", f"{label} is {shown(value)}, not a whole number")
        if value < 0:
            raise Rejection("negative", f"{label} is {value}")
        if value > _MAX[label]:
            raise Rejection("too_large", f"{label} is {value}, above {_MAX[label]}")
    except Rejection as rejection:
        refused.append(rejection)
        return None
    return value


def _label_time(
    item: Any, default: datetime | None, label: str, refused: list[Rejection]
) -> datetime | None:
    """A horodated label's own time in UTC (SMAXSN: when the peak happened), else `default`."""
    if not isinstance(item, dict) or item.get("timestamp") is None:
        return default
    try:
        return _horodate(item["timestamp"], label)
    except Rejection as rejection:
        refused.append(rejection)
        return None


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
    return _horodate(date["timestamp"], "DATE")


def _horodate(stamp: Any, label: str) -> datetime:
    if not isinstance(stamp, dict):
        raise Rejection("bad_timestamp", f"{label} timestamp {shown(stamp)} is not an object")
    season = stamp.get("dst")
    ts = parse_timestamp(stamp.get("date"))
    if season is None:
        return ts
    if season not in _SEASON_OFFSET:
        raise Rejection("bad_timestamp", f"{label} season {shown(season)} is not summer/winter")
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
