"""Payload adapters and topics: public sample payloads, every rejection reason, fuzzing."""

from __future__ import annotations

import json
import math
import pickle
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from metering.adapters import (
    AdapterOptions,
    Parsed,
    PowerPeakReading,
    RawReading,
    Rejection,
    parse_message,
    parse_payload,
    parse_timestamp,
    reading_value,
)
from metering.topics import match_topic, subscription_topics
from metering.units import convert

SAMPLES = Path(__file__).parent / "samples"
NOW = datetime(2025, 3, 7, 12, 0, 0, 654321, tzinfo=UTC)
NOW_S = NOW.replace(microsecond=0)
CS_APP = "17c82e96-be03-4f38-aef3-f83d48582d97"
NATIVE_E = "regie/v1/electricity/LINKY-0001/reading"
NATIVE_W = "regie/v1/water/EAU-000417/reading"
CS_TOPIC = f"application/{CS_APP}/device/a8404187d187106e/event/up"


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def parse(topic: str, payload: bytes | str, **kw: Any) -> list[RawReading]:
    data = payload.encode() if isinstance(payload, str) else payload
    return parse_message(topic, data, now=NOW, **kw)


def reason_of(topic: str, payload: bytes | str, **kw: Any) -> str:
    with pytest.raises(Rejection) as caught:
        parse(topic, payload, **kw)
    return caught.value.reason


# --- topics -------------------------------------------------------------------------------


def test_subscription_topics() -> None:
    assert subscription_topics() == [
        "regie/v1/+/+/reading",
        "teleinfo/+",
        "application/+/device/+/event/up",
    ]


@pytest.mark.parametrize(
    ("topic", "expected"),
    [
        (NATIVE_W, ("native", "EAU-000417", "water")),
        ("regie/v1/electricity/M1/reading", ("native", "M1", "electricity")),
        ("teleinfo/031764953443", ("teleinfo", "031764953443", None)),
        (CS_TOPIC, ("chirpstack", "a8404187d187106e", None)),
        ("regie/v1/gas/M1/reading", None),  # not a service of the régie
        ("regie/v2/water/M1/reading", None),
        ("regie/v1/water//reading", None),
        ("regie/v1/water/M1/reading/extra", None),
        ("teleinfo/a/b", None),
        ("teleinfo/../etc", None),
        (f"application/{CS_APP}/device/0101/event/join", None),  # only uplinks are readings
        ("application//device/0101/event/up", None),
        ("", None),
        ("x" * 10_000, None),
    ],
)
def test_match_topic(topic: str, expected: tuple[str, str, str | None] | None) -> None:
    match = match_topic(topic)
    got = None if match is None else (match.source, match.meter_key, match.service)
    assert got == expected


# --- public samples, table-driven ---------------------------------------------------------

# (sample, topic, meter_key, key_kind, ts, {register: value}, unit, source, service)
SAMPLE_CASES = [
    (
        "native_electricity_single.json",
        NATIVE_E,
        "LINKY-0001",
        "serial",
        utc("2025-03-07T12:43:49Z"),
        {"total": 12345.678},
        "kWh",
        "native",
        "electricity",
    ),
    (
        "native_electricity_hchp.json",
        "regie/v1/electricity/LINKY-0002/reading",
        "LINKY-0002",
        "serial",
        utc("2025-03-07T12:00:00Z"),
        {"hchc": 9058688, "hchp": 9752846},
        "Wh",
        "native",
        "electricity",
    ),
    (
        "teleinfo_history_doc.json",
        "teleinfo/12345678901",
        "12345678901",
        "serial",
        NOW_S,  # history mode carries no time
        {"hchc": 9058688, "hchp": 9752846},
        "Wh",
        "teleinfo",
        None,
    ),
    (
        "teleinfo_standard_doc.json",
        "teleinfo/12345678901",
        "12345678901",
        "serial",
        NOW_S,  # SMAXSN's horodate is the peak's time, not the frame's
        {"easf06": 0},
        "Wh",
        "teleinfo",
        None,
    ),
    (
        "teleinfo_standard_frame.json",
        "teleinfo/031764953443",
        "031764953443",
        "serial",
        utc("2025-03-07T12:43:49Z"),  # DATE H250307134349: 13:43:49 winter time, UTC+1
        {
            "east": 80490250,
            "easf01": 41733418,
            "easf02": 38756832,
            **{f"easf{i:02d}": 0 for i in range(3, 11)},
        },
        "Wh",
        "teleinfo",
        None,
    ),
    (
        "teleinfo_history_tempo.json",
        "teleinfo/041436020491",
        "041436020491",
        "serial",
        NOW_S,
        {
            "bbrhcjb": 4522383,
            "bbrhpjb": 6132551,
            "bbrhcjw": 958245,
            "bbrhpjw": 1214410,
            "bbrhcjr": 300215,
            "bbrhpjr": 451870,
        },
        "Wh",
        "teleinfo",
        None,
    ),
    (
        "chirpstack_v4_up_water.json",
        CS_TOPIC,
        "a8404187d187106e",
        "dev_eui",
        utc("2024-06-20T08:48:38Z"),
        {"total": 123456},
        "L",
        "chirpstack",
        None,
    ),
]


