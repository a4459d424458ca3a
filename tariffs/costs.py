"""The régie's costs (pure): lines of cost that operators record, checked, and spread over the
months they cover, so that committees can set the revenue of the bills against them.

The booklet wants prices kept « raisonnables » by the users themselves: a committee voting on
prices needs to see what the service costs, not only what it bills. A cost line is an amount
(excl. VAT, like the revenue it is compared with) for one service of one territory over a span
of days, in a category; a yearly budget line is spread evenly over its days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from tariffs.money import round_half_up

CATEGORIES = (
    "staff",  # the workers of the régie
    "operations",  # treatment, network running costs, subcontracted services
    "energy",
    "purchases",  # water bought from another utility, energy bought for resale
    "maintenance",
    "investment",  # depreciation and works
    "debt",
    "levies",  # levies passed on to agencies (pollution, network)
    "other",
)
SERVICES = ("water", "electricity")
MAX_AMOUNT = Decimal("1e12")
MAX_SPAN_DAYS = 366 * 5


# What each problem code means, in English; pages word them in their own language.
REASONS = {
    "service": "water or electricity",
    "territory": "name the territory",
    "category": "one of " + ", ".join(CATEGORIES),
    "label": "a label of 1 to 200 characters",
    "date": "a date such as 2026-01-31",
    "order": "the last day comes after the first",
    "span": "a line covers at most five years",
    "amount": "an amount of 0 or more, such as 1234.56",
    "cents": "at most two decimals (cents)",
    "currency": "a three-letter code such as EUR",
}


class CostError(ValueError):
    """A cost line that cannot be recorded; `problems` maps each field to a code of REASONS."""

    def __init__(self, problems: dict[str, str]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{k}: {REASONS[v]}" for k, v in problems.items()))


@dataclass(frozen=True)
class CostLine:
    service: str
    territory: str
    starts_on: date
    ends_on: date  # the last day covered
    category: str
    label: str
    amount_cents: int  # excl. VAT
    currency: str = "EUR"

    @property
    def days(self) -> int:
        return (self.ends_on - self.starts_on).days + 1


def parse_line(
    *,
    service: str,
    territory: str,
    starts_on: str,
    ends_on: str,
    category: str,
    label: str,
    amount: str,
    currency: str = "EUR",
) -> CostLine:
    """A cost line from text (a form or a command line), or CostError naming each field."""
    problems: dict[str, str] = {}
    if service not in SERVICES:
        problems["service"] = "service"
    if not territory.strip():
        problems["territory"] = "territory"
    if category not in CATEGORIES:
        problems["category"] = "category"
    if not label.strip() or len(label) > 200:
        problems["label"] = "label"
    first, last = _day(starts_on, "starts_on", problems), _day(ends_on, "ends_on", problems)
    if first and last:
        if last < first:
            problems["ends_on"] = "order"
        elif (last - first).days >= MAX_SPAN_DAYS:
            problems["ends_on"] = "span"
    cents = 0
    try:
        text = amount.strip().replace(" ", "").replace("\u202f", "").replace("\xa0", "")
        if "," in text and "." not in text:
            text = text.replace(",", ".")  # 1 234,56 as written in French
        value = Decimal(text)
        if not value.is_finite() or value < 0 or value >= MAX_AMOUNT:
            problems["amount"] = "amount"
        elif value != value.quantize(Decimal("0.01")):
            problems["amount"] = "cents"
        else:
            cents = int(value * 100)
    except InvalidOperation:
        problems["amount"] = "amount"
    if len(currency) != 3 or not currency.isalpha() or not currency.isupper():
        problems["currency"] = "currency"
    if problems or first is None or last is None:
        raise CostError(problems)
    place = territory.strip()
    return CostLine(service, place, first, last, category, label.strip(), cents, currency)


def _day(text: str, field: str, problems: dict[str, str]) -> date | None:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        problems[field] = "date"
        return None


def share_cents(line: CostLine, start: date, end: date) -> Fraction:
    """The part of a line that falls from `start` to `end` (inclusive), spread evenly over
    its days; exact, so that the parts of a line add up to the line."""
    first, last = max(line.starts_on, start), min(line.ends_on, end)
    if last < first:
        return Fraction(0)
    return Fraction(line.amount_cents * ((last - first).days + 1), line.days)


@dataclass(frozen=True)
class CostSummary:
    cents: int  # rounded once, at the end
    currency: str
    by_category: dict[str, int]  # each rounded: may differ from `cents` by a cent or two
    lines: int

    def coverage(self, revenue_cents: int) -> Fraction | None:
        """How much of the costs the revenue covers (1: exactly); None without costs."""
        return Fraction(revenue_cents, self.cents) if self.cents else None


def summarise(lines: list[CostLine], start: date, end: date) -> CostSummary:
    """The costs that fall from `start` to `end`, in the currency of most of them."""
    if not lines:
        return CostSummary(0, "EUR", {}, 0)
    currencies: dict[str, int] = {}
    for line in lines:
        currencies[line.currency] = currencies.get(line.currency, 0) + 1
    currency = max(currencies, key=lambda c: currencies[c])
    parts: dict[str, Fraction] = {}
    counted = 0
    for line in lines:
        if line.currency != currency:
            continue
        part = share_cents(line, start, end)
        if part:
            counted += 1
            parts[line.category] = parts.get(line.category, Fraction(0)) + part
    total = sum(parts.values(), Fraction(0))
    by_category = {c: _cents(parts[c]) for c in CATEGORIES if c in parts}
    return CostSummary(_cents(total), currency, by_category, counted)


def _cents(part: Fraction) -> int:
    """A share of cents rounded half up to the cent, as bills round."""
    return int(round_half_up(part / 100) * 100)
