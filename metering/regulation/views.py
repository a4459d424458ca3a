"""What each audience reads: the committee's queue (no names), the operator's, the household's
cases and messages, the committee dashboard, and the messages waiting for an email."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from typing import Any

from metering.regulation.episodes import ENDED, ENDED_AFTER_NOTICE
from metering.regulation.tables import RegulationCase, RegulationCaseEvent, RegulationNotice

_C = RegulationCase


@dataclass(frozen=True)
class QueueRow:
    """A case as the committee sees it: the household's reference, never who it is
    (DESIGN: committee members review cases without names or addresses)."""

    case: int
    household: str  # the household's reference (abonné number)
    persons: int
    social: bool  # eligible for the social band
    band: str | None  # price band, when the caller knows it (tariffs sit above metering)
    service: str
    rule: str
    kind: str
    status: str
    opened_on: date
    last_active: date
    closed_on: date | None
    outcome: str | None
    figures: dict[str, Any]
    volume: int
    measures: tuple[str, ...]  # measures taken so far, in order
    replies: int  # the household's replies

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["measures"] = list(self.measures)
        return {k: v.isoformat() if isinstance(v, date) else v for k, v in out.items()}


@dataclass(frozen=True)
class OperatorRow(QueueRow):
    """A case as the régie's operators see it: who the household is and where it lives."""

    household_id: int
    name: str
    address: str


_QUEUE_COLUMNS = (
    _C.id,
    _C.household,
    _C.household.reference.as_alias("reference"),
    _C.household.persons.as_alias("persons"),
    _C.household.social.as_alias("social"),
    _C.service,
    _C.rule,
    _C.kind,
    _C.status,
    _C.opened_on,
    _C.last_active,
    _C.closed_on,
    _C.outcome,
    _C.figures,
    _C.volume,
)


# Operators also see who the household is and where it lives.
_OPERATOR_COLUMNS = (
    *_QUEUE_COLUMNS,
    _C.household.name.as_alias("name"),
    _C.household.address.as_alias("address"),
)


async def committee_queue(
    territory: str,
    service: str | None = None,
    *,
    include_closed: bool = False,
    bands: Mapping[int, str] | None = None,
) -> list[QueueRow]:
    """The committee's queue of a territory: no name or address is even read."""
    rows = await _select(_QUEUE_COLUMNS, territory, service, include_closed)
    return await _rows(rows, bands, operator=False)


async def operator_cases(
    territory: str | None = None,
    service: str | None = None,
    *,
    include_closed: bool = False,
    bands: Mapping[int, str] | None = None,
) -> list[OperatorRow]:
    """The operators' list of cases, with the household's name and address."""
    rows = await _select(_OPERATOR_COLUMNS, territory, service, include_closed)
    return await _rows(rows, bands, operator=True)  # type: ignore[return-value]


async def committee_case(case_id: int, territory: str, service: str) -> QueueRow | None:
    """One case as the committee sees it (no name or address is read), if it is of the
    committee's territory and service."""
    rows = (
        await _C.select(*_QUEUE_COLUMNS)
        .where((_C.id == case_id) & (_C.territory == territory) & (_C.service == service))
        .output(load_json=True)
    )
    found = await _rows(rows, None, operator=False)
    return found[0] if found else None


async def operator_case(case_id: int) -> OperatorRow | None:
    """One case as the régie's operators see it, with who the household is."""
    rows = await _C.select(*_OPERATOR_COLUMNS).where(_C.id == case_id).output(load_json=True)
    found = await _rows(rows, None, operator=True)
    return found[0] if found else None  # type: ignore[return-value]


async def household_cases(household: int) -> list[QueueRow]:
    """A household's own cases, open and closed, most recent first."""
    rows = (
        await _C.select(*_QUEUE_COLUMNS)
        .where(_C.household == household)
        .order_by(_C.id, ascending=False)
        .output(load_json=True)
    )
    return await _rows(rows, None, operator=False)


async def _select(
    columns: Sequence[Any], territory: str | None, service: str | None, closed: bool
) -> list[dict[str, Any]]:
    query = _C.select(*columns).order_by(_C.opened_on).order_by(_C.id).output(load_json=True)
    if territory is not None:
        query = query.where(_C.territory == territory)
    if service is not None:
        query = query.where(_C.service == service)
    if not closed:
        query = query.where(_C.status != "closed")
    return await query


