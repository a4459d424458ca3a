"""Impact of a draft: twelve months of real use priced by both tariffs, checked by hand."""

from __future__ import annotations

import asyncio
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from tariffs.impact import (
    ALL,
    SOCIAL,
    GroupImpact,
    HouseholdImpact,
    last_twelve_months,
    summarise,
    summarise_group,
)
from tests.tariffs.billing_data import d, daily, from_date, household, meter

D = Decimal


def test_the_last_twelve_months_are_whole_months() -> None:
    assert last_twelve_months(date(2026, 12, 5)) == (date(2025, 12, 1), date(2026, 11, 30))
    assert last_twelve_months(date(2027, 1, 1)) == (date(2026, 1, 1), date(2026, 12, 31))


def _impact(change: int, *, social: bool = False, block: str = "a") -> HouseholdImpact:
    return HouseholdImpact(0, "H", social, block, 1000, 1000 + change, 900, 900 + change)


def test_a_group_summary_counts_and_takes_the_exact_median() -> None:
    group = summarise_group("g", [_impact(2), _impact(1)])
    assert group == GroupImpact("g", 2, 2, 0, 0, D("0.015"), D("0.02"), D(0), D(18), D("18.03"),
                                D("0.03"))  # fmt: skip
    empty = summarise_group("none", [])
    assert (empty.households, empty.median_change, empty.revenue_change) == (0, 0, 0)
    groups = summarise([_impact(-5, block="b"), _impact(7, social=True)], ["a", "b"])
    assert [(g.name, g.households, g.median_change) for g in groups] == [
        (ALL, 2, D("0.01")),
        ("a", 1, D("0.07")),
        ("b", 1, D("-0.05")),
        (SOCIAL, 1, D("0.07")),
    ]
    assert groups[0].largest_decrease == D("-0.05") and groups[0].largest_increase == D("0.07")


@pytest.mark.db
async def test_impact_of_a_draft_on_a_small_territory(db: str) -> None:
    from tariffs.impact import draft_impact
    from tariffs.service import create_version, read_text

    await create_version(from_date("2024-01-01"), "T", origin="setup")
    # The draft: essential water cheaper (0.83 → 0.70), comfort water dearer (2.04 → 2.50).
    text = from_date("2027-01-01").replace('price = "0.83"', 'price = "0.70"')
    draft = read_text(text.replace('price = "2.04"', 'price = "2.50"'))
    for ref, m3, social in (("H1", 50, False), ("H2", 150, False), ("H3", 300, False),
                            ("H4", 50, True)):  # fmt: skip
        home = await household(ref, social=social)
        await daily(await meter(home), d("2026-06-01"), d("2026-06-01"), m3 * 1000)
    other = await household("X", territory="U")  # another territory: not counted
    await daily(await meter(other), d("2026-06-01"), d("2026-06-01"), 10_000)
    summary, homes = await draft_impact(draft, "T", today=date(2026, 12, 5))
    # 2025-12-01..2026-11-30 is 31/365 of 2025 and 334/365 of 2026: one whole year.
    # H1, 50 m³: 48.00 + 41.50 + 16.50 (5.5 %: 5.83) + 12.50 (10 %: 1.25) = 125.58;
    #     draft: essential 35.00, VAT 5.5 % on 99.50 = 5.47: 118.72 (−6.86).
    # H2, 150 m³: 48.00 + 62.25 + 114.75 + 49.50 (VAT 15.10) + 37.50 (3.75) = 330.85;
    #     draft: essential 52.50, VAT on 264.75 = 14.56: 320.56 (−10.29).
    # H3, 300 m³: 48.00 + 62.25 + 191.25 + 204.00 + 99.00 (VAT 33.25) + 75.00 (7.50) = 720.25;
    #     draft: 52.50 and comfort 250.00, VAT on 640.75 = 35.24: 758.49 (+38.24).
    # H4, 50 m³, social: 16.00 at 0.32 on both: 98.68, unchanged.
    assert [(h.reference, h.block, h.current_cents, h.draft_cents) for h in homes] == [
        ("H1", "Eau essentielle", 12558, 11872),
        ("H2", "Eau utile", 33085, 32056),
        ("H3", "Eau de confort", 72025, 75849),
        ("H4", "Eau essentielle", 9868, 9868),
    ]
    rows = [
        (g.name, g.households, g.pay_more, g.pay_less, g.unchanged, g.median_change,
         g.largest_increase, g.largest_decrease, g.revenue_current, g.revenue_change)
        for g in summary.groups
    ]  # fmt: skip
    # Revenue excl. VAT: 118.50 + 312.00 + 679.50 + 93.00 = 1203.00 now; the draft gives
    # 112.00 + 302.25 + 715.75 + 93.00 = 1223.00.
    assert rows == [
        (ALL, 4, 1, 2, 1, D("-3.43"), D("38.24"), D("-10.29"), D("1203.00"), D("20.00")),
        ("Eau essentielle", 2, 0, 1, 1, D("-3.43"), D(0), D("-6.86"), D("211.50"), D("-6.50")),
        ("Eau utile", 1, 0, 1, 0, D("-10.29"), D(0), D("-10.29"), D("312.00"), D("-9.75")),
        ("Eau de confort", 1, 1, 0, 0, D("38.24"), D("38.24"), D(0), D("679.50"), D("36.25")),
        (SOCIAL, 1, 0, 0, 1, D(0), D(0), D(0), D("93.00"), D(0)),
    ]
    assert (summary.start, summary.end, summary.problems) == (d("2025-12-01"), d("2026-11-30"), ())


@pytest.mark.db
async def test_impact_needs_a_tariff_in_force(db: str) -> None:
    from tariffs.impact import ImpactError, draft_impact
    from tariffs.service import read_text

    with pytest.raises(ImpactError, match="no water tariff in force in T"):
        await draft_impact(read_text(from_date("2027-01-01")), "T", today=date(2026, 12, 5))


@pytest.mark.db
async def test_regie_tariff_impact(db: str, tmp_path: Path) -> None:
    import json

    from click.testing import CliRunner

    from regie.cli import main
    from tariffs.service import create_version

    await create_version(from_date("2024-01-01"), "T", origin="setup")
    home = await household("H1")
    await daily(await meter(home), d("2026-06-01"), d("2026-06-01"), 50_000)
    draft = tmp_path / "draft.toml"
    draft.write_text(from_date("2027-01-01").replace('price = "0.83"', 'price = "0.70"'))
    args = ["tariff", "impact", "--draft", str(draft), "--territory", "T", "--today",
            "2026-12-05", "--households"]  # fmt: skip
    result = await asyncio.to_thread(CliRunner().invoke, main, args)
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert (out["from"], out["to"]) == ("2025-12-01", "2026-11-30")
    assert out["groups"][0]["median_change"] == "-6.86"
    assert out["households"] == [
        {"reference": "H1", "social": False, "block": "Eau essentielle",
         "current": "125.58", "draft": "118.72"}
    ]  # fmt: skip
