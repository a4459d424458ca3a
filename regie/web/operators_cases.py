"""Overconsumption cases as the régie's operators follow them: who the household is, what the
rule saw, the measures the rule provides (recorded as they are carried out), the household's
replies, the committee's exemption and the outcome."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template

from metering.regulation import views as regulation_views
from metering.regulation.cases import (
    CaseClosed,
    CaseNotFound,
    MeasureNotAttached,
    measures_of,
    record_measure,
    record_outcome,
)
from regie.web import committees as base
from regie.web import i18n
from regie.web.guards import require_operator
from regie.web.households import case_text
from regie.web.render import page

Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
MAX_TEXT = 2000


class OperatorCaseController(Controller):
    path = "/operator/cases"
    include_in_schema = False

    @get("/", name="operator-cases")
    async def index(
        self, request: Request[Any, Any, Any], closed: FromQuery[bool] = False
    ) -> Template:
        require_operator(request)
        found = await regulation_views.operator_cases(include_closed=closed)
        found.sort(key=lambda c: (c.status != "open", -c.case))
        return await page(request, "operators/cases.html", cases=found[:500], closed=closed,
                          total=len(found))  # fmt: skip

    @get("/{case:int}", name="operator-case")
    async def show(self, request: Request[Any, Any, Any], case: FromPath[int]) -> Template:
        require_operator(request)
        return await self._render(request, case)

    @post("/{case:int}/measures", name="operator-case-measure", status_code=200)
    async def measure(
        self, request: Request[Any, Any, Any], case: FromPath[int], data: Form
    ) -> Template | Redirect:
        """Record that a measure the rule provides was carried out."""
        who = require_operator(request)
        note = data.get("note", "").strip()[:MAX_TEXT]
        try:
            await record_measure(case, data.get("kind", ""), actor=who.login, note=note)
        except CaseNotFound:
            raise NotFoundException() from None
        except CaseClosed:
            return await self._failed(request, case, i18n.gettext("This case is closed."))
        except (MeasureNotAttached, ValueError):
            error = i18n.gettext("Choose one of the measures the rule provides.")
            return await self._failed(request, case, error)
        return Redirect(f"/operator/cases/{case}#history", status_code=303)

    @post("/{case:int}/outcome", name="operator-case-outcome", status_code=200)
    async def outcome(
        self, request: Request[Any, Any, Any], case: FromPath[int], data: Form
    ) -> Template | Redirect:
        """What came of the measures, in words."""
        who = require_operator(request)
        text = data.get("text", "").strip()
        if not text or len(text) > MAX_TEXT:
            error = i18n.gettext("Describe the outcome (at most 2,000 characters).")
            return await self._failed(request, case, error)
        try:
            await record_outcome(case, text, actor=who.login)
        except CaseNotFound:
            raise NotFoundException() from None
        return Redirect(f"/operator/cases/{case}#history", status_code=303)

    async def _failed(self, request: Request[Any, Any, Any], case: int, error: str) -> Template:
        response = await self._render(request, case, error=error)
        response.status_code = 422
        return response

    async def _render(self, request: Request[Any, Any, Any], case: int, **extra: Any) -> Template:
        row = await regulation_views.operator_case(case)
        if row is None:
            raise NotFoundException(f"no case {case}")
        context: dict[str, Any] = {
            "c": row, "history": await regulation_views.case_history(case),
            "measures": await measures_of(case), "text": case_text(row, i18n.current.get()),
            "local": base.local, "error": "",
        }  # fmt: skip
        context.update(extra)
        return await page(request, "operators/case.html", **context)
