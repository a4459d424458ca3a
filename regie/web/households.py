"""The household's pages: its use at a glance, its chart with the block thresholds, its bill to
date and forecast, its bills, its alerts and cases, and its committees' proposals (filing and
co-signing). Every object is checked against the identity's household in the handler."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any

from babel.numbers import format_currency, format_decimal
from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Response, Template
from markupsafe import Markup

from committees import evaluation
from committees import proposals as committee_proposals
from committees.charter import ProposalKind
from committees.errors import CommitteeError
from metering.regulation.cases import REPLY_REASONS, CaseNotFound, reply_to_case
from metering.regulation.notices import opened_message
from metering.regulation.rules import Kind
from regie.web import household_data as hd
from regie.web import household_kept as kept
from regie.web import household_usage as hu
from regie.web import i18n, refusals
from regie.web.bill_pdf import bill_pdf as render_bill_pdf
from regie.web.chart_html import chart_figure
from regie.web.charts import build_chart, draw, quantity
from regie.web.fragments import Fragment
from regie.web.guards import require_household
from regie.web.labels import Labels
from regie.web.memo import versions_of
from regie.web.render import page
from regie.web.security import ensure_session
from tariffs.model import TariffProblem
from tariffs.pricer import TELEINFO_REGISTERS

Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
BLOCKS = ("today_figures", "usage_chart", "alerts", "proposals")
DONE = ("filed", "signed", "replied")  # what the page announces after a form without HTMX
TEMPLATE = "households/home.html"
# What a household files from its page, most common first. An overconsumption rule carries a
# rule set as data (metering.regulation.rule_file): drafted by operators, not from this form.
KINDS = [
    ProposalKind.FREE_MOTION, ProposalKind.ACCESS, ProposalKind.TARIFF_CHANGE,
    ProposalKind.EVALUATION, ProposalKind.WORK_ORGANISATION,
]  # fmt: skip


async def household(request: Request[Any, Any, Any]) -> hd.Home:
    """The identity's own household: the only one its pages ever read."""
    who = require_household(request)
    try:
        return await kept.home_of(int(who.household_id or 0), await versions_of(request))
    except hd.NoHousehold:
        raise NotFoundException() from None


def wanted(request: Request[Any, Any, Any]) -> str | None:
    """The block an HTMX request targets (all that needs computing), if it is one of ours."""
    if request.headers.get("hx-request") != "true":
        return None
    target = request.headers.get("hx-target")
    return target if target in BLOCKS else None


def firsts(today: date) -> dict[str, date]:
    return {"day": today, "month": today.replace(day=1), "year": today.replace(month=1, day=1)}


def glance(home: hd.Home, uses: dict[str, hu.Uses]) -> dict[str, Any]:
    """Use per service today, this month and this year (`uses` per scale), each in the unit
    it shows best."""
    figures: dict[str, dict[str, Any]] = {s: {} for s in home.services()}
    for scale, use in uses.items():
        for service in home.services():
            total = sum(hd.shown_registers(use.get(service, {})).values())
            figures[service][scale] = quantity(total, service, scale)
    return {"figures": figures, "uses": uses}


def register_names(versions: list[hd.Version] | None) -> dict[str, str]:
    """Meter registers as the tariff names them (Teleinfo's "hchp" is the tariff's "hp")."""
    names = {"total": i18n.gettext("Total")}
    if versions:
        priced = {rp.register: rp.name for rp in hd.current(versions).register_prices}
        names.update(priced)
        names.update({m: priced[t] for m, t in TELEINFO_REGISTERS.items() if t in priced})
    return names


