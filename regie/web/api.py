"""The household's read-only JSON API: its use by day, month or year and its bills, for the
caller's own household only (documented in Litestar's OpenAPI schema at /schema)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from litestar import Controller, Request, get
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.params import FromQuery

from metering.units import BASE_UNITS
from regie.web import household_data as hd
from regie.web.security import identity_of
from tariffs.bills import IssuedBill


@dataclass
class UsagePoint:
    """The use of one day, month or year, per meter register, in base units (L or Wh)."""

    start: date
    end: date  # inclusive; a month or year under way ends today
    use: dict[str, int]
    estimated: bool  # some day of it was estimated (no reading then)


@dataclass
class ServiceUsage:
    service: str  # water | electricity
    unit: str  # L for water, Wh for electricity
    points: list[UsagePoint]


@dataclass
class UsageReport:
    household: str  # the household's reference
    period: str
    today: date  # in the régie's time zone
    services: list[ServiceUsage]


@dataclass
class BillLine:
    name: str
    quantity: str  # decimal, up to six places
    unit: str
    unit_price: str  # decimal, excl. VAT
    vat_rate: str  # percent
    amount: str  # decimal with two places, excl. VAT


@dataclass
class BillOut:
    number: str
    kind: str  # bill | credit_note
    service: str
    period: str  # YYYY-MM
    span_start: date
    span_end: date
    days: int
    estimated_days: int
    usage: dict[str, int]  # base units per meter register
    currency: str
    total_excl_vat: str
    total_vat: str
    total: str
    lines: list[BillLine]
    issued_at: datetime
    cancels: str | None
    replaces: str | None


async def caller_home(request: Request[Any, Any, Any]) -> hd.Home:
    """The caller's own household: 401 without a session, 403 for an account without one."""
    who = identity_of(request)
    if who is None:
        raise NotAuthorizedException("log in first")
    if who.household_id is None:
        raise PermissionDeniedException("this API is for households")
    try:
        return await hd.home_of(who.household_id)
    except hd.NoHousehold:
        raise PermissionDeniedException("no such household") from None


def bill_out(bill: IssuedBill) -> BillOut:
    detail = bill.detail
    lines = [
        BillLine(
            line["name"], line["quantity"], line["unit"], line["unit_price"],
            line["vat_rate"], line["amount"],
        )
        for line in detail.get("lines", [])
    ]  # fmt: skip
    return BillOut(
        number=bill.number,
        kind=bill.kind,
        service=bill.service,
        period=bill.period,
        span_start=bill.span_start,
        span_end=bill.span_end,
        days=bill.days,
        estimated_days=bill.estimated_days,
        usage=bill.usage,
        currency=bill.currency,
        total_excl_vat=detail.get("total_excl_vat", ""),
        total_vat=detail.get("total_vat", ""),
        total=detail.get("total", ""),
        lines=lines,
        issued_at=bill.issued_at,
        cancels=bill.cancels,
        replaces=bill.replaces,
    )


class HouseholdApiController(Controller):
    path = "/api/household"
    tags = ["household"]  # noqa: RUF012 - Litestar reads it as a class attribute

    @get("/usage", name="api-household-usage")
    async def usage(
        self,
        request: Request[Any, Any, Any],
        period: FromQuery[Literal["day", "month", "year"]] = "day",
    ) -> UsageReport:
        """The caller's household use: the last 31 days, 12 months or years with use."""
        home = await caller_home(request)
        today = hd.local_today()
        found = await hd.series(home, period, today)
        services = [
            ServiceUsage(
                service,
                BASE_UNITS[service],
                [UsagePoint(b.start, b.end, dict(b.use), b.estimated) for b in buckets],
            )
            for service, buckets in found.items()
        ]
        return UsageReport(home.reference, period, today, services)

    @get("/bills", name="api-household-bills")
    async def bills(self, request: Request[Any, Any, Any]) -> list[BillOut]:
        """The caller's household bills and credit notes, newest first, with their lines."""
        home = await caller_home(request)
        return [bill_out(b) for b in await hd.bills_of(home)]
