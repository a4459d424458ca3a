"""Operators' billing runs (started here, run in a background task of the app, watched by
polling their progress) and drought restriction levels, with their read models."""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template

from metering.regulation.rules import LEVELS
from metering.regulation.service import declare_drought, lift_drought, local_today
from metering.regulation.tables import DroughtRestriction
from regie.tables import Account
from regie.web import operator_data as views
from regie.web.guards import require_operator
from regie.web.i18n import gettext
from regie.web.render import page
from tariffs.billing import RunReport, issue_run, plan_run
from tariffs.billing_plan import month_span, previous_month
from tariffs.tables import BillingRun

log = logging.getLogger("regie.web.billing")
Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
BATCH = 200
"""Bills per transaction in a run started from the web: small enough for the progress bar to
move, large enough to cost little (the monthly job and `regie bill` use larger batches)."""


@dataclass
class BillingJob:
    """A billing run started from this web process, followed while it runs."""

    id: str
    period: str
    territory: str | None
    started_by: str
    started_at: datetime
    phase: str = "planning"  # planning | issuing | done | failed
    total: int = 0
    done: int = 0
    report: RunReport | None = None
    error: str = ""

    @property
    def running(self) -> bool:
        return self.phase in ("planning", "issuing")

    @property
    def percent(self) -> int:
        if self.phase == "done":
            return 100
        return min(99, self.done * 100 // self.total) if self.total else 0


JOBS: dict[str, BillingJob] = {}
_TASKS: set[asyncio.Task[None]] = set()  # strong references: the loop keeps only weak ones


async def _run(job: BillingJob) -> None:
    try:
        plan = await plan_run(job.period, territory=job.territory)
        job.total, job.phase = len(plan.bills), "issuing"

        def advance(count: int) -> None:
            job.done += count

        job.report = await issue_run(plan, batch=BATCH, progress=advance)
        job.phase = "done"
    except Exception as error:  # shown on the run's page; the run's row says "failed"
        log.exception("billing run of %s failed", job.period)
        job.error, job.phase = str(error) or type(error).__name__, "failed"


def start_job(period: str, territory: str | None, who: str) -> BillingJob:
    """Start billing `period` in the background, or return the run of it already going."""
    for job in JOBS.values():
        if job.running and (job.period, job.territory) == (period, territory):
            return job
    job = BillingJob(secrets.token_hex(6), period, territory, who, datetime.now(UTC))
    JOBS[job.id] = job
    task = asyncio.get_running_loop().create_task(_run(job))
    _TASKS.add(task)
    task.add_done_callback(_TASKS.discard)
    return job


async def list_runs(limit: int = 20) -> list[dict[str, Any]]:
    """The latest billing runs, newest first, with their problems as a list."""
    rows = await BillingRun.select().order_by(BillingRun.id, ascending=False).limit(limit)
    for r in rows:
        r["problems"] = [p for p in (r["problems"] or "").splitlines() if p]
    return list(rows)


async def list_restrictions(limit: int = 50) -> list[dict[str, Any]]:
    """Drought restrictions, latest first (withdrawn ones included, marked), with the name of
    the operator who declared each ("operator:<account id>")."""
    rows = await (
        DroughtRestriction.select()
        .order_by(DroughtRestriction.starts_on, ascending=False)
        .order_by(DroughtRestriction.id, ascending=False)
        .limit(limit)
    )
    by = {r["id"]: _operator_id(r["declared_by"]) for r in rows}
    ids = {i for i in by.values() if i is not None}
    names = {
        a["id"]: a["name"]
        for a in await Account.select(Account.id, Account.name).where(
            Account.id.is_in(sorted(ids) or [0])
        )
    }
    for r in rows:
        r["declared_name"] = names.get(by[r["id"]] or 0)
    return list(rows)


def _operator_id(declared_by: str) -> int | None:
    match = re.fullmatch(r"operator:(\d+)", declared_by)
    return int(match.group(1)) if match else None


async def restriction_row(restriction_id: int) -> dict[str, Any] | None:
    found = await DroughtRestriction.select().where(DroughtRestriction.id == restriction_id).first()
    return found


def period_problem(period: str, today: date) -> str | None:
    """Why `period` cannot be billed now: malformed, or not over yet (a run bills a month
    once, so a month billed before its end would never get its last days)."""
    try:
        _, last = month_span(period)
    except ValueError:
        return gettext("A period is a month written YYYY-MM.")
    if last >= today:
        return gettext("This month is not over yet: it can be billed from the 1st of the next.")
    return None


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip()) if text.strip() else None
    except ValueError:
        return None


