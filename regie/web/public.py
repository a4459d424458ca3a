"""The public pages, without login: the landing page, the committees and their members by
college, the decisions with their counts per college, the decision log with its chain head,
and the open aggregate data (use per block per month) as CSV. No personal data: no
household's name, address, reference or login is read here."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from litestar import Controller, Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromQuery
from litestar.response import Template

from committees import log
from committees.service import CommitteeInfo, list_committees, members
from metering.regulation.service import local_today
from metering.units import BASE_UNITS
from regie.web import committee_data as data
from regie.web import committees_usage as usage
from regie.web.render import page
from tariffs.impact import last_twelve_months
from tariffs.service import version_in_force

LOG_PAGE = 50
NO_BLOCK = ""  # a tariff without blocks
# Open data: a cell of fewer households gives no use, which could tell one household's.
MIN_HOUSEHOLDS = 5
CSV_COLUMNS = (
    "service",
    "territory",
    "month",
    "block",
    "households",
    "use_of_households",
    "use_in_block",
    "unit",
)


async def committees_with_members() -> list[dict[str, Any]]:
    """Each committee with its colleges (weight, quorum) and the names of their members."""
    at = datetime.now(UTC)
    found = []
    for info in await list_committees():
        seated = await members(info.id, at)
        colleges = [
            {"name": c.name, "weight": c.weight, "quorum": c.quorum,
             "members": [m.name for m in seated if m.college == c.name]}
            for c in info.charter.colleges
        ]  # fmt: skip
        found.append({"info": info, "colleges": colleges})
    return found


@dataclass(frozen=True)
class BlockMonth:
    """One cell of the open data: the households of a block in a month and their use."""

    service: str
    territory: str
    month: str  # YYYY-MM
    block: str  # "" for a tariff without blocks
    households: int  # households whose use reached this block (their highest)
    use_of_households: int | None  # their use, base units (L, Wh); None: too few households
    use_in_block: int | None  # all households' use priced in this block; None: too few


async def block_months(service: str, territory: str, today: date) -> list[BlockMonth]:
    """Households by block reached in each of the twelve whole months before this one, with
    the tariff in force at each month's end, and their use."""
    start, end = last_twelve_months(today)
    use = await usage.monthly(service, territory, start, end)
    cells: list[BlockMonth] = []
    for i, (first, last) in enumerate(use.spans):
        month = f"{first.year:04d}-{first.month:02d}"
        uses = [u for u in use.over(i, i) if u.sums]
        found = await version_in_force(service, territory, last)
        tariff = found.tariff if found else None
        spread = usage.distribute(tariff, uses, first, last)
        if not spread.blocks:
            total = sum(usage.shown_total(u.sums) for u in uses)
            shown = total if len(uses) >= MIN_HOUSEHOLDS else None
            cells.append(BlockMonth(service, territory, month, NO_BLOCK, len(uses), shown, shown))
            continue
        enough = len(uses) >= MIN_HOUSEHOLDS
        for row in spread.blocks:
            theirs = row.use_of_households if row.households >= MIN_HOUSEHOLDS else None
            cells.append(
                BlockMonth(
                    service, territory, month, row.name, row.households, theirs,
                    row.use if enough else None,
                )
            )  # fmt: skip
    return cells


async def open_data(committees: list[CommitteeInfo] | None = None) -> list[BlockMonth]:
    """Use per block and month for the service and territory of every committee."""
    today = local_today(datetime.now(UTC))
    cells: list[BlockMonth] = []
    for info in committees if committees is not None else await list_committees():
        cells += await block_months(info.service, info.territory, today)
    return cells


def csv_text(cells: list[BlockMonth]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for c in cells:
        writer.writerow(
            [c.service, c.territory, c.month, c.block, c.households,
             "" if c.use_of_households is None else c.use_of_households,
             "" if c.use_in_block is None else c.use_in_block, BASE_UNITS[c.service]]
        )  # fmt: skip
    return out.getvalue()


def log_window(head_seq: int, after: int | None) -> int:
    """The seq after which a page of the log starts: the latest entries by default."""
    if after is None:
        return max(0, head_seq - LOG_PAGE)
    return min(max(0, after), max(0, head_seq - 1))


class PublicController(Controller):
    path = "/"
    include_in_schema = False

    @get("/", name="landing")
    async def landing(self, request: Request[Any, Any, Any]) -> Template:
        seq, digest = await log.head()
        return await page(
            request, "public/landing.html", decisions=(await data.decisions())[:3],
            committees=await list_committees(), head_seq=seq, head=digest,
        )  # fmt: skip

    @get("/public", name="public")
    async def public(self, request: Request[Any, Any, Any]) -> Template:
        seq, digest = await log.head()
        return await page(
            request, "public/index.html", committees=await committees_with_members(),
            decisions=await data.decisions(), head_seq=seq, head=digest,
        )  # fmt: skip

    @get("/public/decisions/{proposal:int}", name="public-decision")
    async def decision(self, request: Request[Any, Any, Any], proposal: int) -> Template:
        found = await data.decisions(proposal=proposal)
        if not found:  # proposals under way are not decisions (yet)
            raise NotFoundException()
        entries = await log.entries(proposal=proposal)
        return await page(request, "public/decision.html", d=found[0], entries=entries)

    @get("/public/log", name="public-log")
    async def log_page(
        self, request: Request[Any, Any, Any], after: FromQuery[int | None] = None
    ) -> Template:
        seq, digest = await log.head()
        start = log_window(seq, after)
        entries = await log.entries(after=start, limit=LOG_PAGE)
        return await page(
            request, "public/log.html", "log_entries", entries=entries, head_seq=seq,
            head=digest, after=start, page_size=LOG_PAGE,
        )  # fmt: skip

    @get("/public/data", name="public-data")
    async def data_page(self, request: Request[Any, Any, Any]) -> Template:
        return await page(
            request, "public/data.html", cells=await open_data(), columns=CSV_COLUMNS,
            minimum=MIN_HOUSEHOLDS, units=BASE_UNITS,
        )  # fmt: skip

    @get("/public/data.csv", name="public-data-csv")
    async def data_csv(self) -> Response[str]:
        return Response(
            csv_text(await open_data()),
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": 'attachment; filename="regie-use-by-block.csv"'},
        )