@pytest.mark.parametrize(
    ("name", "topic", "key", "kind", "ts", "values", "unit", "source", "service"),
    SAMPLE_CASES,
    ids=[case[0] for case in SAMPLE_CASES],
)
def test_public_samples(
    name: str,
    topic: str,
    key: str,
    kind: str,
    ts: datetime,
    values: dict[str, float | int],
    unit: str,
    source: str,
    service: str | None,
) -> None:
    readings = parse(topic, sample(name))
    assert {r.register: r.value for r in readings} == values
    assert len(readings) == len(values)
    for r in readings:
        assert (r.meter_key, r.key_kind, r.ts, r.unit, r.source, r.service) == (
            key,
            kind,
            ts,
            unit,
            source,
            service,
        )


def test_native_daily_batch() -> None:
    readings = parse(NATIVE_W, sample("native_water_daily_batch.json"))
    assert len(readings) == 24
    assert readings[0].ts == utc("2025-03-05T23:00:00Z")
    assert readings[-1].ts == utc("2025-03-06T22:00:00Z")
    assert [r.register for r in readings] == ["total"] * 24
    assert {(r.unit, r.service, r.meter_key) for r in readings} == {("m3", "water", "EAU-000417")}
    litres = [convert(r.value, r.unit or "L", "water") for r in readings]
    assert litres[0] == 1234567
    assert litres[-1] == 1234772
    assert litres == sorted(litres)


@pytest.mark.parametrize(
    ("name", "topic", "service", "expected_base"),
    [
        ("native_electricity_single.json", NATIVE_E, "electricity", [12345678]),
        ("teleinfo_history_doc.json", "teleinfo/1", "electricity", [9058688, 9752846]),
        ("chirpstack_v4_up_water.json", CS_TOPIC, "water", [123456]),
    ],
)
def test_samples_convert_to_base_units(
    name: str, topic: str, service: str, expected_base: list[int]
) -> None:
    readings = parse(topic, sample(name))
    assert [convert(r.value, r.unit or "", service) for r in readings] == expected_base


def test_chirpstack_doc_example_without_codec_is_rejected() -> None:
    topic = f"application/{CS_APP}/device/0101010101010101/event/up"
    assert reason_of(topic, sample("chirpstack_v4_up_doc.json")) == "missing_field"


# --- format details -----------------------------------------------------------------------


def test_native_defaults_register_and_unit() -> None:
    (r,) = parse(NATIVE_W, '{"ts": "2025-03-07T10:00:00.999+02:00", "value": 12}')
    assert (r.register, r.unit, r.ts) == ("total", None, utc("2025-03-07T08:00:00Z"))
    (r,) = parse(NATIVE_W, '{"ts": "2025-03-07T10:00:00Z", "value": 1, "register": "HCHC"}')
    assert r.register == "hchc"


def test_native_empty_list_is_no_readings() -> None:
    assert parse(NATIVE_W, "[]") == []


def test_native_batch_is_rejected_whole() -> None:
    good = '{"ts": "2025-03-07T10:00:00Z", "value": 1}'
    bad = '{"ts": "2025-03-07T10:00:00", "value": 2}'
    assert reason_of(NATIVE_W, f"[{good}, {bad}]") == "bad_timestamp"


def test_teleinfo_summer_time_and_topic_key_fallback() -> None:
    frame = {
        "EAST": {"raw": "000001000", "value": 1000},
        "DATE": {
            "raw": "",
            "value": "",
            "timestamp": {"date": "2024-07-01T12:00:00.000Z", "dst": "summer"},
        },
    }
    (r,) = parse("teleinfo/LINKY-9", json.dumps(frame))
    assert r.meter_key == "LINKY-9"  # no ADSC in the frame: the topic names the meter
    assert r.ts == utc("2024-07-01T10:00:00Z")  # E: UTC+2