def charts(
    request: Request[Any, Any, Any],
    home: hd.Home,
    scale: hu.Scale,
    series: dict[str, list[hu.Bucket]],
    tariffs: dict[str, list[hd.Version]],
) -> list[Markup]:
    """Each service's chart as HTML (templates/_components/chart.html)."""
    found = []
    lang = i18n.current.get()  # the registers' names and the chart's words are translated
    for service, buckets in series.items():
        versions = tariffs.get(service)
        bars = tuple((b.start, b.end, tuple(sorted(b.use.items())), b.estimated) for b in buckets)
        key = (service, scale, bars, tuple(versions or ()), home.persons, lang)
        html = DRAWN.get(key)
        if html is None:
            tariff = hd.current(versions) if versions else None
            chart = build_chart(
                service, scale, [(a, b, dict(u), e) for a, b, u, e in bars], tariff,
                home.persons, register_names(versions),
            )  # fmt: skip
            title = Labels.service(service)
            html = DRAWN[key] = chart_figure(request, chart, draw(chart), title)
            while len(DRAWN) > 1024:
                del DRAWN[next(iter(DRAWN))]
        found.append(html)
    return found


# Charts and estimates are pure functions of what they are drawn or priced from (the use of
# each bar, the tariff versions, the household's size and status, the language): kept by
# exactly that, so that a page shown again with the same figures is not drawn, written out
# or priced again.
DRAWN: dict[tuple[Any, ...], Markup] = {}
PRICED: dict[tuple[Any, ...], hd.Estimate | None] = {}


def estimate(
    versions: list[hd.Version], service: str, home: hd.Home, use: dict[str, int], today: date
) -> hd.Estimate | None:
    key = (
        tuple(versions), service, home.persons, home.social, today,
        tuple(sorted(use.items())),
    )  # fmt: skip
    if key not in PRICED:
        PRICED[key] = hd.estimate(versions, service, home, use, today)
        while len(PRICED) > 2048:
            del PRICED[next(iter(PRICED))]
    return PRICED[key]


async def overview(
    home: hd.Home, today: date, usage: hu.Usage, tariffs: dict[str, list[hd.Version]]
) -> dict[str, Any]:
    """Where the household stands in its blocks, and its bill to date with its forecast."""
    standings, estimates = [], []
    for service, versions in tariffs.items():
        if service not in home.services():
            continue
        tariff = hd.current(versions)
        since = hd.period_start(tariff, today)
        if usage.covers(since):
            use = usage.between(since).get(service, {})
        else:  # a tariff taking effect in the middle of a month long gone: read it apart
            use = (await hd.use_between(home, since, today)).get(service, {})
        standings.append(hd.standing(tariff, service, use, home.persons, since, today))
        month = usage.between(today.replace(day=1)).get(service, {})
        found = estimate(versions, service, home, month, today)
        if found is not None:
            estimates.append((found, quantity(found.forecast_use, service, "month")))
    return {"standings": standings, "estimates": estimates}


async def participation(
    request: Request[Any, Any, Any],
    home: hd.Home,
    today: date,
    block: str | None,
    versions: dict[str, int],
    plain: bool,
) -> dict[str, Any]:
    """Alerts and cases, and the committees' proposals (or only the block asked for). A
    `plain` page (no message, error or form values to show) gets each written out once per
    kept read model and language, with this session's CSRF token put in."""
    context: dict[str, Any] = {"reasons": REPLY_REASONS, "kinds": KINDS}
    token = (await ensure_session(request)).csrf_token if plain else ""
    if block in (None, "alerts"):
        alerts = await kept.alerts_of(home, today, versions)
        lang = i18n.current.get()
        context["alerts"] = alerts
        context["case_texts"] = {c.case: case_text(c, lang) for c in alerts.cases}
        if plain:
            shown = {**context, **NO_FORM_STATE}
            html = ALERTS.render(request, home.id, (alerts,), lambda: shown)
            context["alerts_html"] = html.replace(TOKEN_SLOT, token)
    if block in (None, "proposals"):
        committees = context["committees"] = await kept.proposals_of(home, versions)
        if plain:
            shown = {"committees": committees, "kinds": KINDS, **NO_FORM_STATE}
            html = PROPOSALS.render(request, home.id, (committees,), lambda: shown)
            context["proposals_html"] = html.replace(TOKEN_SLOT, token)
    return context


