"""What a household's pages read about it: its meters and their use by day, month and year,
where it stands in its tariff's blocks, its bill to date and forecast, its bills, alerts and
its committees' proposals. Web-side read models; callers pass the household of the identity."""

from __future__ import annotations

import calendar
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

from piccolo.query.functions.aggregate import Sum

from committees import proposals as committee_proposals
from committees.lifecycle import COMMENTABLE, Status
from committees.service import CommitteeInfo, list_committees
from metering.regulation import service as regulation
from metering.regulation import views as regulation_views
from metering.tables import DailyUsage, Meter
from metering.units import BASE_UNITS
from regie.settings import get_settings
from regie.tables import Household
from regie.web.household_usage import Bucket, Scale, buckets, read_usage
from tariffs import bills as tariff_bills
from tariffs import service as tariff_service
from tariffs.engine import PricingError, conversion_factor
from tariffs.fast import Priced
from tariffs.model import Tariff
from tariffs.money import period_bounds, period_share
from tariffs.pricer import Pricer, Use, Version, tariff_uses
from tariffs.tables import Bill

SERVICES = ("water", "electricity")


def local_today() -> date:
    """Today in the régie's time zone (days of use run from local midnight to midnight)."""
    return datetime.now(ZoneInfo(get_settings().timezone)).date()


class NoHousehold(LookupError):
    """The identity's household does not exist (any more)."""


@dataclass(frozen=True)
class Home:
    id: int
    reference: str
    name: str
    persons: int
    social: bool
    territory: str
    meters: dict[int, str]  # meter id → service

    def services(self) -> list[str]:
        found = set(self.meters.values())
        return [s for s in SERVICES if s in found]

    def meters_of(self, service: str) -> list[int]:
        return [m for m, s in self.meters.items() if s == service]


async def home_of(household: int) -> Home:
    row = await Household.select().where(Household.id == household).first()
    if row is None:
        raise NoHousehold(household)
    meters = await Meter.select(Meter.id, Meter.service).where(Meter.household == household)
    return Home(
        row["id"], row["reference"], row["name"], row["persons"], bool(row["social"]),
        row["territory"], {m["id"]: m["service"] for m in meters},
    )  # fmt: skip


# -- use ---------------------------------------------------------------------------------


def shown_registers(use: dict[str, int]) -> dict[str, int]:
    """The registers to show: a multi-register meter's `total` repeats the others."""
    named = {r: v for r, v in use.items() if r != "total"}
    return dict(sorted(named.items())) if named else {"total": use.get("total", 0)}


async def use_between(home: Home, start: date, end: date) -> dict[str, dict[str, int]]:
    """Use per service and meter register (base units: L, Wh), `start`..`end` inclusive."""
    if not home.meters:
        return {}
    rows = (
        await DailyUsage.select(
            DailyUsage.meter, DailyUsage.register, Sum(DailyUsage.consumption, alias="use")
        )
        .where(DailyUsage.meter.is_in(list(home.meters)))
        .where((DailyUsage.day >= start) & (DailyUsage.day <= end))
        .group_by(DailyUsage.meter, DailyUsage.register)
    )
    out: dict[str, dict[str, int]] = defaultdict(dict)
    for r in rows:
        into = out[home.meters[r["meter"]]]
        into[r["register"]] = into.get(r["register"], 0) + int(r["use"] or 0)
    return dict(out)


async def series(home: Home, scale: Scale, today: date) -> dict[str, list[Bucket]]:
    """Per service, the bars of `scale` up to today (no bar after today)."""
    return (await read_usage(home, today, buckets(scale, today)[0][0])).series(scale)


# -- tariff: blocks, bill to date, forecast ----------------------------------------------


async def tariffs_in_force(home: Home, today: date) -> dict[str, list[Version]]:
    """Per service, the tariff versions of the household's territory up to today."""
    found = await tariff_service.versions_until(today, home.territory)
    return {service: versions for (service, _), versions in found.items()}


def current(versions: Sequence[Version]) -> Tariff:
    return max(versions, key=lambda v: v.tariff.valid_from).tariff


def to_unit(base_use: int | Fraction, service: str, unit: str) -> Fraction:
    """Use in base units (L, Wh) in another unit of the service ("m^3", "kWh")."""
    return Fraction(base_use) * conversion_factor(BASE_UNITS[service], unit)


@dataclass(frozen=True)
class Allowance:
    """One block for this household: its threshold for a whole tariff period and up to today
    (prorated by days, as bills prorate it: tariffs.money rule 5), in the tariff's unit."""

    name: str
    threshold: Decimal | None  # None: the open-ended last block
    to_date: Decimal | None


@dataclass(frozen=True)
class Standing:
    """Where the household stands in its blocks since the start of the tariff period."""

    service: str
    unit: str
    period: str
    since: date
    used: Decimal  # in the tariff's unit
    block: Allowance | None  # the block its use has reached (None: the tariff has no blocks)
    allowances: tuple[Allowance, ...]