async def _rows(
    rows: list[dict[str, Any]], bands: Mapping[int, str] | None, *, operator: bool
) -> list[QueueRow]:
    measures: dict[int, list[str]] = defaultdict(list)
    replies: dict[int, int] = defaultdict(int)
    if rows:
        events = (
            await RegulationCaseEvent.select(
                RegulationCaseEvent.case, RegulationCaseEvent.kind, RegulationCaseEvent.data
            )
            .where(
                RegulationCaseEvent.case.is_in([r["id"] for r in rows])
                & RegulationCaseEvent.kind.is_in(["measure", "reply"])
            )
            .order_by(RegulationCaseEvent.id)
            .output(load_json=True)
        )
        for e in events:
            if e["kind"] == "measure":
                measures[e["case"]].append(e["data"].get("kind", ""))
            else:
                replies[e["case"]] += 1
    out: list[QueueRow] = []
    for r in rows:
        common = dict(
            case=r["id"],
            household=r["reference"],
            persons=r["persons"],
            social=bool(r["social"]),
            band=(bands or {}).get(r["household"]),
            service=r["service"],
            rule=r["rule"],
            kind=r["kind"],
            status=r["status"],
            opened_on=r["opened_on"],
            last_active=r["last_active"],
            closed_on=r["closed_on"],
            outcome=r["outcome"],
            figures=r["figures"],
            volume=r["volume"],
            measures=tuple(measures[r["id"]]),
            replies=replies[r["id"]],
        )
        if operator:
            extra = dict(household_id=r["household"], name=r["name"], address=r["address"])
            out.append(OperatorRow(**common, **extra))
        else:
            out.append(QueueRow(**common))
    return out


@dataclass(frozen=True)
class Dashboard:
    """The committee dashboard over a period (cases opened from `since` to `until`)."""

    opened_by_rule_and_week: dict[str, dict[str, int]]  # rule → ISO week "2026-W31" → cases
    volume_by_rule: dict[str, int]  # L or Wh involved, cases opened in the period
    opened: int
    still_open: int
    ended: int  # closed because the condition ended
    ended_after_notice: int  # … with the information notice as the only measure


async def dashboard(territory: str, service: str, *, since: date, until: date) -> Dashboard:
    rows = await _C.select(_C.rule, _C.opened_on, _C.status, _C.outcome, _C.volume).where(
        (_C.territory == territory)
        & (_C.service == service)
        & (_C.opened_on >= since)
        & (_C.opened_on <= until)
    )
    weeks: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    volume: dict[str, int] = defaultdict(int)
    for r in rows:
        year, week, _ = r["opened_on"].isocalendar()
        weeks[r["rule"]][f"{year}-W{week:02d}"] += 1
        volume[r["rule"]] += r["volume"]
    outcomes = [r["outcome"] for r in rows]
    return Dashboard(
        opened_by_rule_and_week={rule: dict(w) for rule, w in weeks.items()},
        volume_by_rule=dict(volume),
        opened=len(rows),
        still_open=sum(1 for r in rows if r["status"] != "closed"),
        ended=sum(1 for o in outcomes if o in (ENDED, ENDED_AFTER_NOTICE)),
        ended_after_notice=outcomes.count(ENDED_AFTER_NOTICE),
    )


@dataclass(frozen=True)
class Notice:
    id: int
    household: int
    case: int | None
    kind: str  # case_opened | case_closed | drought
    message: str
    figures: dict[str, Any]
    created_at: datetime
    read_at: datetime | None


def _notice(r: dict[str, Any]) -> Notice:
    return Notice(
        r["id"], r["household"], r["case"], r["kind"], r["message"], r["figures"],
        r["created_at"], r["read_at"],
    )  # fmt: skip


async def household_notices(household: int, *, unread_only: bool = False) -> list[Notice]:
    """A household's in-app messages, newest first."""
    query = RegulationNotice.select().where(RegulationNotice.household == household)
    if unread_only:
        query = query.where(RegulationNotice.read_at.is_null())
    rows = await query.order_by(RegulationNotice.id, ascending=False).output(load_json=True)
    return [_notice(r) for r in rows]


async def mark_read(household: int, ids: Sequence[int], now: datetime | None = None) -> None:
    if ids:
        await RegulationNotice.update({RegulationNotice.read_at: now or datetime.now(UTC)}).where(
            (RegulationNotice.household == household) & RegulationNotice.id.is_in(list(ids))
        )


async def pending_emails(limit: int = 500) -> list[Notice]:
    """Messages not yet sent by email, oldest first, for the notify module to send."""
    rows = (
        await RegulationNotice.select()
        .where(RegulationNotice.emailed_at.is_null())
        .order_by(RegulationNotice.id)
        .limit(limit)
        .output(load_json=True)
    )
    return [_notice(r) for r in rows]


async def mark_emailed(ids: Sequence[int], now: datetime | None = None) -> None:
    if ids:
        await RegulationNotice.update(
            {RegulationNotice.emailed_at: now or datetime.now(UTC)}
        ).where(RegulationNotice.id.is_in(list(ids)))


@dataclass(frozen=True, slots=True)
class CaseEvent:
    at: datetime
    kind: str
    actor: str
    text: str
    data: dict[str, Any]


async def case_history(case_id: int) -> list[CaseEvent]:
    """A case's history in order: opened, measures, replies, exemption, outcome, closed."""
    rows = (
        await RegulationCaseEvent.select()
        .where(RegulationCaseEvent.case == case_id)
        .order_by(RegulationCaseEvent.id)
        .output(load_json=True)
    )
    return [CaseEvent(r["at"], r["kind"], r["actor"], r["text"], r["data"]) for r in rows]