def test_teleinfo_value_falls_back_to_raw_digits() -> None:
    (r,) = parse("teleinfo/1", '{"BASE": {"raw": "003404751", "value": "003404751"}}')
    assert r.value == 3404751


def test_teleinfo_frame_without_index_has_no_readings() -> None:
    assert parse("teleinfo/1", '{"PAPP": {"raw": "00270", "value": 270}}') == []


# --- TIC power peaks ------------------------------------------------------------------------
def frame(name: str, topic: str = "teleinfo/1", **labels: object) -> Parsed:
    doc = json.loads(sample(name)) if name else {}
    for label, value in labels.items():
        label = label.replace("_1", "-1")
        if value is None:
            doc.pop(label, None)
        else:
            doc[label] = value
    return parse_payload(topic, json.dumps(doc).encode(), now=NOW)


def tic(raw: str) -> dict[str, object]:
    return {"raw": raw, "value": int(raw) if raw.isdigit() else raw}


def test_history_frame_peak_is_papp_against_isousc_times_200() -> None:
    parsed = frame("teleinfo_history_tempo.json")
    assert parsed.peaks == [
        PowerPeakReading("041436020491", "serial", NOW_S, 940, 30 * 200, "teleinfo")
    ]
    assert len(parsed.readings) == 6 and parsed.refused == []


def test_standard_frame_peaks_are_smaxsn_and_yesterdays_against_pref() -> None:
    parsed = frame("teleinfo_standard_frame.json", "teleinfo/031764953443")
    assert parsed.peaks == [  # winter horodates: UTC+1
        PowerPeakReading("031764953443", "serial", utc("2025-03-07T05:07:08Z"), 9835, 12_000,
                         "teleinfo"),
        PowerPeakReading("031764953443", "serial", utc("2025-03-06T06:29:28Z"), 12_717, 12_000,
                         "teleinfo"),
    ]  # fmt: skip
    assert parsed.refused == []


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        ({"ISOUSC": None}, []),  # no subscribed power: no peak, nothing refused
        ({"PAPP": None}, []),
        ({"IINST1": tic("004")}, []),  # three-phase: ISOUSC is on another scale
        ({"ISOUSC": tic("45"), "PAPP": tic("09900")}, [(9900, 9000)]),
        ({"ISOUSC": tic("0")}, []),
    ],
)
def test_history_peak_needs_both_labels(
    labels: dict[str, object], expected: list[tuple[int, int]]
) -> None:
    parsed = frame("teleinfo_history_tempo.json", **labels)  # type: ignore[arg-type]
    assert [(p.max_va, p.subscribed_va) for p in parsed.peaks] == expected
    assert parsed.refused == []


def test_smaxsn_without_its_own_stamp_takes_the_frame_time() -> None:
    parsed = frame("teleinfo_standard_frame.json", SMAXSN=tic("07000"), SMAXSN_1=None)
    assert [(p.ts, p.max_va) for p in parsed.peaks] == [(utc("2025-03-07T12:43:49Z"), 7000)]


@pytest.mark.parametrize(
    ("name", "labels", "reason"),
    [
        ("teleinfo_history_doc.json", {}, "not_a_number"),  # the doc's second PAPP is "A"
        ("teleinfo_history_tempo.json", {"PAPP": tic("-0040")}, "not_a_number"),
        ("teleinfo_history_tempo.json", {"PAPP": {"raw": "x", "value": -40}}, "negative"),
        ("teleinfo_history_tempo.json", {"PAPP": tic("123456")}, "too_large"),
        ("teleinfo_history_tempo.json", {"PAPP": tic("01.5")}, "not_a_number"),
        ("teleinfo_history_tempo.json", {"PAPP": {"raw": "1", "value": 1.5}}, "not_a_number"),
        ("teleinfo_history_tempo.json", {"ISOUSC": "30"}, "unknown_format"),
        ("teleinfo_standard_frame.json", {"PREF": tic("12000")}, "too_large"),
        (
            "teleinfo_standard_frame.json",
            {"SMAXSN": {"raw": "1", "value": 1, "timestamp": {"date": "x", "dst": "winter"}}},
            "bad_timestamp",
        ),
        (
            "teleinfo_standard_frame.json",
            {
                "SMAXSN": {
                    "raw": "1",
                    "value": 1,
                    "timestamp": {"date": "2025-03-07T01:00:00Z", "dst": "spring"},
                }
            },
            "bad_timestamp",
        ),
    ],
)
def test_a_garbled_power_label_is_refused_alone(
    name: str, labels: dict[str, object], reason: str
) -> None:
    """The frame's indexes are kept; the unreadable label is refused with its reason."""
    whole = frame(name)
    parsed = frame(name, **labels)  # type: ignore[arg-type]
    assert [r.reason for r in parsed.refused] == [reason]
    assert parsed.readings == whole.readings
    assert len(parsed.peaks) < max(len(whole.peaks), 1)