class OperatorBillingController(Controller):
    path = "/operator"
    include_in_schema = False  # pages and forms: the JSON API is what the schema documents

    async def _billing_page(
        self, request: Request[Any, Any, Any], *, period: str = "", territory: str = "",
        error: str | None = None,
    ) -> Template:  # fmt: skip
        today = local_today(datetime.now(UTC))
        return await page(
            request, "operators/billing.html", runs=await list_runs(),
            jobs=sorted(JOBS.values(), key=lambda j: j.started_at, reverse=True)[:10],
            period=period or previous_month(today), territory=territory, error=error,
            territories=await views.territories(),
        )  # fmt: skip

    @get("/billing", name="operator-billing")
    async def billing(self, request: Request[Any, Any, Any]) -> Template:
        require_operator(request)
        return await self._billing_page(request)

    @post("/billing", name="operator-billing-start", status_code=200)
    async def start(self, request: Request[Any, Any, Any], data: Form) -> Template | Redirect:
        who = require_operator(request)
        period, territory = data.get("period", "").strip(), data.get("territory", "").strip()
        problem = period_problem(period, local_today(datetime.now(UTC)))
        if problem:
            return await self._billing_page(
                request, period=period, territory=territory, error=problem
            )
        job = start_job(period, territory or None, who.login)
        return Redirect(f"/operator/billing/jobs/{job.id}", status_code=303)

    @get("/billing/jobs/{job_id:str}", name="operator-billing-job")
    async def job(self, request: Request[Any, Any, Any], job_id: FromPath[str]) -> Template:
        require_operator(request)
        found = JOBS.get(job_id)
        if found is None:
            raise NotFoundException(f"no billing run {job_id!r} followed by this process")
        return await page(request, "operators/billing_job.html", "billing_progress", job=found)

    async def _restrictions_page(
        self, request: Request[Any, Any, Any], error: str | None = None, form: Any = None
    ) -> Template:
        today = local_today(datetime.now(UTC))
        return await page(
            request, "operators/restrictions.html", restrictions=await list_restrictions(),
            current=await views.current_restrictions(today), levels=LEVELS, today=today,
            territories=await views.territories(), error=error, form=form or {},
        )  # fmt: skip

    @get("/restrictions", name="operator-restrictions")
    async def restrictions(self, request: Request[Any, Any, Any]) -> Template:
        require_operator(request)
        return await self._restrictions_page(request)

    @post("/restrictions", name="operator-restriction-declare", status_code=200)
    async def declare(self, request: Request[Any, Any, Any], data: Form) -> Template | Redirect:
        """Declare a drought level for a territory (every household of it is told)."""
        who = require_operator(request)
        territory = data.get("territory", "").strip()
        level = data.get("level", "")
        starts, ends = _date(data.get("starts_on", "")), _date(data.get("ends_on", ""))
        ref = data.get("decision_ref", "").strip()[:64] or None
        error = None
        if territory not in await views.territories():
            error = gettext("Choose a territory.")
        elif level not in LEVELS:
            error = gettext("Choose a level.")
        elif starts is None or (data.get("ends_on", "").strip() and ends is None):
            error = gettext("Dates are written YYYY-MM-DD.")
        elif ends is not None and ends < starts:
            error = gettext("A restriction ends on or after the day it starts.")
        if error or starts is None:
            return await self._restrictions_page(request, error, data)
        await declare_drought(
            territory, level, starts, ends, declared_by=f"operator:{who.id}", decision_ref=ref
        )
        return Redirect("/operator/restrictions", status_code=303)

    @post("/restrictions/{restriction:int}/lift", name="operator-restriction-lift", status_code=200)
    async def lift(
        self, request: Request[Any, Any, Any], restriction: FromPath[int], data: Form
    ) -> Template | Redirect:
        """End a restriction on a day (inclusive); today by default."""
        require_operator(request)
        found = await restriction_row(restriction)
        if found is None:
            raise NotFoundException(f"no restriction {restriction}")
        ends = _date(data.get("ends_on", "")) or local_today(datetime.now(UTC))
        if ends < views.as_day(found["starts_on"]):
            error = gettext("A restriction ends on or after the day it starts.")
            return await self._restrictions_page(request, error)
        await lift_drought(restriction, ends)
        return Redirect("/operator/restrictions", status_code=303)
