"""An overconsumption case as the committee sees it: what the rule saw, the measures taken,
the household's replies and the outcome, without a name or an address, and the committee's
exemption. Every handler checks the seat and that the case is of the committee's territory
and service."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template

from metering.regulation import views as regulation_views
from metering.regulation.cases import CaseClosed, grant_exemption
from regie.web import committees as base
from regie.web import i18n
from regie.web.committees import NotSeated, not_seated, seat
from regie.web.households import case_text
from regie.web.render import page

Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
MAX_REASON = 2000


class CommitteeCaseController(Controller):
    path = "/committees/{committee:int}/cases"
    include_in_schema = False
    exception_handlers = {NotSeated: not_seated}  # noqa: RUF012 (Litestar's class attribute)

    @get("/{case:int}", name="committee-case")
    async def show(
        self, request: Request[Any, Any, Any], committee: int, case: FromPath[int]
    ) -> Template:
        _, found = await seat(request, committee)
        return await self._render(request, found, await self._case(found, case))

    @post("/{case:int}/exemption", name="committee-case-exempt", status_code=200)
    async def exempt(
        self, request: Request[Any, Any, Any], committee: int, case: FromPath[int], data: Form
    ) -> Any:
        """Record the committee's exemption of the household from the case's rule."""
        who, found = await seat(request, committee)
        row = await self._case(found, case)
        reason = data.get("reason", "").strip()
        until_text = data.get("until", "").strip()
        ref = data.get("decision_ref", "").strip()[:128] or None
        form = {"reason": reason, "until": until_text, "decision_ref": ref or ""}
        until = None
        error = ""
        if not reason or len(reason) > MAX_REASON:
            error = i18n.gettext("Give the committee's reason (at most 2,000 characters).")
        elif until_text:
            try:
                until = date.fromisoformat(until_text)
            except ValueError:
                error = i18n.gettext("Dates are written YYYY-MM-DD.")
            else:
                if until < base.today():
                    error = i18n.gettext("An exemption ends today or later.")
        if not error:
            try:
                await grant_exemption(
                    row.case, until=until, reason=reason, decision_ref=ref, by=who.name
                )
            except CaseClosed:
                error = i18n.gettext("This case is closed or already exempted.")
        if error:
            fresh = await self._case(found, case)  # as it is now (another may have acted)
            response = await self._render(request, found, fresh, error=error, form=form)
            response.status_code = 422
            return response
        return Redirect(f"/committees/{committee}/cases/{row.case}?done=exempted", status_code=303)

    async def _case(self, found: Any, case: int) -> regulation_views.QueueRow:
        info = found.committee
        row = await regulation_views.committee_case(case, info.territory, info.service)
        if row is None:  # another territory's or service's case does not exist here
            raise NotFoundException()
        return row

    async def _render(
        self,
        request: Request[Any, Any, Any],
        found: Any,
        row: regulation_views.QueueRow,
        **extra: Any,
    ) -> Template:
        history = await regulation_views.case_history(row.case)
        context: dict[str, Any] = {
            "seat": found, "info": found.committee, "c": row, "history": history,
            "text": case_text(row, i18n.current.get()), "local": base.local, "error": "",
            "form": {}, "done": request.query_params.get("done", ""),
        }  # fmt: skip
        context.update(extra)
        return await page(request, "committees/case.html", **context)
