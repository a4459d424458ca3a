"""One ingest batch: payloads parsed and converted, then stored with their daily usage in one
transaction. Independent of MQTT, so that tests and imports can feed it directly."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from metering.adapters import AdapterOptions, Parsed, PowerPeakReading, Rejection, parse_payload
from metering.directory import MeterDirectory, MeterInfo
from metering.store import DayRow, PeakRow, ReadingRow, RejectedRow, SeriesKey, Transaction
from metering.units import UnitConverter
from metering.usage import DayCalendar, SeriesState, advance, replay

PAYLOAD_KEPT = 2048  # characters of a rejected payload kept for the operator


@dataclass(slots=True)
class Counters:
    """What ingest has done since it started; printed and stored for the app."""

    messages: int = 0
    readings: int = 0
    stored: int = 0
    duplicates: int = 0
    skipped_registers: int = 0
    peaks: int = 0  # TIC power observations taken into the daily peaks
    flagged: Counter[str] = field(default_factory=Counter)
    rejected: Counter[str] = field(default_factory=Counter)
    batches: int = 0
    last_message_at: float = 0.0
    lag_ms_max: float = 0.0  # receive → commit, largest over the last batch
    lag_ms_sum: float = 0.0
    lag_count: int = 0

    def as_dict(self) -> dict[str, object]:
        return {
            "messages": self.messages,
            "readings": self.readings,
            "stored": self.stored,
            "duplicates": self.duplicates,
            "skipped_registers": self.skipped_registers,
            "peaks": self.peaks,
            "flagged": dict(self.flagged),
            "rejected": dict(self.rejected),
            "batches": self.batches,
            "last_message_at": self.last_message_at,
            "lag_ms_max": round(self.lag_ms_max, 1),
            "lag_ms_avg": round(self.lag_ms_sum / self.lag_count, 1) if self.lag_count else 0.0,
        }


@dataclass(slots=True)
class _Tail:
    state: SeriesState | None
    last_seen: int  # latest stored ts of the series, flagged readings included


@dataclass(slots=True)
class Batch:
    """What a run of accepted messages will store, in one transaction."""

    points: dict[SeriesKey, dict[int, tuple[int, str, float]]] = field(default_factory=dict)
    peaks: dict[tuple[int, date], tuple[int, int]] = field(default_factory=dict)  # max, subscribed
    rejected: list[RejectedRow] = field(default_factory=list)
    unknown: list[tuple[str, bytes, float]] = field(default_factory=list)
    messages: int = 0
    size: int = 0  # points


class Pipeline:
    """Accepts raw messages into a batch; `take()` hands the batch over, `write()` stores it.

    The next batch may be accepted while the previous one is written (accepting touches only
    the current batch); batches are written one at a time, in order, because each one's daily
    usage continues from the series state the previous one left.
    """

    def __init__(
        self,
        directory: MeterDirectory,
        calendar: DayCalendar,
        *,
        options: AdapterOptions | None = None,
        future_tolerance_s: int = 300,
        counters: Counters | None = None,
    ) -> None:
        self.directory = directory
        self.calendar = calendar
        self.options = options or AdapterOptions()
        self.future_tolerance_s = future_tolerance_s
        self.counters = counters or Counters()
        self.units = UnitConverter()
        self.tails: dict[SeriesKey, _Tail] = {}
        # Per meter, the ingest sequence our last committed batch left in the database: the
        # cached tails of a meter are the database's as long as nobody else bumped it.
        self.meter_seq: dict[int, int] = {}
        self.batch = Batch()
        self._arrivals: dict[float, datetime] = {}  # during a write: arrival time as datetime

    @property
    def pending(self) -> int:
        return self.batch.messages

    @property
    def pending_points(self) -> int:
        return self.batch.size

    def take(self) -> Batch:
        """The batch accepted so far; accepting goes on into a new one."""
        batch, self.batch = self.batch, Batch()
        return batch

    def accept(self, topic: str, payload: bytes, received_at: float) -> None:
        """Parse one message into pending points or a pending rejection; never raises."""
        self.counters.messages += 1
        self.counters.last_message_at = received_at
        batch = self.batch
        batch.messages += 1
        now = datetime.fromtimestamp(received_at, UTC)
        try:
            parsed = parse_payload(topic, payload, now=now, options=self.options)
        except Rejection as rejection:
            self._reject(batch, topic, payload, rejection.reason, rejection.detail, received_at)
            return
        except Exception as error:  # an adapter bug must not stop ingest: keep the payload
            self._reject(batch, topic, payload, "internal_error", repr(error)[:500], received_at)
            return
        self.counters.readings += len(parsed.readings)
        for refused in parsed.refused:  # unreadable labels; the rest of the message stands
            self._reject(batch, topic, payload, refused.reason, refused.detail, received_at)
        self._take(batch, topic, payload, received_at, parsed, defer_unknown=True)

    def _take(
        self,
        batch: Batch,
        topic: str,
        payload: bytes,
        received_at: float,
        parsed: Parsed,
        defer_unknown: bool,
    ) -> None:
        for raw in parsed.readings:
            meter = self.directory.find(raw.meter_key, raw.key_kind)
            if meter is None:
                self._unknown_meter(
                    batch, topic, payload, received_at, raw.meter_key, defer_unknown
                )
                return  # every reading and peak of a message names the same meter
            try:
                self._point(batch, meter, raw, received_at)
            except Rejection as rejection:
                self._reject(batch, topic, payload, rejection.reason, rejection.detail, received_at)
        for peak in parsed.peaks:
            meter = self.directory.find(peak.meter_key, peak.key_kind)
            if meter is None:
                self._unknown_meter(
                    batch, topic, payload, received_at, peak.meter_key, defer_unknown
                )
                return
            try:
                self._peak(batch, meter, peak, received_at)
            except Rejection as rejection:
                self._reject(batch, topic, payload, rejection.reason, rejection.detail, received_at)

    def _unknown_meter(
        self, batch: Batch, topic: str, payload: bytes, received_at: float, key: str, defer: bool
    ) -> None:
        if defer:
            batch.unknown.append((topic, payload, received_at))
        else:
            self._reject(batch, topic, payload, "unknown_meter", f"no meter {key}", received_at)

    def _peak(
        self, batch: Batch, meter: MeterInfo, peak: PowerPeakReading, received_at: float
    ) -> None:
        if meter.service != "electricity":
            raise Rejection(
                "service_mismatch", f"meter {meter.serial} is {meter.service}, not electricity"
            )
        ts = int(peak.ts.timestamp())
        if ts > received_at + self.future_tolerance_s:
            raise Rejection("future_timestamp", f"{peak.ts.isoformat()} is in the future")
        key = (meter.id, self.calendar.day_of(ts))
        self.counters.peaks += 1
        held = batch.peaks.get(key)
        if held is None or peak.max_va > held[0]:
            batch.peaks[key] = (peak.max_va, peak.subscribed_va)

    def _point(self, batch: Batch, meter: MeterInfo, raw: object, received_at: float) -> None:
        service = getattr(raw, "service", None)
        if service is not None and service != meter.service:
            raise Rejection(
                "service_mismatch", f"meter {meter.serial} is {meter.service}, topic says {service}"
            )
        register = raw.register  # type: ignore[attr-defined]
        if meter.registers and register not in meter.registers:
            if raw.source == "teleinfo":  # type: ignore[attr-defined]
                # A Linky frame carries every index label (EASF03…10 mostly zeros): keep the
                # registers the meter declares, skip the others quietly.
                self.counters.skipped_registers += 1
                return
            raise Rejection("unknown_register", f"meter {meter.serial} has no register {register}")
        unit = raw.unit or meter.unit  # type: ignore[attr-defined]
        if not unit:
            raise Rejection("unit_missing", f"no unit in the payload nor on meter {meter.serial}")
        ts = int(raw.ts.timestamp())  # type: ignore[attr-defined]
        if ts > received_at + self.future_tolerance_s:
            raise Rejection("future_timestamp", f"{raw.ts.isoformat()} is in the future")  # type: ignore[attr-defined]
        value = self.units.to_base(raw.value, unit, meter.service)  # type: ignore[attr-defined]
        series = batch.points.setdefault((meter.id, register), {})
        if ts in series:
            self.counters.duplicates += 1  # same meter, register and instant: stored once
            return
        series[ts] = (value, raw.source, received_at)  # type: ignore[attr-defined]
        batch.size += 1

    def _reject(
        self,
        batch: Batch,
        topic: str,
        payload: bytes,
        reason: str,
        detail: str,
        received_at: float,
    ) -> None:
        self.counters.rejected[reason] += 1
        # Invalid UTF-8 is escaped, and so is NUL, which PostgreSQL text cannot hold.
        text = payload[: PAYLOAD_KEPT * 4].decode("utf-8", errors="backslashreplace")
        text, topic = text.replace("\x00", "\\x00"), topic.replace("\x00", "\\x00")
        batch.rejected.append(
            (topic[:1024], text[:PAYLOAD_KEPT], reason, detail, _utc(received_at))
        )

    async def resolve_unknown(self, batch: Batch) -> None:
        """Give readings of meters imported since the directory was loaded a second chance."""
        if not batch.unknown:
            return
        unknown, batch.unknown = batch.unknown, []
        if self.directory.may_refresh():
            await self.directory.load()
        for topic, payload, received_at in unknown:
            try:
                parsed = parse_payload(
                    topic,
                    payload,
                    now=datetime.fromtimestamp(received_at, UTC),
                    options=self.options,
                )
            except Rejection:  # parsed fine the first time; cannot happen
                continue
            self._take(batch, topic, payload, received_at, parsed, defer_unknown=False)

    async def flush(self, tx: Transaction) -> None:
        """Store everything pending in the transaction `tx`; the caller commits, then acks."""
        await self.write(self.take(), tx)

    async def write(self, batch: Batch, tx: Transaction) -> None:
        """Store `batch` in the transaction `tx`; the caller commits, then acks its messages."""
        await self.resolve_unknown(batch)
        points, rejected, peaks = batch.points, batch.rejected, batch.peaks
        readings: list[ReadingRow] = []
        days: list[DayRow] = []
        flag_updates: list[tuple[str | None, int, str, int]] = []
        seqs: dict[int, int] = {}
        self._arrivals = {}
        if points:
            seqs = await tx.lock_meters(list({key[0] for key in points}))
            known = self.meter_seq
            mine = {m for m, seq in seqs.items() if known.get(m) == seq - 1}
            tails = self.tails
            # The series' last stored instant: from the cache where this worker was the last
            # to write the meter, otherwise (first sight, another worker) from the database.
            lookup = [key for key in points if key[0] not in mine or key not in tails]
            stored_last = await tx.last_ts(lookup) if lookup else {}
            for key, series in points.items():
                last = tails[key].last_seen if key[0] in mine and key in tails else None
                if last is None:
                    last = stored_last.get(key)
                await self._series(tx, key, series, last, readings, days, flag_updates)
        inserted = await tx.insert_readings(readings) if readings else 0
        if days:
            await tx.upsert_days(days)
        if flag_updates:
            await tx.update_flags(flag_updates)
        if peaks:
            rows: list[PeakRow] = [(m, d, v, sub) for (m, d), (v, sub) in peaks.items()]
            await tx.upsert_peaks(rows)
        if rejected:
            await tx.insert_rejected(rejected)
        self.meter_seq.update(seqs)  # the caller commits, or exits on failure
        self.counters.stored += inserted
        self.counters.duplicates += len(readings) - inserted
        self.counters.batches += 1

    async def _series(
        self,
        tx: Transaction,
        key: SeriesKey,
        series: dict[int, tuple[int, str, float]],
        stored_last: int | None,
        readings: list[ReadingRow],
        days: list[DayRow],
        flag_updates: list[tuple[str | None, int, str, int]],
    ) -> None:
        meter = key[0]
        rules = self.directory.by_id[meter].rules
        arrivals = self._arrivals
        new = sorted(series.items())
        tail = self.tails.get(key)
        cached = tail.last_seen if tail else None
        points = ((t, v) for t, (v, _, _) in new)
        if stored_last is None and tail is None:  # a series with nothing stored yet
            result = advance(None, points, rules, self.calendar)
        elif tail and cached == stored_last and (stored_last is None or new[0][0] > stored_last):
            result = advance(tail.state, points, rules, self.calendar)
        else:
            stored = await tx.load_series(key, new[0][0], self._day_start_of)
            known = {p.ts for p in stored}
            self.counters.duplicates += sum(1 for t, _ in new if t in known)
            new = [item for item in new if item[0] not in known]
            if not new:
                self.tails.pop(key, None)
                return
            merged = sorted([(p.ts, p.value) for p in stored] + [(t, v) for t, (v, _, _) in new])
            # Days change from the day of the last accepted reading before the first new one
            # (its end-of-day index moves); the replay starts a day earlier than that.
            before = [p.ts for p in stored if p.flag is None and p.ts < new[0][0]]
            emit_from = self.calendar.day_of(before[-1] if before else new[0][0])
            result = replay(merged, rules, self.calendar, emit_from=emit_from)
            for p in stored:
                if result.flags.get(p.ts, p.flag) != p.flag:
                    flag_updates.append((result.flags[p.ts], meter, key[1], p.ts))
        for ts, (value, source, received) in new:
            flag = result.flags.get(ts)
            if flag:
                self.counters.flagged[flag] += 1
            at = arrivals.get(received)
            if at is None:  # the readings of one message share their arrival time
                at = arrivals[received] = _utc(received)
            readings.append((meter, key[1], ts, value, "measured", flag, at, source))
        for day, (consumption, quality) in result.days.items():
            days.append((meter, key[1], day, consumption, quality))
        last_seen = max([t for t, _ in new] + ([stored_last] if stored_last is not None else []))
        self.tails[key] = _Tail(result.state, last_seen)

    def _day_start_of(self, ts: int) -> int:
        return self.calendar.start_of(self.calendar.day_of(ts))

    def note_committed(self, received: list[float]) -> None:
        now = time.time()
        if received:
            lags = [(now - r) * 1000 for r in received]
            self.counters.lag_ms_max = max(lags)
            self.counters.lag_ms_sum += sum(lags)
            self.counters.lag_count += len(lags)


def _utc(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)