# The alerts and proposals of a household change rarely: written out once (a quarter of the
# page's templating), with a slot where each session's CSRF token goes.
# Bounded by entries: at ~25 KB a use part (its chart included), ~15 KB a chart and a few KB
# the alerts or proposals, these hold at most ~70 MB per worker, the households seen last.
ALERTS = Fragment("households/_alerts.html", size=2048)
USAGE = Fragment("households/_usage.html", size=1024)
PROPOSALS = Fragment("households/_proposals.html", size=2048)
TOKEN_SLOT = f"csrf-slot-{secrets.token_hex(16)}"
NO_FORM_STATE = {"csrf_token": TOKEN_SLOT, "form": {}, "done": "", "error": "", "error_at": ""}


def case_text(case: Any, lang: str) -> str:
    """What the rule saw and what to do, in the page's language (figures are stored)."""
    try:
        return opened_message(Kind(case.kind), case.service, case.figures, lang)
    except (KeyError, ValueError, IndexError):
        return ""


def questionnaire_of(form: dict[str, str]) -> dict[str, Any]:
    """An evaluation's questionnaire from the filing form: its subject, its scale, and one
    criterion per line of the text box (`label: question`), or QuestionnaireError."""
    scale = form["scale"] or evaluation.DEFAULT_SCALE
    found = evaluation.from_lines(form["subject"][:300], form["criteria"][:20000], scale)
    return found.as_details()


def questionnaire_problems(error: evaluation.QuestionnaireError) -> str:
    """What is wrong with a questionnaire typed in the form, in the page's language (the
    form gives a subject, a scale and lines: only these problems can occur from it)."""
    worded = {
        "subject_missing": i18n.gettext("name the provider or service evaluated"),
        "scale": i18n.gettext("the scale runs from 1 to a number between %(min)s and %(max)s"),
        "no_criteria": i18n.gettext("write at least one criterion, one per line"),
        "many_criteria": i18n.gettext("at most %(max)s criteria"),
        "too_long": i18n.gettext("at most %(max)s characters"),
        "twice": i18n.gettext("the criterion “%(label)s” appears twice"),
    }
    found = []
    for problem in error.problems:
        text = worded.get(problem.code)
        found.append(text % dict(problem.params) if text else str(problem))
    return "; ".join(found)


def tariff_problems(problems: Sequence[TariffProblem]) -> str:
    """A refused tariff file's problems, where and why, in the page's language (the domain's
    message says them in English)."""
    found = []
    for problem in problems:
        where = [i18n.gettext("line %(line)s") % {"line": problem.line}] if problem.line else []
        where += [problem.field] if problem.field else []
        reason = i18n.problem_reason(problem)
        if where:
            reason = i18n.gettext("%(where)s: %(reason)s") % {
                "where": ", ".join(where), "reason": reason}  # fmt: skip
        found.append(reason)
    heading = i18n.gettext("The tariff file has problems:")
    return f"{heading} {'; '.join(found)}"


# A household files and co-signs: only households of the territory may (members file from
# the committee's pages).
WORDED = {"not_of_territory": refusals._("Only households of the committee's territory may.")}


def refusal(error: CommitteeError) -> str:
    """Why filing or co-signing was refused, in the page's language."""
    if error.problems:  # an invalid tariff file
        return tariff_problems(error.problems)
    return refusals.refusal(error, WORDED)


def bill_lines(detail: dict[str, Any], currency: str) -> list[dict[str, Any]]:
    """A stored bill's lines, quantities and unit prices shown as stored (never rounded)."""
    locale = i18n.BABEL_LOCALE[i18n.current.get()]
    periods = {"month": i18n.gettext("month"), "quarter": i18n.gettext("quarter"),
               "year": i18n.gettext("year"), "m^3": "m³"}  # fmt: skip
    return [
        {
            "name": line["name"],
            "quantity": format_decimal(Decimal(line["quantity"]), "#,##0.######", locale=locale),
            "unit": periods.get(line["unit"], line["unit"]),
            "unit_price": format_currency(
                Decimal(line["unit_price"]), currency, locale=locale, decimal_quantization=False
            ),
            "vat_rate": i18n.rate(line["vat_rate"]),
            "amount": Decimal(line["amount"]),
        }
        for line in detail.get("lines", [])
    ]


