"""The public read-only JSON API: committees and their members, decisions with their counts
per college, the decision log with its chain head, and the open aggregates (use per block
per month). No login and no personal data; documented in the OpenAPI schema at /schema."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import Parameter

from committees import log
from metering.units import BASE_UNITS
from regie.web import committee_data as data
from regie.web.public import committees_with_members, open_data

MAX_ENTRIES = 500


@dataclass
class CollegeOut:
    name: str  # public, operators, users (and any the charter adds)
    weight: str  # exact fraction, "1" or "2/3"
    quorum: str
    members: list[str]  # names of the members sitting now


@dataclass
class CommitteeOut:
    id: int
    name: str
    service: str  # water | electricity
    territory: str
    colleges: list[CollegeOut]


@dataclass
class CollegeCountOut:
    college: str
    members: int  # electorate when the vote opened
    yes: int
    no: int
    abstain: int


@dataclass
class DecisionOut:
    proposal: int
    committee: int
    kind: str
    title: str
    status: str  # adopted | rejected | vetoed | no_quorum | enacted
    result: str | None
    rule: str  # the rules applied, e.g. "weighted_majority+users_veto"
    weighted_yes: str | None  # exact fraction
    reasons: list[str]
    closed_at: datetime | None
    effective_on: date | None
    colleges: list[CollegeCountOut]


@dataclass
class HeadOut:
    seq: int  # number of entries
    hash: str  # SHA-256 hex of the last entry (64 zeros for an empty log)


@dataclass
class EntryOut:
    seq: int
    at: str  # ISO 8601, hashed exactly as given
    kind: str
    payload: dict[str, Any]
    prev_hash: str
    hash: str


@dataclass
class LogOut:
    head: HeadOut
    entries: list[EntryOut]


@dataclass
class BlockMonthOut:
    service: str
    territory: str
    month: str  # YYYY-MM
    block: str  # "" for a tariff without blocks
    households: int
    use_of_households: int | None  # base units; null when fewer than 5 households
    use_in_block: int | None
    unit: str  # L | Wh


def _decision(d: data.Decision) -> DecisionOut:
    p = d.proposal
    return DecisionOut(
        proposal=p.id, committee=p.committee, kind=p.kind, title=p.title, status=p.status,
        result=p.result, rule=p.rule, weighted_yes=p.weighted_yes, reasons=list(p.reasons),
        closed_at=p.closed_at, effective_on=p.effective_on,
        colleges=[
            CollegeCountOut(c.college, c.members, c.yes or 0, c.no or 0, c.abstain or 0)
            for c in d.tally.colleges
        ],
    )  # fmt: skip


def not_found(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    """A JSON 404, as documented (the app's own 404 page is HTML)."""
    detail = getattr(exc, "detail", "") or "not found"
    return Response({"status_code": 404, "detail": detail}, status_code=404)


class PublicApiController(Controller):
    path = "/api/public"
    tags = ["public"]  # noqa: RUF012 (Litestar's class attribute)
    exception_handlers = {NotFoundException: not_found}  # noqa: RUF012

    @get("/committees", name="api-public-committees")
    async def committees(self) -> list[CommitteeOut]:
        """The committees, their colleges and the members sitting in each now."""
        return [
            CommitteeOut(
                c["info"].id, c["info"].name, c["info"].service, c["info"].territory,
                [CollegeOut(k["name"], str(k["weight"]), str(k["quorum"]), k["members"])
                 for k in c["colleges"]],
            )
            for c in await committees_with_members()
        ]  # fmt: skip

    @get("/decisions", name="api-public-decisions")
    async def decisions(self) -> list[DecisionOut]:
        """Decided proposals, latest first, with their counts per college."""
        return [_decision(d) for d in await data.decisions()]

    @get("/decisions/{proposal:int}", name="api-public-decision", raises=[NotFoundException])
    async def decision(self, proposal: int) -> DecisionOut:
        """One decision; proposals under way are not found."""
        found = await data.decisions(proposal=proposal)
        if not found:
            raise NotFoundException("no decision with this number")
        return _decision(found[0])

    @get("/log", name="api-public-log")
    async def log_entries(
        self,
        after: Annotated[
            int, Parameter(ge=0, le=2**31 - 1, description="last seq already read")
        ] = 0,
        limit: Annotated[int, Parameter(ge=1, le=MAX_ENTRIES, description="entries at most")] = 100,
    ) -> LogOut:
        """Entries of the decision log after `after`, in order, with the current head."""
        seq, digest = await log.head()
        entries = await log.entries(after=after, limit=limit)
        return LogOut(
            HeadOut(seq, digest),
            [EntryOut(e.seq, e.at, e.kind, dict(e.payload), e.prev_hash, e.hash) for e in entries],
        )

    @get("/log/head", name="api-public-log-head")
    async def head(self) -> HeadOut:
        """The chain head: the hash to copy into minutes."""
        seq, digest = await log.head()
        return HeadOut(seq, digest)

    @get("/usage", name="api-public-usage")
    async def usage(self) -> list[BlockMonthOut]:
        """Use per block and month over the last twelve whole months (see /public/data)."""
        return [
            BlockMonthOut(
                c.service, c.territory, c.month, c.block, c.households, c.use_of_households,
                c.use_in_block, BASE_UNITS[c.service],
            )
            for c in await open_data()
        ]  # fmt: skip
