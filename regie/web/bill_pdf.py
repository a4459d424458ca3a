"""A household's bill as a PDF: the same figures as its page (lines, VAT per rate, totals), in
the page's language, laid out on A4 by regie.web.pdf."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from regie.web import i18n
from regie.web.charts import Quantity
from regie.web.pdf import A4, MARGIN, Writer, document
from tariffs.bills import IssuedBill

RIGHT = A4[0] - MARGIN
# Right edges of the figures' columns: quantity, unit price, VAT rate, amount.
COLUMNS = (290, 375, 455, RIGHT)
SERVICES = {"water": "Water", "electricity": "Electricity"}


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def bill_pdf(
    bill: IssuedBill,
    household: Any,
    lines: list[dict[str, Any]],
    usage: dict[str, Quantity],
) -> bytes:
    """The PDF of `bill` for `household`, with its lines as regie.web.households.bill_lines
    formats them and its use per register."""
    _ = i18n.gettext
    money = i18n.money
    out = Writer()
    title = _("Credit note %(number)s") if bill.kind == "credit_note" else _("Bill %(number)s")
    title %= {"number": bill.number}
    out.page.text(MARGIN, out.y, "régie", size=11, bold=True)
    out.page.text(RIGHT, out.y, title, size=16, bold=True, right=True)
    out.down(30)
    span = _("%(first)s to %(last)s (%(days)s days)") % {
        "first": i18n.day(bill.span_start), "last": i18n.day(bill.span_end), "days": bill.days,
    }  # fmt: skip
    header = [
        f"{_(SERVICES.get(bill.service, bill.service))} · {span}",
        household.name
        + " · "
        + _("Subscriber %(reference)s · %(persons)s person(s)")
        % {"reference": household.reference, "persons": bill.persons}
        + (" · " + _("social rate") if bill.social else ""),
        _("Issued on %(day)s") % {"day": i18n.day(bill.issued_at.date())},
    ]
    if bill.cancels:
        header.append(_("cancels bill %(number)s") % {"number": bill.cancels})
    if bill.replaces:
        header.append(_("replaces bill %(number)s") % {"number": bill.replaces})
    if bill.reason:
        header.append(_("Reason: %(reason)s") % {"reason": bill.reason})
    for line in header:
        out.page.text(MARGIN, out.y, _fit(line, 95))
        out.down(14)
    out.down(10)
    out.page.text(MARGIN, out.y, _("Use billed"), size=12, bold=True)
    out.down(16)
    for register, q in usage.items():
        name = _("Total") if register == "total" else register
        out.page.text(MARGIN, out.y, f"{name} : {i18n.number(q.value, q.digits)} {q.unit}")
        out.down(14)
    if bill.estimated_days:
        note = _(
            "%(days)s day(s) estimated (no reading): corrected on a later bill when readings "
            "arrive."
        )
        out.page.text(MARGIN, out.y, note % {"days": bill.estimated_days}, size=9)
        out.down(14)
    out.down(10)
    heads = (_("Quantity"), _("Unit price excl. VAT"), _("VAT rate"), _("Amount excl. VAT"))
    out.page.text(MARGIN, out.y, _("Line"), size=9, bold=True)
    for edge, head in zip(COLUMNS, heads, strict=True):
        out.page.text(edge, out.y, head, size=9, bold=True, right=True)
    out.down(6)
    out.page.rule(MARGIN, out.y, RIGHT)
    out.down(14)
    for line in lines:
        cells = (
            f"{line['quantity']} {line['unit']}",
            line["unit_price"],
            f"{line['vat_rate']} %",
            money(line["amount"], currency=bill.currency),
        )
        out.page.text(MARGIN, out.y, _fit(line["name"], 36), size=9)
        for edge, cell in zip(COLUMNS, cells, strict=True):
            out.page.text(edge, out.y, cell, size=9, right=True)
        out.down(14)
    out.page.rule(MARGIN, out.y + 8, RIGHT)
    out.down(6)
    totals = [(_("Total excl. VAT"), money(bill.total_excl_vat_cents, cents=True,
                                             currency=bill.currency), False)]  # fmt: skip
    for vat in bill.detail.get("vat", []):
        base = money(Decimal(vat["base"]), currency=bill.currency)
        label = _("VAT at %(rate)s %% on %(base)s") % {"rate": i18n.rate(vat["rate"]), "base": base}
        totals.append((label, money(Decimal(vat["amount"]), currency=bill.currency), False))
    totals.append(
        (_("Total incl. VAT"), money(bill.total_cents, cents=True, currency=bill.currency), True)
    )
    for label, amount, bold in totals:
        out.page.text(COLUMNS[2], out.y, label, size=10, bold=bold, right=True)
        out.page.text(RIGHT, out.y, amount, size=10, bold=bold, right=True)
        out.down(15)
    for page in out.pages:
        page.text(MARGIN, MARGIN - 20, _fit(f"régie · {title}", 95), size=8)
    return document(out.pages, title)
