"""Operators record the régie's costs (tariffs.costs): lines of cost per service and
territory, withdrawn rather than edited, which committees set against the bills' revenue."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template

from regie.web import i18n
from regie.web import operator_data as views
from regie.web.guards import require_operator
from regie.web.render import page
from tariffs import costs, costs_store

Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
FIELDS = ("service", "territory", "starts_on", "ends_on", "category", "label", "amount")


def field_errors(error: costs.CostError) -> dict[str, str]:
    """The problems of a cost line, field by field, in the page's language."""
    reasons = {
        "service": i18n.gettext("water or electricity"),
        "territory": i18n.gettext("name the territory"),
        "category": i18n.gettext("choose one of the categories"),
        "label": i18n.gettext("a label of 1 to 200 characters"),
        "date": i18n.gettext("a date such as 2026-01-31"),
        "order": i18n.gettext("the last day comes after the first"),
        "span": i18n.gettext("a line covers at most five years"),
        "amount": i18n.gettext("an amount of 0 or more, such as 1234.56"),
        "cents": i18n.gettext("at most two decimals (cents)"),
        "currency": i18n.gettext("a three-letter code such as EUR"),
    }
    names = {
        "service": i18n.gettext("Service"), "territory": i18n.gettext("Territory"),
        "starts_on": i18n.gettext("From"), "ends_on": i18n.gettext("To"),
        "category": i18n.gettext("Category"), "label": i18n.gettext("Label"),
        "amount": i18n.gettext("Amount excl. VAT"), "currency": i18n.gettext("Currency"),
    }  # fmt: skip
    return {names.get(k, k): reasons.get(v, v) for k, v in error.problems.items()}


class OperatorCostController(Controller):
    path = "/operator/costs"
    include_in_schema = False

    async def _page(
        self, request: Request[Any, Any, Any], *, form: dict[str, str] | None = None,
        errors: dict[str, str] | None = None,
    ) -> Template:  # fmt: skip
        today = date.today()
        start = today.replace(month=1, day=1)
        return await page(
            request, "operators/costs.html", lines=await costs_store.listed(),
            categories=costs.CATEGORIES, services=costs.SERVICES,
            territories=await views.territories(), errors=errors or {},
            form=form or {"starts_on": start.isoformat(),
                          "ends_on": start.replace(month=12, day=31).isoformat()},
        )  # fmt: skip

    @get("/", name="operator-costs")
    async def index(self, request: Request[Any, Any, Any]) -> Template:
        require_operator(request)
        return await self._page(request)

    @post("/", name="operator-cost-record", status_code=200)
    async def record(self, request: Request[Any, Any, Any], data: Form) -> Template | Redirect:
        who = require_operator(request)
        form = {k: data.get(k, "") for k in FIELDS}
        try:
            line = costs.parse_line(**form)
        except costs.CostError as error:
            response = await self._page(request, form=form, errors=field_errors(error))
            response.status_code = 422
            return response
        await costs_store.record(line, by=who.login, now=datetime.now(UTC))
        return Redirect("/operator/costs", status_code=303)

    @post("/{cost:int}/withdraw", name="operator-cost-withdraw", status_code=200)
    async def withdraw(self, request: Request[Any, Any, Any], cost: FromPath[int]) -> Redirect:
        who = require_operator(request)
        try:
            await costs_store.withdraw(cost, by=who.login, now=datetime.now(UTC))
        except costs_store.CostNotFound:
            raise NotFoundException(f"no cost line {cost} in force") from None
        return Redirect("/operator/costs", status_code=303)
