"""The committee pages: the member's committees, and a committee's page with its consumption
dashboard, its overconsumption queue (no personal data) and its proposals. Every handler,
page or fragment, checks that the member sits in the committee (proposals: see
committees_proposals)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.params import FromQuery, Parameter
from litestar.response import Template

from committees.lifecycle import Status
from metering.regulation.service import local_today, regie_zone
from regie.core.accounts import Identity
from regie.web import committee_data as data
from regie.web import committees_charts as charts
from regie.web import i18n
from regie.web.charts import quantity
from regie.web.fragments import Fragment
from regie.web.guards import require_identity
from regie.web.memo import versions_of
from regie.web.render import page
from regie.web.security import identity_of, session_of

TEMPLATE = "committees/committee.html"
BLOCKS = ("queue", "proposals")
QUEUE_PAGE = 25
# The order proposals are listed in: what needs the members first.
STATUS_ORDER = [Status.VOTING, Status.DEBATE, Status.DRAFT, Status.ADOPTED, Status.ENACTED,
                Status.VETOED, Status.REJECTED, Status.NO_QUORUM]  # fmt: skip


def now() -> datetime:
    return datetime.now(UTC)


def today() -> date:
    return local_today(now())


def local(moment: datetime) -> datetime:
    """A stored moment (UTC) in the régie's time zone, as pages show it."""
    return moment.astimezone(regie_zone())


class NotSeated(Exception):
    """Logged in, but not sitting in this committee: the page says so (403)."""

    def __init__(self, reason: str = "not_seated") -> None:
        self.reason = reason
        super().__init__(reason)


async def seat(request: Request[Any, Any, Any], committee: int) -> tuple[Identity, data.Seat]:
    """The identity and its seat in the committee; anyone else is refused."""
    who = require_identity(request)
    found = await data.seat_in(committee, who.id, now(), await versions_of(request))
    if found is None:
        raise NotSeated()
    return who, found


def queue_page(cases: list[Any], page_no: int) -> dict[str, Any]:
    """One page of the queue (`cases` newest first), and the counts of the whole queue."""
    pages = max(1, -(-len(cases) // QUEUE_PAGE))
    page_no = min(page_no, pages)
    counts = Counter((c.kind, c.status) for c in cases)
    return {
        "queue": cases[(page_no - 1) * QUEUE_PAGE : page_no * QUEUE_PAGE],
        "queue_counts": sorted(counts.items()), "queue_total": len(cases),
        "page_no": page_no, "pages": pages,
    }  # fmt: skip


def wanted(request: Request[Any, Any, Any], blocks: tuple[str, ...]) -> str | None:
    """The block an HTMX request targets, if it is one of the page's."""
    if request.headers.get("hx-request") != "true":
        return None
    target = request.headers.get("hx-target")
    return target if target in blocks else None


def not_seated(request: Request[Any, Any, Any], exc: Exception) -> Template:
    """The refusal page of committee routes (exception handler, 403), with its reason."""
    return Template(
        template_name="committees/refused.html",
        context={"reason": getattr(exc, "reason", ""), "who": identity_of(request),
                 "csrf_token": getattr(session_of(request), "csrf_token", ""),
                 "lang": i18n.current.get(), "path": request.url.path},
        status_code=403,
    )  # fmt: skip


# The dashboard and the queue are the same for every member while their read models are kept.
DASHBOARD = Fragment("committees/_dashboard.html", size=64)
QUEUE = Fragment("committees/_queue.html", size=256)


class CommitteeController(Controller):
    path = "/committees"
    include_in_schema = False
    exception_handlers = {NotSeated: not_seated}  # noqa: RUF012 (Litestar's class attribute)

    @get("/", name="committees")
    async def index(self, request: Request[Any, Any, Any]) -> Template:
        who = require_identity(request)
        seats = await data.seats_of(who.id, now())
        return await page(request, "committees/list.html", seats=seats)

    @get("/{committee:int}", name="committee")
    async def committee(
        self,
        request: Request[Any, Any, Any],
        committee: int,
        closed: FromQuery[bool] = False,
        page_no: Annotated[int, Parameter(query="page", ge=1, le=100_000)] = 1,
    ) -> Template:
        _, found = await seat(request, committee)
        info = found.committee
        block = wanted(request, BLOCKS)
        context: dict[str, Any] = {
            "seat": found, "info": info, "closed": closed, "quantity": quantity, "local": local,
        }  # fmt: skip
        board = None
        versions = await versions_of(request)
        if block in (None, "queue"):
            board = await data.dashboard(info, today(), versions)
            cases = await data.queue(info, today(), closed, versions)
            weeks = await data.case_weeks(info, today(), versions)
            context["queue_html"] = QUEUE.render(
                request, (info.id, closed, page_no), (info, cases, weeks),
                lambda: {
                    "info": info, "closed": closed, "quantity": quantity,
                    **queue_page(cases, page_no), **weeks,
                },
            )  # fmt: skip
        if block in (None, "proposals"):
            found_proposals = await data.proposals(info, versions)
            rank = {s.value: i for i, s in enumerate(STATUS_ORDER)}
            found_proposals.sort(key=lambda p: (rank.get(p.status, 99), -p.id))
            context["proposals"] = found_proposals
        if block is None and board is not None:
            shown = board
            costs = await data.costs(info, board.start, board.end, versions)
            context["dashboard_html"] = DASHBOARD.render(
                request, info.id, (info, board, costs),
                lambda: {
                    "info": info, "board": shown, "costs": costs, "quantity": quantity,
                    "histogram": charts.households_by_block(shown.distribution.blocks),
                    "trend": charts.use_by_month(info.service, shown.months, shown.last_year),
                },
            )  # fmt: skip
        return await page(request, TEMPLATE, block, **context)