class HouseholdController(Controller):
    path = "/household"
    include_in_schema = False

    @get("/", name="household")
    async def home(
        self,
        request: Request[Any, Any, Any],
        scale: FromQuery[str] = "day",
        done: FromQuery[str] = "",
    ) -> Template:
        home = await household(request)
        return await self._render(request, home, scale=scale, done=done)

    async def _render(
        self,
        request: Request[Any, Any, Any],
        home: hd.Home,
        *,
        scale: str = "day",
        done: str = "",
        **extra: Any,
    ) -> Template:
        today = hd.local_today()
        chart_scale: hu.Scale = scale if scale in hu.SCALES else "day"
        block = wanted(request)
        versions = await versions_of(request)
        context: dict[str, Any] = {"home": home, "today": today, "scale": chart_scale}
        context.update(form={}, error="", error_at="", done=done if done in DONE else "")
        context.update(extra)
        plain = not (context["done"] or context["error"] or context["form"])
        if block == "today_figures":
            context.update(glance(home, {"day": await hd.use_between(home, today, today)}))
        elif block == "usage_chart":
            tariffs = await kept.tariffs_in_force(home, today, versions)
            series = await hd.series(home, chart_scale, today)
            context["charts"] = charts(request, home, chart_scale, series, tariffs)
        elif block is not None:
            context.update(await participation(request, home, today, block, versions, plain))
        else:  # the whole page: one read of use feeds every figure, the chart and the bill
            tariffs = await kept.tariffs_in_force(home, today, versions)
            starts = [hd.period_start(hd.current(v), today) for v in tariffs.values()]
            usage = await hu.read_usage(
                home, today, hu.earliest(chart_scale, today, *starts),
                lambda first, this: kept.months_of(home, first, this, versions),
            )  # fmt: skip

            async def use_shown() -> dict[str, Any]:
                shown: dict[str, Any] = {"home": home, "today": today, "scale": chart_scale}
                shown.update(glance(home, {k: usage.between(d) for k, d in firsts(today).items()}))
                shown.update(await overview(home, today, usage, tariffs))
                shown["charts"] = charts(
                    request, home, chart_scale, usage.series(chart_scale), tariffs
                )
                return shown

            # Kept per everything read: the use, the tariffs, the household. A tariff period
            # the use read does not cover is read apart by `overview`: then not kept.
            whole = all(usage.covers(start) for start in starts)
            context["usage_html"] = await USAGE.render_async(
                request, (home.id, chart_scale, usage.fingerprint()), (home, tariffs), use_shown,
                keep=whole,
            )  # fmt: skip
            context["bills"] = await kept.latest_bills(home, versions)
            context.update(await participation(request, home, today, None, versions, plain))
        return await page(request, TEMPLATE, block, **context)

    async def _answer(
        self, request: Request[Any, Any, Any], home: hd.Home, done: str, **failure: Any
    ) -> Any:
        """After a form: without HTMX, back to the page (303) or the page with the error;
        with HTMX, the block it targets."""
        anchor = "alerts" if done == "replied" else "proposals"
        request.state.data_versions = None  # read again: the form may have changed data
        if not failure and wanted(request) is None:
            return Redirect(f"/household?done={done}#{anchor}", status_code=303)
        if failure:
            failure["error_at"] = anchor
        response = await self._render(request, home, done="" if failure else done, **failure)
        if failure and wanted(request) is None:
            response.status_code = 422
        return response

    @get("/bills", name="household-bills")
    async def bills(self, request: Request[Any, Any, Any]) -> Template:
        home = await household(request)
        found = await hd.bills_of(home)
        return await page(request, "households/bills.html", "bill_list", home=home, bills=found)

    @get("/bills/{number:str}", name="household-bill")
    async def bill(self, request: Request[Any, Any, Any], number: FromPath[str]) -> Template:
        home = await household(request)
        found = await hd.bill_of(home, number)
        if found is None:  # another household's bill does not exist for this one
            raise NotFoundException()
        usage = {r: quantity(v, found.service, "month") for r, v in found.usage.items()}
        lines = bill_lines(found.detail, found.currency)
        return await page(
            request, "households/bill.html", home=home, bill=found, lines=lines, usage=usage
        )

    @get("/bills/{number:str}/pdf", name="household-bill-pdf")
    async def bill_pdf(
        self, request: Request[Any, Any, Any], number: FromPath[str]
    ) -> Response[bytes]:
        """The bill as a PDF file, in the page's language."""
        home = await household(request)
        found = await hd.bill_of(home, number)
        if found is None:  # another household's bill does not exist for this one
            raise NotFoundException()
        usage = {r: quantity(v, found.service, "month") for r, v in found.usage.items()}
        body = render_bill_pdf(found, home, bill_lines(found.detail, found.currency), usage)
        disposition = f'inline; filename="{found.number}.pdf"'
        return Response(body, media_type="application/pdf",
                        headers={"Content-Disposition": disposition})  # fmt: skip

    @post("/proposals", name="household-file", status_code=200)
    async def file(self, request: Request[Any, Any, Any], data: Form) -> Any:
        home = await household(request)
        who = require_household(request)
        fields = ("committee", "kind", "title", "body", "tariff", "subject", "criteria", "scale")
        form = {k: data.get(k, "") for k in fields}
        if not form["committee"].isdigit():
            return await self._answer(request, home, "filed", form=form,
                                      error=i18n.gettext("Choose a committee."))  # fmt: skip
        if int(form["committee"]) not in {c.id for c in await hd.committees_of(home)}:
            raise NotFoundException()
        try:
            details = questionnaire_of(form) if form["kind"] == ProposalKind.EVALUATION else {}
            await committee_proposals.file_proposal(
                who.id, int(form["committee"]), form["kind"], form["title"].strip()[:200],
                body=form["body"][:20000], tariff_text=form["tariff"][:100000],
                details=details, now=datetime.now(UTC),
            )  # fmt: skip
        except evaluation.QuestionnaireError as exc:
            heading = i18n.gettext("The questionnaire cannot be used:")
            why = f"{heading} {questionnaire_problems(exc)}"
            return await self._answer(request, home, "filed", form=form, error=why)
        except CommitteeError as error:
            return await self._answer(request, home, "filed", form=form, error=refusal(error))
        return await self._answer(request, home, "filed")

    @post("/proposals/{proposal:int}/sign", name="household-sign", status_code=200)
    async def sign(self, request: Request[Any, Any, Any], proposal: FromPath[int]) -> Any:
        home = await household(request)
        who = require_household(request)
        mine = {p.proposal.id for c in await hd.proposals_of(home) for p in c.items}
        if proposal not in mine:  # only proposals of its own committees
            raise NotFoundException()
        try:
            await committee_proposals.sign_proposal(who.id, proposal, now=datetime.now(UTC))
        except CommitteeError as error:
            return await self._answer(request, home, "signed", error=refusal(error))
        return await self._answer(request, home, "signed")

    @post("/cases/{case:int}/reply", name="household-reply", status_code=200)
    async def reply(self, request: Request[Any, Any, Any], case: FromPath[int], data: Form) -> Any:
        home = await household(request)
        reason, text = data.get("reason", ""), data.get("text", "").strip()
        if reason not in REPLY_REASONS:
            return await self._answer(request, home, "replied",
                                      error=i18n.gettext("Choose a reason."))  # fmt: skip
        try:
            await reply_to_case(case, household=home.id, reason=reason, text=text)
        except CaseNotFound:  # another household's case does not exist for this one
            raise NotFoundException() from None
        return await self._answer(request, home, "replied")
