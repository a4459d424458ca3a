"""The operators' pages: dashboard, households and meters (search, CSV import, detail with raw
readings), rejected readings and ingest health. Tariffs, billing and restrictions live in
operators_tariffs and operators_billing."""

from __future__ import annotations

import re
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromPath, FromQuery, QueryParameter
from litestar.response import Redirect, Template

from metering.service import UnknownMeter, export_readings, export_usage, import_meters
from regie.core.csv_import import ImportError_
from regie.core.households import import_households
from regie.web import operator_data as views
from regie.web.guards import require_operator
from regie.web.i18n import gettext
from regie.web.render import page

Multipart = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]
IMPORTERS = {"households": import_households, "meters": import_meters}
_LINE = re.compile(r"^line (\d+): (.*)$", re.DOTALL)


def line_problems(problems: list[str]) -> list[dict[str, Any]]:
    """Import problems as (line, reason): "line 3: persons must be…" → {line: 3, reason: …}."""
    out: list[dict[str, Any]] = []
    for problem in problems:
        match = _LINE.match(problem)
        if match:
            out.append({"line": int(match.group(1)), "reason": match.group(2)})
        else:
            out.append({"line": None, "reason": problem})
    return out


def decoded(upload: Any) -> str:
    """The text of an uploaded CSV file (UTF-8, with or without the BOM spreadsheets add);
    Litestar refuses bodies above its limit (10 MB) before the handler runs."""
    raw = upload if isinstance(upload, bytes) else b""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportError_([gettext("The file is not UTF-8 text (byte %(at)s).") % {
            "at": error.start}]) from None  # fmt: skip


async def _export(export: Any, serial: str) -> str:
    try:
        return str(await export(serial))
    except UnknownMeter:
        raise NotFoundException(f"no meter {serial!r}") from None


def _csv(text: str, filename: str) -> Response[str]:
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", filename)
    return Response(
        text, media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{safe}"'},
    )  # fmt: skip


class OperatorController(Controller):
    path = "/operator"
    include_in_schema = False  # pages and forms: the JSON API is what the schema documents

    @get("/", name="operator-dashboard")
    async def dashboard(self, request: Request[Any, Any, Any]) -> Template:
        require_operator(request)
        return await page(
            request, "operators/dashboard.html", counts=await views.dashboard_counts()
        )

    @get("/households", name="operator-households")
    async def households(self, request: Request[Any, Any, Any], q: FromQuery[str] = "") -> Template:
        require_operator(request)
        found = await views.search_households(q)
        return await page(
            request, "operators/households.html", "household_results", q=q, found=found,
            limit=views.SEARCH_LIMIT,
        )  # fmt: skip

    @get("/households/{reference:str}", name="operator-household")
    async def household(
        self, request: Request[Any, Any, Any], reference: FromPath[str]
    ) -> Template:
        require_operator(request)
        detail = await views.household_detail(reference)
        if detail is None:
            raise NotFoundException(f"no household {reference!r}")
        return await page(request, "operators/household.html", **detail)

    @get("/meters", name="operator-meters")
    async def meters(self, request: Request[Any, Any, Any], q: FromQuery[str] = "") -> Template:
        require_operator(request)
        found = await views.search_meters(q)
        return await page(
            request, "operators/meters.html", "meter_results", q=q, found=found,
            limit=views.SEARCH_LIMIT,
        )  # fmt: skip

    @get("/meters/{serial:str}", name="operator-meter")
    async def meter(
        self,
        request: Request[Any, Any, Any],
        serial: FromPath[str],
        page_: Annotated[int, QueryParameter(name="page")] = 1,
        flagged: FromQuery[bool] = False,
    ) -> Template:
        require_operator(request)
        detail = await views.meter_detail(serial, page_, flagged)
        if detail is None:
            raise NotFoundException(f"no meter {serial!r}")
        return await page(
            request, "operators/meter.html", "meter_readings", d=detail,
            chart=views.usage_bars(detail.usage),
        )  # fmt: skip

    @get("/meters/{serial:str}/readings.csv", name="operator-meter-readings-csv")
    async def readings_csv(
        self, request: Request[Any, Any, Any], serial: FromPath[str]
    ) -> Response[str]:
        require_operator(request)
        return _csv(await _export(export_readings, serial), f"{serial}-readings.csv")

    @get("/meters/{serial:str}/usage.csv", name="operator-meter-usage-csv")
    async def usage_csv(
        self, request: Request[Any, Any, Any], serial: FromPath[str]
    ) -> Response[str]:
        require_operator(request)
        return _csv(await _export(export_usage, serial), f"{serial}-usage.csv")

    @get("/import/{kind:str}", name="operator-import")
    async def import_page(
        self,
        request: Request[Any, Any, Any],
        kind: FromPath[str],
        created: FromQuery[int | None] = None,
        updated: FromQuery[int | None] = None,
    ) -> Template:
        require_operator(request)
        if kind not in IMPORTERS:
            raise NotFoundException(f"nothing to import as {kind!r}")
        done = None if created is None else {"created": created, "updated": updated or 0}
        return await page(
            request, "operators/import.html", "import_result", kind=kind, done=done, problems=[]
        )

    @post("/import/{kind:str}", name="operator-import-post", status_code=200)
    async def import_csv(
        self, request: Request[Any, Any, Any], kind: FromPath[str], data: Multipart
    ) -> Template | Redirect:
        """All or nothing: a file with a bad row imports nothing and shows each bad line."""
        require_operator(request)
        importer = IMPORTERS.get(kind)
        if importer is None:
            raise NotFoundException(f"nothing to import as {kind!r}")
        upload = data.get("file")
        try:
            if not isinstance(upload, UploadFile) or not upload.filename:
                raise ImportError_([gettext("Choose a CSV file to import.")])
            created, updated = await importer(decoded(await upload.read()))
        except ImportError_ as error:
            return await page(
                request, "operators/import.html", "import_result", kind=kind, done=None,
                problems=line_problems(error.problems),
            )  # fmt: skip
        return Redirect(
            f"/operator/import/{kind}?created={created}&updated={updated}", status_code=303
        )

    @get("/rejected", name="operator-rejected")
    async def rejected(self, request: Request[Any, Any, Any]) -> Template:
        require_operator(request)
        return await page(
            request, "operators/rejected.html", reasons=await views.rejected_by_reason()
        )

    @get("/ingest", name="operator-ingest")
    async def ingest(self, request: Request[Any, Any, Any]) -> Template:
        require_operator(request)
        return await page(
            request, "operators/ingest.html", "ingest_counters", health=await views.ingest_view()
        )