def test_parse_message_still_returns_only_readings() -> None:
    topic, payload = "teleinfo/1", sample("teleinfo_history_tempo.json")
    assert parse_message(topic, payload, now=NOW) == parse_payload(topic, payload, now=NOW).readings
    assert parse_payload(NATIVE_W, sample("native_water_daily_batch.json"), now=NOW).peaks == []


def test_chirpstack_options_and_eui_case() -> None:
    doc = json.loads(sample("chirpstack_v4_up_water.json"))
    doc["object"] = {"meter": {"volume": 42.5, "volume_unit": "m3"}}
    options = AdapterOptions(
        chirpstack_index_key="meter.volume", chirpstack_unit_key="meter.volume_unit"
    )
    topic = CS_TOPIC.replace("a8404187d187106e", "A8404187D187106E")
    (r,) = parse(topic, json.dumps(doc), options=options)
    assert (r.meter_key, r.value, r.unit) == ("a8404187d187106e", 42.5, "m3")
    doc["object"] = {"count": 7}
    (r,) = parse(CS_TOPIC, json.dumps(doc), options=AdapterOptions(chirpstack_index_key="count"))
    assert (r.value, r.unit) == (7, None)  # no unit: ingest uses the meter's own


def test_timestamps_are_utc_whole_seconds() -> None:
    assert parse_timestamp("2022-07-18T09:34:15.775023242+00:00") == utc("2022-07-18T09:34:15Z")
    assert parse_timestamp("2025-01-01T00:30:00-05:30") == utc("2025-01-01T06:00:00Z")


def test_naive_now_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        parse_message(NATIVE_W, b"[]", now=datetime(2025, 1, 1))


def test_raw_reading_is_frozen() -> None:
    (r,) = parse(NATIVE_W, '{"ts": "2025-03-07T10:00:00Z", "value": 1}')
    with pytest.raises(AttributeError):
        r.value = 2  # type: ignore[misc]


def test_rejection_carries_reason_and_pickles() -> None:
    exc = Rejection("bad_timestamp", "no offset")
    assert (exc.reason, exc.detail, str(exc)) == (
        "bad_timestamp",
        "no offset",
        "bad_timestamp: no offset",
    )
    back = pickle.loads(pickle.dumps(exc))
    assert (back.reason, back.detail) == ("bad_timestamp", "no offset")


# --- every rejection reason ---------------------------------------------------------------

TS = '"ts": "2025-03-07T10:00:00Z"'
CS_DOC = json.loads(sample("chirpstack_v4_up_water.json"))


def chirpstack(**changes: Any) -> str:
    doc = json.loads(json.dumps(CS_DOC))
    for key, value in changes.items():
        if value is None:
            doc.pop(key, None)
        else:
            doc[key] = value
    return json.dumps(doc)