def standing(
    tariff: Tariff, service: str, use: dict[str, int], persons: int, since: date, today: date
) -> Standing:
    """`use` is the use since `since` (the start of the tariff period, or of the tariff)."""
    share = period_share(tariff.period, since, today)
    try:
        uses = dict(zip(tariff.registers, tariff_uses(tariff, use), strict=True))
    except PricingError:
        uses = {"total": sum(shown_registers(use).values())}
    blocked = uses.get(tariff.block_register, 0) if tariff.block_register else sum(uses.values())
    used = to_unit(blocked, service, tariff.unit)
    allowances = []
    for block in tariff.blocks:
        threshold = block.threshold(persons)
        to_date = None if threshold is None else _dec(Fraction(threshold) * share)
        allowances.append(Allowance(block.name, threshold, to_date))
    reached = next(
        (a for a in allowances if a.threshold is None or used <= Fraction(a.threshold)),
        allowances[-1] if allowances else None,
    )
    return Standing(
        service, tariff.unit, tariff.period, since, _dec(used), reached, tuple(allowances)
    )


def period_start(tariff: Tariff, today: date) -> date:
    return max(period_bounds(tariff.period, today)[0], tariff.valid_from)


def _dec(value: Fraction, places: int = 3) -> Decimal:
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(
        Decimal(1).scaleb(-places)
    )


@dataclass(frozen=True)
class Estimate:
    """The bill of the month so far (priced on the use to date), and its forecast: the use so
    far extrapolated linearly over the days of the month, priced for the whole month."""

    service: str
    currency: str
    start: date
    today: date
    end: date
    to_date: dict[str, Any]  # the bill as the engine writes it (Bill.as_dict)
    forecast: dict[str, Any]
    forecast_use: int  # base units, all registers shown


def estimate(
    versions: Sequence[Version], service: str, home: Home, use: dict[str, int], today: date
) -> Estimate | None:
    """None when the month cannot be priced (no tariff yet, registers it does not know)."""
    start = today.replace(day=1)
    end = today.replace(day=calendar.monthrange(today.year, today.month)[1])
    elapsed, days = (today - start).days + 1, (end - start).days + 1
    ahead = {r: v * days // elapsed for r, v in use.items()}
    pricer = Pricer()
    try:
        so_far = _price(pricer, versions, service, home, start, today, use)
        forecast = _price(pricer, versions, service, home, start, end, ahead)
    except PricingError:
        return None
    shown = sum(shown_registers(ahead).values())
    currency = current(versions).currency
    return Estimate(service, currency, start, today, end, so_far, forecast, shown)


def _price(
    pricer: Pricer,
    versions: Sequence[Version],
    service: str,
    home: Home,
    start: date,
    end: date,
    use: dict[str, int],
) -> dict[str, Any]:
    parts = ((start, tuple(sorted(use.items()))),)
    bill: Priced = pricer.price(
        versions, Use(service, home.persons, home.social, start, end, parts)
    )[0]
    return dict(json.loads(bill.detail))


# -- bills, alerts, proposals ------------------------------------------------------------


async def bills_of(home: Home, limit: int | None = None) -> list[tariff_bills.IssuedBill]:
    """The household's bills and credit notes, newest first (the `limit` newest)."""
    return await tariff_bills.list_bills(household=home.id, newest_first=True, limit=limit)


async def latest_bills(home: Home, limit: int) -> list[dict[str, Any]]:
    """The `limit` newest bills and credit notes of the household, as its page lists them
    (number, service, period, total, currency, kind): one light query."""
    rows: list[dict[str, Any]] = await (
        Bill.select(
            Bill.number, Bill.service, Bill.period, Bill.total_cents, Bill.currency, Bill.kind
        )
        .where(Bill.household == home.id)
        .order_by(Bill.year, ascending=False)
        .order_by(Bill.seq, ascending=False)
        .limit(limit)
    )
    return rows


async def bill_of(home: Home, number: str) -> tariff_bills.IssuedBill | None:
    """The bill `number` if it is this household's; another household's is not found."""
    try:
        bill = await tariff_bills.get_bill(number)
    except tariff_bills.BillNotFound:
        return None
    return bill if bill.household == home.id else None


@dataclass(frozen=True)
class Alerts:
    cases: list[regulation_views.QueueRow]  # open and exempted first, then closed
    notices: list[regulation_views.Notice]
    drought: str | None  # the drought level of the territory today


async def alerts_of(home: Home, today: date, notices: int = 5) -> Alerts:
    cases = await regulation_views.household_cases(home.id)
    cases.sort(key=lambda c: c.status == "closed")
    messages = (await regulation_views.household_notices(home.id))[:notices]
    level = await regulation.drought_level(home.territory, today)
    return Alerts(cases, messages, None if level is None else str(level))


@dataclass(frozen=True)
class ProposalItem:
    proposal: committee_proposals.ProposalView
    signatures: int
    signed: bool  # co-signed by this household
    own: bool  # filed by this household
    can_sign: bool


@dataclass(frozen=True)
class CommitteeProposals:
    committee: CommitteeInfo
    items: list[ProposalItem]


async def committees_of(home: Home) -> list[CommitteeInfo]:
    return [c for c in await list_committees() if c.territory == home.territory]


async def proposals_of(home: Home) -> list[CommitteeProposals]:
    """Its committees' proposals under way, and its own whatever their status (newest first
    per committee): two queries for all its committees."""
    mine = await committees_of(home)
    found = await committee_proposals.proposals_for_household(
        [c.id for c in mine], home.id, [s.value for s in COMMENTABLE]
    )
    per: dict[int, list[ProposalItem]] = {c.id: [] for c in mine}
    for p, signed in reversed(found):
        per[p.committee].append(
            ProposalItem(
                p, p.signatures, signed, p.household == home.id,
                p.status == Status.DRAFT and p.household != home.id and not signed,
            )
        )  # fmt: skip
    return [CommitteeProposals(c, per[c.id]) for c in mine]
