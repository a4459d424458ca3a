"""The régie's cost lines: checking them, spreading them over the days they cover, summing
them for a dashboard's twelve months; stored, withdrawn, never edited."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tariffs import costs, costs_store
from tariffs.costs import CostError, CostLine

FIELDS = {
    "service": "water", "territory": "lille", "starts_on": "2026-01-01",
    "ends_on": "2026-12-31", "category": "staff", "label": "Salaires 2026",
    "amount": "365000.00",
}  # fmt: skip


def test_a_line_parses_from_text() -> None:
    assert costs.parse_line(**{**FIELDS, "amount": "1\u202f234,50"}).amount_cents == 123450
    line = costs.parse_line(**{**FIELDS, "amount": " 1 234.5 "})
    assert line == CostLine(
        "water", "lille", date(2026, 1, 1), date(2026, 12, 31), "staff", "Salaires 2026", 123450
    )
    assert line.days == 365


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"service": "gas"}, "service"),
        ({"territory": " "}, "territory"),
        ({"category": "bonus"}, "category"),
        ({"label": ""}, "label"),
        ({"starts_on": "2026-13-01"}, "starts_on"),
        ({"ends_on": "2025-12-31"}, "ends_on"),
        ({"ends_on": "2032-01-01"}, "ends_on"),
        ({"amount": "-1"}, "amount"),
        ({"amount": "12.345"}, "amount"),
        ({"amount": "douze"}, "amount"),
        ({"amount": "NaN"}, "amount"),
        ({"currency": "eur"}, "currency"),
    ],
)
def test_a_bad_line_names_its_field(change: dict, field: str) -> None:
    with pytest.raises(CostError) as refused:
        costs.parse_line(**{**FIELDS, **change})
    assert field in refused.value.problems, refused.value.problems
    assert refused.value.problems[field] in costs.REASONS  # a code pages can word


def test_a_yearly_line_is_spread_over_its_days() -> None:
    line = costs.parse_line(**FIELDS)  # 1,000.00 a day
    assert costs.share_cents(line, date(2026, 1, 1), date(2026, 1, 31)) == 31 * 100_000
    assert costs.share_cents(line, date(2025, 12, 1), date(2026, 1, 1)) == 100_000
    assert costs.share_cents(line, date(2027, 1, 1), date(2027, 2, 1)) == 0
    summary = costs.summarise(
        [line, costs.parse_line(**{**FIELDS, "category": "energy", "amount": "100"})],
        date(2026, 7, 1), date(2027, 6, 30),
    )  # fmt: skip
    assert summary.cents == 184 * 100_000 + round(10_000 * 184 / 365)
    assert summary.by_category == {"staff": 184 * 100_000, "energy": round(10_000 * 184 / 365)}
    assert summary.lines == 2
    assert summary.coverage(summary.cents * 2) == 2
    assert costs.summarise([], date(2026, 1, 1), date(2026, 12, 31)).coverage(5) is None


def test_a_summary_counts_the_main_currency_only() -> None:
    lines = [costs.parse_line(**FIELDS), costs.parse_line(**FIELDS)]
    chf = costs.parse_line(**{**FIELDS, "currency": "CHF"})
    summary = costs.summarise([*lines, chf], date(2026, 1, 1), date(2026, 12, 31))
    assert summary.currency == "EUR" and summary.cents == 2 * 36_500_000 and summary.lines == 2


@given(
    st.integers(0, 10**9),
    st.integers(0, 800),
    st.lists(st.integers(1, 90), min_size=1, max_size=12),
)
def test_the_parts_of_a_line_add_up_to_the_line(cents: int, length: int, cuts: list) -> None:
    first = date(2026, 1, 1)
    line = CostLine("water", "lille", first, first + timedelta(days=length), "staff", "x", cents)
    start, parts = first - timedelta(days=3), Fraction(0)
    for cut in cuts:
        end = start + timedelta(days=cut - 1)
        parts += costs.share_cents(line, start, end)
        start = end + timedelta(days=1)
    parts += costs.share_cents(line, start, line.ends_on + timedelta(days=10))
    assert parts == cents


@pytest.mark.db
async def test_lines_are_stored_withdrawn_and_summed(db: str) -> None:
    now = datetime(2026, 11, 1, tzinfo=UTC)
    salaries = await costs_store.record(costs.parse_line(**FIELDS), by="agent", now=now)
    other = costs.parse_line(**{**FIELDS, "territory": "dunkerque"})
    await costs_store.record(other, by="agent", now=now)
    mistake = costs.parse_line(**{**FIELDS, "amount": "3650000", "label": "un zéro de trop"})
    wrong = await costs_store.record(mistake, by="agent", now=now)
    ten_days = (date(2026, 1, 1), date(2026, 1, 10))
    assert (await costs_store.between("water", "lille", *ten_days)).cents == 10 * 100_000 * 11
    await costs_store.withdraw(wrong, by="chef", now=now + timedelta(hours=1))
    with pytest.raises(costs_store.CostNotFound):
        await costs_store.withdraw(wrong, by="chef", now=now)
    summary = await costs_store.between("water", "lille", *ten_days)
    assert summary.cents == 10 * 100_000 and summary.lines == 1
    listed = await costs_store.listed(territory="lille")
    assert [c.id for c in listed] == [wrong, salaries]
    assert listed[0].withdrawn_by == "chef" and listed[1].withdrawn_at is None