REJECTIONS: list[tuple[str, str, bytes | str, str]] = [
    ("unknown topic", "sensors/kitchen/temp", "{}", "unknown_format"),
    ("unknown service", "regie/v1/gas/M1/reading", "{}", "unknown_format"),
    ("native scalar", NATIVE_W, '"12"', "unknown_format"),
    ("native item not object", NATIVE_W, "[1]", "unknown_format"),
    ("teleinfo list", "teleinfo/1", "[]", "unknown_format"),
    ("teleinfo label not object", "teleinfo/1", '{"BASE": 5}', "unknown_format"),
    ("chirpstack list", CS_TOPIC, "[]", "unknown_format"),
    ("too large", NATIVE_W, b"[" + b" " * 300_000 + b"]", "payload_too_large"),
    ("invalid utf-8", NATIVE_W, b'{"ts": "\xff\xfe"}', "invalid_utf8"),
    ("truncated", NATIVE_W, '{"ts": ', "invalid_json"),
    ("trailing data", NATIVE_W, "{} {}", "invalid_json"),
    ("NaN literal", NATIVE_W, f"{{{TS}, " + '"value": NaN}', "invalid_json"),
    ("Infinity literal", NATIVE_W, f"{{{TS}, " + '"value": Infinity}', "invalid_json"),
    ("-Infinity literal", NATIVE_W, f"{{{TS}, " + '"value": -Infinity}', "invalid_json"),
    ("deep nesting", NATIVE_W, "[" * 100_000 + "]" * 100_000, "invalid_json"),
    ("BOM", NATIVE_W, b"\xef\xbb\xbf{}", "invalid_json"),
    ("no value", NATIVE_W, f"{{{TS}}}", "missing_field"),
    ("no ts", NATIVE_W, '{"value": 1}', "missing_field"),
    ("no object", CS_TOPIC, chirpstack(object=None), "missing_field"),
    ("no index", CS_TOPIC, chirpstack(object={"unit": "L"}), "missing_field"),
    ("no time", CS_TOPIC, chirpstack(time=None), "missing_field"),
    ("no deviceInfo", CS_TOPIC, chirpstack(deviceInfo=None), "missing_field"),
    ("naive ts", NATIVE_W, '{"ts": "2025-03-07T10:00:00", "value": 1}', "bad_timestamp"),
    ("date only", NATIVE_W, '{"ts": "2025-03-07", "value": 1}', "bad_timestamp"),
    ("not a time", NATIVE_W, '{"ts": "yesterday", "value": 1}', "bad_timestamp"),
    ("numeric ts", NATIVE_W, '{"ts": 1741341600, "value": 1}', "bad_timestamp"),
    ("before 1970", NATIVE_W, '{"ts": "1900-01-01T00:00:00Z", "value": 1}', "bad_timestamp"),
    ("year overflow", NATIVE_W, '{"ts": "0001-01-01T00:00:00+01:00", "value": 1}', "bad_timestamp"),
    ("huge ts", NATIVE_W, '{"ts": "' + "9" * 100 + '", "value": 1}', "bad_timestamp"),
    ("chirpstack time", CS_TOPIC, chirpstack(time="2024-06-20 08:48"), "bad_timestamp"),
    (
        "teleinfo season",
        "teleinfo/1",
        '{"DATE": {"timestamp": {"date": "2024-07-01T12:00:00.000Z", "dst": "spring"}}}',
        "bad_timestamp",
    ),
    ("teleinfo stamp", "teleinfo/1", '{"DATE": {"timestamp": "E240701120000"}}', "bad_timestamp"),
    ("string value", NATIVE_W, f'{{{TS}, "value": "12"}}', "not_a_number"),
    ("boolean value", NATIVE_W, f'{{{TS}, "value": true}}', "not_a_number"),
    ("null value", NATIVE_W, f'{{{TS}, "value": null}}', "not_a_number"),
    ("teleinfo text", "teleinfo/1", '{"BASE": {"raw": "ABC", "value": "ABC"}}', "not_a_number"),
    ("chirpstack text", CS_TOPIC, chirpstack(object={"index": "12"}), "not_a_number"),
    ("float overflow", NATIVE_W, f'{{{TS}, "value": 1e400}}', "too_large"),
    ("5000 digits", NATIVE_W, f'{{{TS}, "value": {"9" * 5000}}}', "too_large"),
    ("30 digits", NATIVE_W, f'{{{TS}, "value": {"1" * 30}}}', "too_large"),
    ("unit not text", NATIVE_W, f'{{{TS}, "value": 1, "unit": 1000}}', "unit_unknown"),
    ("unit too long", NATIVE_W, f'{{{TS}, "value": 1, "unit": "{"m" * 100}"}}', "unit_unsafe"),
    ("register symbols", NATIVE_W, f'{{{TS}, "value": 1, "register": "a;b"}}', "bad_register"),
    ("register number", NATIVE_W, f'{{{TS}, "value": 1, "register": 3}}', "bad_register"),
    ("register long", NATIVE_W, f'{{{TS}, "value": 1, "register": "{"r" * 40}"}}', "bad_register"),
    ("teleinfo ADCO", "teleinfo/1", '{"ADCO": {"raw": "../x", "value": 0}}', "bad_meter_key"),
    (
        "chirpstack devEui",
        CS_TOPIC,
        chirpstack(deviceInfo={"devEui": "\ud800"}),
        "bad_meter_key",
    ),
    (
        "devEui differs",
        CS_TOPIC,
        chirpstack(deviceInfo={"devEui": "0101010101010101"}),
        "topic_mismatch",
    ),
]


