"""Issued bills: reading them back, and correcting one with a credit note and a new bill."""

# An issued bill is never changed or deleted: this module has no function that would, the
# database refuses any UPDATE of a bill (trigger), and a correction is two new documents
# (French invoicing rules, CGI art. 289: an invoice is corrected by a credit note).

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from tariffs.billing import plan_run
from tariffs.billing_plan import Pending
from tariffs.fast import money_text, to_json
from tariffs.issuing import bill_number, bill_row, numbering_year
from tariffs.service import TariffError
from tariffs.store import BILL_COLUMNS, as_date, session
from tariffs.tables import Bill, BillContent


class BillNotFound(TariffError, LookupError):
    """No bill has that number."""


class BillRefused(TariffError):
    """A correction the régie refuses (see the message)."""


@dataclass(frozen=True)
class IssuedBill:
    number: str
    kind: str  # bill | credit_note
    household: int
    service: str
    territory: str
    period: str
    span_start: date
    span_end: date
    days: int
    estimated_days: int
    usage: dict[str, int]  # base units (L, Wh) per meter register
    persons: int
    social: bool
    tariff_versions: tuple[int, ...]
    currency: str
    total_excl_vat_cents: int
    total_vat_cents: int
    total_cents: int
    detail: dict[str, Any]  # lines, VAT and totals as the engine writes them
    issued_at: datetime
    cancels: str | None  # number of the bill a credit note cancels
    replaces: str | None  # number of the bill a corrected bill replaces
    reason: str

    @property
    def total(self) -> Decimal:
        return Decimal(self.total_cents).scaleb(-2)


async def _issued_bills(rows: list[dict[str, Any]]) -> list[IssuedBill]:
    """Bills with their contents, and the numbers of the bills they cancel or replace."""
    ids = {row["content"] for row in rows} or {0}
    found = BillContent.select(BillContent.id, BillContent.detail)
    details = {r["id"]: r["detail"] for r in await found.where(BillContent.id.is_in(list(ids)))}
    others = {row[k] for row in rows for k in ("cancels", "replaces") if row[k] is not None}
    numbers = {}
    if others:
        query = Bill.select(Bill.id, Bill.number).where(Bill.id.is_in(list(others)))
        numbers = {r["id"]: r["number"] for r in await query}
    return [_issued(row, details[row["content"]], numbers) for row in rows]


def _issued(row: dict[str, Any], detail: str, numbers: dict[int, str]) -> IssuedBill:
    return IssuedBill(
        number=row["number"],
        kind=row["kind"],
        household=row["household"],
        service=row["service"],
        territory=row["territory"],
        period=row["period"],
        span_start=as_date(row["span_start"]) or date.min,
        span_end=as_date(row["span_end"]) or date.min,
        days=row["days"],
        estimated_days=row["estimated_days"],
        usage=json.loads(row["usage"]),
        persons=row["persons"],
        social=bool(row["social"]),
        tariff_versions=tuple(int(v) for v in row["tariff_versions"].split(",") if v),
        currency=row["currency"],
        total_excl_vat_cents=row["total_excl_vat_cents"],
        total_vat_cents=row["total_vat_cents"],
        total_cents=row["total_cents"],
        detail=json.loads(detail),
        issued_at=row["issued_at"],
        cancels=numbers.get(row["cancels"]),
        replaces=numbers.get(row["replaces"]),
        reason=row["reason"],
    )


async def get_bill(number: str) -> IssuedBill:
    row = await Bill.select().where(Bill.number == number).first()
    if row is None:
        raise BillNotFound(f"no bill {number}")
    return (await _issued_bills([row]))[0]


async def list_bills(
    *,
    period: str | None = None,
    household: int | None = None,
    service: str | None = None,
    newest_first: bool = False,
    limit: int | None = None,
) -> list[IssuedBill]:
    """Bills and credit notes in number order (`newest_first`: the other way), the first
    `limit` of them."""
    ascending = not newest_first
    query = (
        Bill.select()
        .order_by(Bill.year, ascending=ascending)
        .order_by(Bill.seq, ascending=ascending)
    )
    if limit is not None:
        query = query.limit(limit)
    if period is not None:
        query = query.where(Bill.period == period)
    if household is not None:
        query = query.where(Bill.household == household)
    if service is not None:
        query = query.where(Bill.service == service)
    return await _issued_bills(await query)