@pytest.mark.parametrize(
    ("topic", "payload", "reason"),
    [case[1:] for case in REJECTIONS],
    ids=[case[0] for case in REJECTIONS],
)
def test_rejections(topic: str, payload: bytes | str, reason: str) -> None:
    assert reason_of(topic, payload) == reason


def test_payload_bound_is_an_option() -> None:
    payload = '{"ts": "2025-03-07T10:00:00Z", "value": 1}'
    assert reason_of(NATIVE_W, payload, options=AdapterOptions(max_payload_bytes=10)) == (
        "payload_too_large"
    )


def test_reading_value_rejects_non_finite() -> None:
    # JSON cannot carry these (NaN/Infinity literals and 1e400 are refused while decoding);
    # adapters still refuse them when handed a document built some other way.
    for value in (math.nan, math.inf, -math.inf):
        with pytest.raises(Rejection) as caught:
            reading_value(value, "value")
        assert caught.value.reason == "non_finite"


def test_details_never_echo_raw_input() -> None:
    with pytest.raises(Rejection) as caught:
        parse(NATIVE_W, '{"ts": "\\ud800' + "x" * 500 + '", "value": 1}')
    assert caught.value.detail.isascii()
    assert len(caught.value.detail) < 200


# --- properties ---------------------------------------------------------------------------

TOPICS = st.one_of(
    st.text(max_size=80),
    st.sampled_from([NATIVE_W, NATIVE_E, "teleinfo/1", CS_TOPIC]),
)
JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)
FIELD_NAMES = st.sampled_from(
    [
        "ts",
        "value",
        "unit",
        "register",
        "ADCO",
        "ADSC",
        "BASE",
        "HCHC",
        "EAST",
        "DATE",
        "time",
        "deviceInfo",
        "object",
        "index",
        "devEui",
        "raw",
        "timestamp",
        "date",
        "dst",
    ]
)
SHAPED = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(FIELD_NAMES, inner, max_size=6),
    max_leaves=25,
)


def check_readings(readings: list[RawReading]) -> None:
    for r in readings:
        assert r.ts.tzinfo is UTC and r.ts.microsecond == 0
        assert isinstance(r.value, int | float) and not isinstance(r.value, bool)
        assert math.isfinite(r.value)
        assert r.key_kind in ("serial", "dev_eui")
        assert r.source in ("native", "teleinfo", "chirpstack")
        assert r.unit is None or isinstance(r.unit, str)


@settings(max_examples=200, deadline=None)
@given(topic=TOPICS, payload=st.binary(max_size=300))
def test_arbitrary_bytes_only_ever_rejected(topic: str, payload: bytes) -> None:
    try:
        check_readings(parse_message(topic, payload, now=NOW))
    except Rejection as exc:
        assert exc.reason and exc.reason.isidentifier()


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(topic=TOPICS, doc=st.one_of(JSON_VALUES, SHAPED))
def test_arbitrary_json_only_ever_rejected(topic: str, doc: Any) -> None:
    payload = json.dumps(doc).encode()
    try:
        check_readings(parse_message(topic, payload, now=NOW))
    except Rejection as exc:
        assert exc.reason and exc.reason.isidentifier()


@settings(max_examples=200, deadline=None)
@given(
    ts=st.datetimes(
        min_value=datetime(1970, 1, 2),
        max_value=datetime(9998, 12, 30),
        timezones=st.sampled_from(
            [UTC, *(timezone(timedelta(minutes=m)) for m in (-600, -330, 60, 120, 840))]
        ),
    ),
    value=st.one_of(
        st.integers(min_value=0, max_value=10**15), st.floats(min_value=0, max_value=1e15)
    ),
    register=st.from_regex(r"[a-z][a-z0-9_]{0,20}", fullmatch=True),
)
def test_valid_native_readings_round_trip(ts: datetime, value: float | int, register: str) -> None:
    payload = json.dumps({"ts": ts.isoformat(), "value": value, "register": register, "unit": "Wh"})
    (r,) = parse_message(NATIVE_E, payload.encode(), now=NOW)
    assert r.ts == ts.astimezone(UTC).replace(microsecond=0)
    assert (r.value, r.register, r.unit, r.service) == (value, register, "Wh", "electricity")