def credit_detail(detail: str, number: str) -> str:
    """The detail of a credit note cancelling the bill `number`: its lines with every amount
    negated (quantities stay as billed)."""
    data = json.loads(detail)
    for line in data["lines"]:
        line["amount"] = _negated(line["amount"])
    for vat in data["vat"]:
        vat["base"] = _negated(vat["base"])
        vat["amount"] = _negated(vat["amount"])
    for key in ("total_excl_vat", "total_vat", "total"):
        data[key] = _negated(data[key])
    return to_json({"cancels": number, **data})


def _negated(amount: str) -> str:
    return money_text(-int(Decimal(amount).scaleb(2)))


async def amend_bill(
    number: str, *, reason: str, now: datetime | None = None
) -> tuple[IssuedBill, IssuedBill]:
    """Correct bill `number`: a credit note cancelling it and a new bill for the same period,
    priced again from today's data (corrected usage, persons, social status).

    Refused for a credit note, for a bill already corrected (correct its replacement), and
    when pricing again gives the very same bill."""
    if not reason.strip():
        raise BillRefused("say why the bill is corrected: the reason is printed on both")
    original = await Bill.objects().where(Bill.number == number).first()
    if original is None:
        raise BillNotFound(f"no bill {number}")
    if original.kind != "bill":
        raise BillRefused(f"{number} is a credit note: credit notes are not corrected")
    plan = await plan_run(original.period, household=original.household)
    new = next((b for b in plan.bills if b.service == original.service), None)
    if new is None:
        why = "; ".join(str(p) for p in plan.problems if p.service == original.service)
        raise BillRefused(f"{number} cannot be priced again: {why or 'no meter in service'}")
    found = await BillContent.select(BillContent.detail).where(BillContent.id == original.content)
    detail = found[0]["detail"]
    if _same(original, detail, new):
        raise BillRefused(f"pricing {number} again gives the same bill: nothing to correct")
    issued_at = now or datetime.now(UTC)
    year = numbering_year(issued_at)
    async with session(write=True) as db:
        last = await db.lock_counter(year)
        done = await db.fetch("SELECT number FROM bill WHERE cancels = $1", original.id)
        if done:
            raise BillRefused(
                f"{number} was already corrected by credit note {done[0][0]}: "
                "correct the bill that replaced it"
            )
        credited = credit_detail(detail, original.number)
        contents = await db.content_ids([credited, new.priced.detail])
        credit = _credit_row(original, year, last + 1, issued_at, reason, contents[credited])
        row = bill_row(new, year, last + 2, issued_at, None, contents[new.priced.detail])
        replacement = (*row, "bill", None, original.id, reason)
        await db.insert_bills([credit, replacement], BILL_COLUMNS)
        await db.set_counter(year, last + 2)
    return await get_bill(credit[0]), await get_bill(replacement[0])


def _same(original: Any, detail: str, new: Pending) -> bool:
    return (
        detail == new.priced.detail
        and original.usage == new.usage
        and (as_date(original.span_start), as_date(original.span_end)) == (new.start, new.end)
        and original.estimated_days == new.estimated_days
    )


def _credit_row(
    original: Any, year: int, seq: int, issued_at: datetime, reason: str, content: int
) -> tuple[Any, ...]:
    values = original.to_dict()
    values.update(
        number=bill_number(year, seq), year=year, seq=seq, kind="credit_note",
        span_start=as_date(original.span_start), span_end=as_date(original.span_end),
        social=bool(original.social), total_excl_vat_cents=-original.total_excl_vat_cents,
        total_vat_cents=-original.total_vat_cents, total_cents=-original.total_cents,
        content=content, issued_at=issued_at, run=None,
        cancels=original.id, replaces=None, reason=reason,
    )  # fmt: skip
    return tuple(values[column] for column in BILL_COLUMNS)
