"""Billing runs on the real database: bills worked out by hand, proration, estimated days,
re-runs, immutability, corrections and bill numbers without gaps (also under concurrency)."""

from __future__ import annotations

import asyncio
import os
import random
from datetime import UTC, date, datetime
from fractions import Fraction

import pytest
from click.testing import CliRunner, Result

from tariffs.billing_plan import billed_span
from tariffs.engine import PricingError, conversion_factor, price_period
from tariffs.fast import CompiledTariff, priced, supports
from tariffs.money import period_share
from tariffs.pricer import Pricer, Use, Version, tariff_uses
from tariffs.tariff_file import load_tariff
from tests.tariffs.billing_data import EXAMPLES, d, daily, from_date, household, meter

pytestmark = pytest.mark.db

NOW = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
NOV = (d("2026-11-01"), d("2026-11-30"))
POSTGRES = os.environ["REGIE_DATABASE_URL"].startswith("postgres")


async def _setup(territory: str = "T") -> None:
    from tariffs import service

    await service.create_version(from_date("2024-01-01"), territory, origin="setup")
    hphc = from_date("2025-02-01", "tarif_bleu_hphc.toml")
    await service.create_version(hphc, territory, origin="setup")


async def _golden_households() -> dict[str, int]:
    """Six households of territory T and one of a territory without tariffs (see below)."""
    a = await household("A")
    await daily(await meter(a), *NOV, 200)  # 6 m³
    b = await household("B", persons=2, social=True)
    three = (d("2026-11-03"), d("2026-11-04"), d("2026-11-05"))
    await daily(await meter(b), *NOV, 333, estimated=three)
    await daily(  # 10 m³ in all: 30 × 333 L + 10 L on the last day
        await meter(b, serial="W-B-extra", installed_on=d("2026-11-30")),
        d("2026-11-30"),
        d("2026-11-30"),
        10,
    )
    c = await household("C")  # moves in on 16 November
    await daily(await meter(c, installed_on=d("2026-11-16")), d("2026-11-16"), NOV[1], 300)
    dd = await household("D")  # moves out on 10 November
    await daily(await meter(dd, removed_on=d("2026-11-10")), NOV[0], d("2026-11-10"), 100)
    e = await household("E")  # electricity, HP/HC; both registers estimated on 1-2 November
    m = await meter(e, "electricity")
    est = (d("2026-11-01"), d("2026-11-02"))
    await daily(m, *NOV, 5000, register="hchc", estimated=est)
    await daily(m, *NOV, 8000, register="hchp", estimated=est)
    f = await household("F")  # a meter and no usage at all
    await meter(f)
    g = await household("G", territory="U")
    await daily(await meter(g), *NOV, 100)
    return {"A": a, "B": b, "C": c, "D": dd, "E": e, "F": f, "G": g}


# The expected bills, worked by hand (Dunkerque water, yearly period: November 2026 is
# 30/365 = 6/73 of the year; Tarif Bleu HP/HC, monthly period: one whole month).
# A: 6 m³. Abonnement 48 × 6/73 = 3.945… → 3.95; essential threshold 75 × 6/73 = 6.164 m³,
#    so 6 × 0.83 = 4.98; levies 6 × 0.33 = 1.98 and 6 × 0.25 = 1.50.
#    VAT 5.5 % on 10.91 = 0.600 → 0.60; 10 % on 1.50 = 0.15. 12.41 + 0.75 = 13.16.
# B: 10 m³, social. Essential 450/73 m³ × 0.32 = 1.972… → 1.97; useful (10 − 450/73) =
#    280/73 m³ × 1.53 = 5.868… → 5.87; levies 3.30 and 2.50. VAT 5.5 % on 15.09 = 0.82995
#    → 0.83; 10 % on 2.50 = 0.25. 17.59 + 1.08 = 18.67. Three estimated days.
# C: in from 16 Nov, 15 days = 3/73 of the year, 4.5 m³. Abonnement 144/73 → 1.97;
#    essential 225/73 m³ × 0.83 → 2.56; useful (4.5 − 225/73) × 1.53 = 2.169… → 2.17;
#    levies 1.485 → 1.49 and 1.125 → 1.13. VAT 5.5 % on 8.19 = 0.450 → 0.45; 10 % on
#    1.13 → 0.11. 9.32 + 0.56 = 9.88.
# D: out on 10 Nov, 10 days = 2/73, 1 m³. Abonnement 96/73 → 1.32; 0.83; 0.33; 0.25.
#    VAT 5.5 % on 2.48 = 0.136 → 0.14; 10 % on 0.25 = 0.025 → 0.03. 2.73 + 0.17 = 2.90.
# E: HP 240 kWh × 0.2146 = 51.504 → 51.50; HC 150 kWh × 0.1696 = 25.44; Abonnement 13.30.
#    VAT 5.5 % on 13.30 = 0.7315 → 0.73; 20 % on 76.94 = 15.388 → 15.39. 90.24 + 16.12.
# F: no use: Abonnement 3.95 and VAT 0.217 → 0.22: 4.17.
EXPECTED = {
    # reference: (service, span, days, estimated days, excl. VAT, VAT, total)
    "A": ("water", NOV, 30, 0, 1241, 75, 1316),
    "B": ("water", NOV, 30, 3, 1759, 108, 1867),
    "C": ("water", (d("2026-11-16"), NOV[1]), 15, 0, 932, 56, 988),
    "D": ("water", (NOV[0], d("2026-11-10")), 10, 0, 273, 17, 290),
    "E": ("electricity", NOV, 30, 2, 9024, 1612, 10636),
    "F": ("water", NOV, 30, 0, 395, 22, 417),
}


async def test_golden_run_gives_the_bills_worked_by_hand(db: str) -> None:
    from tariffs.billing import bill_period
    from tariffs.bills import list_bills

    await _setup()
    homes = await _golden_households()
    report = await bill_period("2026-11", now=NOW)
    assert report.issued == 6
    assert [str(p) for p in report.problems] == ["G water: no water tariff in force in U"]
    refs = {v: k for k, v in homes.items()}
    got = {
        refs[b.household]: (
            b.service,
            (b.span_start, b.span_end),
            b.days,
            b.estimated_days,
            b.total_excl_vat_cents,
            b.total_vat_cents,
            b.total_cents,
        )
        for b in await list_bills(period="2026-11")
    }
    assert got == EXPECTED
    bills = {refs[b.household]: b for b in await list_bills()}
    assert [b.number for b in await list_bills()] == [f"2026-{i:07d}" for i in range(1, 7)]
    b = bills["B"]
    assert b.usage == {"total": 10000} and b.persons == 2 and b.social
    lines = [(x["name"], x["quantity"], x["amount"]) for x in b.detail["lines"]]
    assert lines == [
        ("Abonnement", "0.082192", "3.95"),
        ("Eau essentielle (social)", "6.164384", "1.97"),
        ("Eau utile", "3.835616", "5.87"),
        ("Redevance pollution domestique", "10", "3.30"),
        ("Redevance modernisation des réseaux de collecte", "10", "2.50"),
    ]
    e = bills["E"]
    assert e.usage == {"hchc": 150000, "hchp": 240000}
    assert [(x["name"], x["amount"]) for x in e.detail["lines"]] == [
        ("Abonnement 6 kVA", "13.30"),
        ("Heures pleines", "51.50"),
        ("Heures creuses", "25.44"),
    ]


async def test_households_priced_alike_share_one_stored_content(db: str) -> None:
    from tariffs.billing import bill_period
    from tariffs.bills import list_bills
    from tariffs.tables import BillContent

    await _setup()
    for ref, persons in (("A", 1), ("B", 4), ("C", 2)):
        home = await household(ref, persons=persons)  # persons do not matter in Dunkerque
        await daily(await meter(home), *NOV, 200 if ref != "C" else 201)
    await bill_period("2026-11", now=NOW)
    bills = await list_bills()
    # C: 6.03 m³: 5.00 + 1.99 + 1.51 and 3.95; VAT 0.60 + 0.15: 13.20.
    assert [b.total_cents for b in bills] == [1316, 1316, 1320]
    assert bills[0].detail == bills[1].detail != bills[2].detail
    assert await BillContent.count() == 2


async def test_a_version_change_mid_period_splits_the_bill(db: str) -> None:
    from tariffs import service
    from tariffs.billing import bill_period
    from tariffs.bills import list_bills

    await service.create_version(from_date("2024-01-01"), "T", origin="setup")
    dearer = from_date("2026-11-16").replace('price = "0.83"', 'price = "1.00"')
    await service.create_version(dearer, "T", origin="decision", decision_ref="D-2026-7")
    home = await household("A")
    await daily(await meter(home), *NOV, 200)
    other = await household("B")  # the same use on two meters: the same bill
    await daily(await meter(other), *NOV, 150)
    await daily(await meter(other, serial="W-B-2", installed_on=NOV[0]), *NOV, 50)
    await bill_period("2026-11", now=NOW)
    bill, same = await list_bills()
    assert (same.detail, same.usage, same.days) == (bill.detail, bill.usage, bill.days)
    # 15 days at each price, 3 m³ each: 3 × 0.83 = 2.49 and 3 × 1.00 = 3.00; the standing
    # charge and the levies add up across the two parts (3.95, 1.98, 1.50).
    # VAT 5.5 % on 11.42 = 0.628 → 0.63; 10 % on 1.50 = 0.15. 12.92 + 0.78 = 13.70.
    lines = [(x["name"], x["unit_price"], x["amount"]) for x in bill.detail["lines"]]
    assert lines == [
        ("Abonnement", "48.00", "3.95"),
        ("Eau essentielle", "0.83", "2.49"),
        ("Eau essentielle", "1.00", "3.00"),
        ("Redevance pollution domestique", "0.33", "1.98"),
        ("Redevance modernisation des réseaux de collecte", "0.25", "1.50"),
    ]
    assert (bill.total_excl_vat_cents, bill.total_vat_cents, bill.total_cents) == (1292, 78, 1370)
    assert len(bill.tariff_versions) == 2


async def test_a_rerun_issues_nothing_twice(db: str) -> None:
    from tariffs.billing import bill_period
    from tariffs.bills import list_bills
    from tariffs.tables import BillCounter

    await _setup()
    await _golden_households()
    first = await bill_period("2026-11", now=NOW)
    again = await bill_period("2026-11", now=NOW)
    assert (first.issued, again.issued, again.already_billed) == (6, 0, 6)
    assert len(await list_bills()) == 6
    assert await BillCounter.select(BillCounter.last_seq).first() == {"last_seq": 6}


async def test_issued_bills_are_immutable(db: str) -> None:
    import tariffs.billing
    import tariffs.bills
    import tariffs.issuing
    from tariffs.billing import bill_period
    from tariffs.bills import get_bill
    from tariffs.tables import Bill, BillContent

    await _setup()
    await _golden_households()
    await bill_period("2026-11", now=NOW)
    with pytest.raises(Exception, match="immutable"):
        await Bill.update({Bill.total_cents: 0}, force=True)
    with pytest.raises(Exception, match="immutable"):
        await Bill.raw("UPDATE bill SET reason = 'edited' WHERE number = {}", "2026-0000001")
    with pytest.raises(Exception, match="immutable"):
        await BillContent.update({BillContent.detail: "{}"}, force=True)
    assert (await get_bill("2026-0000001")).total_cents == 1316
    # The services offer no way to change or delete a bill.
    for module in (tariffs.billing, tariffs.bills, tariffs.issuing):
        names = [n for n in dir(module) if n.startswith(("update", "delete", "edit", "set"))]
        assert names == []


async def test_a_correction_is_a_credit_note_and_a_new_bill(db: str) -> None:
    from regie.tables import Household
    from tariffs.billing import bill_period
    from tariffs.bills import BillRefused, amend_bill, get_bill, list_bills

    await _setup()
    homes = await _golden_households()
    await bill_period("2026-11", now=NOW)
    with pytest.raises(BillRefused, match="same bill"):
        await amend_bill("2026-0000001", reason="checked", now=NOW)
    # Household A had the social status all along: its bill is corrected.
    await Household.update({Household.social: True}).where(Household.id == homes["A"])
    credit, new = await amend_bill("2026-0000001", reason="social status since 1 Nov", now=NOW)
    assert (credit.number, new.number) == ("2026-0000007", "2026-0000008")
    assert credit.kind == "credit_note" and credit.cancels == "2026-0000001"
    assert (credit.total_cents, credit.detail["total"]) == (-1316, "-13.16")
    assert new.replaces == "2026-0000001" and new.social
    # 6 m³ of essential water at 0.32 instead of 0.83: 1.92; VAT 5.5 % on 7.85 → 0.43.
    assert new.total_cents == 395 + 192 + 198 + 150 + 43 + 15
    assert (await get_bill("2026-0000001")).total_cents == 1316  # the original stays
    with pytest.raises(BillRefused, match="already corrected"):
        await amend_bill("2026-0000001", reason="again", now=NOW)
    with pytest.raises(BillRefused, match="credit note"):
        await amend_bill(credit.number, reason="no", now=NOW)
    assert len(await list_bills()) == 8


async def _numbers() -> list[int]:
    from tariffs.tables import Bill

    return sorted(r["seq"] for r in await Bill.select(Bill.seq))


@pytest.mark.parametrize("where", ["python", "database"])
async def test_numbers_stay_gapless_when_households_fail(
    db: str, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    import tariffs.issuing
    from tariffs.billing import bill_period, issue_run, plan_run

    await _setup()
    homes = await _golden_households()
    real = tariffs.issuing.bill_rows

    def failing(bills, *args, **kwargs):  # type: ignore[no-untyped-def]
        rows = real(bills, *args, **kwargs)
        if homes["C"] not in [b.household for b in bills]:
            return rows
        if where == "python":
            raise RuntimeError("injected failure")
        # A row without its use: the database refuses it (NOT NULL), after the numbers of
        # its batch were taken.
        return [(*r[:5], None, *r[6:]) if r[3] == homes["C"] else r for r in rows]

    monkeypatch.setattr(tariffs.issuing, "bill_rows", failing)
    report = await issue_run(await plan_run("2026-11"), now=NOW, batch=4)
    assert report.issued == 5
    assert [p.reference for p in report.problems] == ["G", "C"]
    assert "not issued" in str(report.problems[1])
    assert await _numbers() == [1, 2, 3, 4, 5]
    monkeypatch.setattr(tariffs.issuing, "bill_rows", real)
    report = await bill_period("2026-11", now=NOW)
    assert (report.issued, report.already_billed) == (1, 5)
    assert await _numbers() == [1, 2, 3, 4, 5, 6]


async def test_a_run_that_dies_half_way_leaves_no_gap(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tariffs.issuing
    from tariffs.billing import bill_period, issue_run, plan_run
    from tariffs.tables import BillingRun

    await _setup()
    await _golden_households()
    calls = 0
    real = tariffs.issuing.issue

    async def dying(*args, **kwargs):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        if calls == 2:
            raise ConnectionResetError("the database went away")
        return await real(*args, **kwargs)

    monkeypatch.setattr(tariffs.issuing, "issue", dying)
    with pytest.raises(ConnectionResetError):
        await issue_run(await plan_run("2026-11"), now=NOW, batch=2)
    assert await _numbers() == [1, 2]
    assert (await BillingRun.select(BillingRun.status).first()) == {"status": "failed"}
    monkeypatch.setattr(tariffs.issuing, "issue", real)
    await bill_period("2026-11", now=NOW)
    assert await _numbers() == [1, 2, 3, 4, 5, 6]


async def test_pricing_that_fails_half_way_leaves_written_batches_gapless(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tariffs.biller
    import tariffs.billing
    from tariffs.billing import bill_period
    from tariffs.tables import BillingRun

    await _setup()
    await _golden_households()
    real = tariffs.biller._Biller.add
    calls = 0

    def add(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        if calls == 5:
            raise RuntimeError("pricing broke")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(tariffs.billing, "BATCH", 2)
    monkeypatch.setattr(tariffs.billing, "CHUNK", 1)
    monkeypatch.setattr(tariffs.biller._Biller, "add", add)
    with pytest.raises(RuntimeError, match="pricing broke"):
        await bill_period("2026-11", now=NOW)
    assert await _numbers() == [1, 2, 3, 4]  # two batches of two, written before the failure
    assert (await BillingRun.select(BillingRun.status).first()) == {"status": "failed"}
    monkeypatch.setattr(tariffs.biller._Biller, "add", real)
    await bill_period("2026-11", now=NOW)
    assert await _numbers() == [1, 2, 3, 4, 5, 6]


@pytest.mark.skipif(not POSTGRES, reason="concurrent writers need PostgreSQL (SQLite has one)")
async def test_twenty_concurrent_runs_give_no_duplicate_and_no_gap(db: str) -> None:
    from tariffs.billing import issue_run, plan_run
    from tariffs.tables import Bill

    await _setup()
    for i in range(40):
        home = await household(f"H{i:02d}", persons=1 + i % 4, social=i % 5 == 0)
        await daily(await meter(home), *NOV, 100 + 7 * i)
    plans = await asyncio.gather(*(plan_run("2026-11") for _ in range(20)))
    reports = await asyncio.gather(*(issue_run(p, now=NOW, batch=3) for p in plans))
    assert sum(r.issued for r in reports) == 40
    assert sum(r.already_billed for r in reports) == 19 * 40
    assert await _numbers() == list(range(1, 41))
    rows = await Bill.select(Bill.household, Bill.number)
    assert len({r["household"] for r in rows}) == len({r["number"] for r in rows}) == 40


async def test_concurrent_runs_on_any_engine_number_without_gaps(db: str) -> None:
    from tariffs.billing import issue_run, plan_run

    await _setup()
    await _golden_households()
    plans = [await plan_run("2026-11") for _ in range(3)]
    reports = await asyncio.gather(*(issue_run(p, now=NOW, batch=2) for p in plans))
    assert sorted(r.issued for r in reports)[-1] <= 6 and sum(r.issued for r in reports) == 6
    assert await _numbers() == [1, 2, 3, 4, 5, 6]


def test_billed_span_runs_from_first_installation_to_last_removal() -> None:
    start, end = NOV
    assert billed_span([(None, None)], start, end) == NOV
    assert billed_span([(d("2026-11-16"), None)], start, end) == (d("2026-11-16"), end)
    replaced = [(None, d("2026-11-05")), (d("2026-11-08"), None)]
    assert billed_span(replaced, start, end) == NOV
    assert billed_span([(None, d("2026-10-31"))], start, end) is None


def test_meter_registers_map_onto_the_tariff() -> None:
    hphc = load_tariff(EXAMPLES / "tarif_bleu_hphc.toml")
    base = load_tariff(EXAMPLES / "tarif_bleu_base.toml")
    assert tariff_uses(hphc, {"hchc": 5, "hchp": 7}) == (7, 5)
    assert tariff_uses(hphc, {"hc": 5, "hp": 7, "total": 12}) == (7, 5)
    assert tariff_uses(base, {"hchc": 5, "hchp": 7}) == (12,)
    assert tariff_uses(base, {"hchc": 5, "hchp": 7, "total": 12}) == (12,)
    with pytest.raises(PricingError, match="tempo"):
        tariff_uses(hphc, {"tempo": 1})


@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.glob("*.toml")))
def test_compiled_pricing_equals_the_engine(name: str) -> None:
    tariff = load_tariff(EXAMPLES / name)
    assert supports(tariff)
    rng = random.Random(name)
    base = "L" if tariff.service == "water" else "Wh"
    factor = conversion_factor(base, tariff.unit)
    spans = [NOV, (d("2026-11-16"), NOV[1]), (d("2026-02-01"), d("2026-02-28"))]
    for start, end in spans:
        share = period_share(tariff.period, start, end)
        for persons in (0, 1, 4):
            for social in (False, True):
                compiled = CompiledTariff(tariff, share, persons, social, factor)
                for _ in range(60):
                    uses = tuple(
                        rng.choice([0, rng.randint(0, 2_000), rng.randint(0, 3_000_000)])
                        for _ in tariff.registers
                    )
                    registers = {
                        r: Fraction(u) * factor for r, u in zip(tariff.registers, uses, strict=True)
                    }
                    bill = price_period(
                        tariff,
                        None,
                        persons=persons,
                        social=social,
                        start=start,
                        end=end,
                        registers=registers,
                    )
                    assert compiled.price(uses) == priced(bill)


def test_compiled_pricing_on_thresholds_equals_the_engine() -> None:
    tariff = load_tariff(EXAMPLES / "dunkerque_eco_solidaire.toml")
    share = period_share("year", *NOV)
    compiled = CompiledTariff(tariff, share, 1, True, Fraction(1, 1000))
    # 75 × 6/73 m³ = 6164.38… L and 200 × 6/73 m³ = 16438.35… L: either side of each.
    for litres in (0, 1, 6164, 6165, 16438, 16439, 10**9):
        bill = price_period(
            tariff, Fraction(litres, 1000), persons=1, social=True, start=NOV[0], end=NOV[1]
        )
        assert compiled.price((litres,)) == priced(bill)


def test_the_pricer_shares_one_bill_between_identical_households() -> None:
    tariff = load_tariff(EXAMPLES / "dunkerque_eco_solidaire.toml")
    pricer = Pricer()
    use = Use("water", 2, False, *NOV, ((NOV[0], (("total", 6000),)),))
    one, ids = pricer.price([Version(1, tariff)], use)
    other, _ = pricer.price([Version(1, tariff)], Use("water", 5, False, *NOV, use.parts))
    assert one is other and ids == (1,)
    assert one.total_cents == 1316


def test_pricer_sends_uses_to_the_version_of_their_days() -> None:
    old = load_tariff(EXAMPLES / "dunkerque_eco_solidaire.toml")
    text = (EXAMPLES / "dunkerque_eco_solidaire.toml").read_text(encoding="utf-8")
    new = load_tariff_text(text.replace("2024-01-01", "2026-11-16"))
    parts = ((NOV[0], (("total", 3000),)), (d("2026-11-16"), (("total", 3000),)))
    bill, ids = Pricer().price(
        [Version(1, old), Version(2, new)], Use("water", 1, False, *NOV, parts)
    )
    assert ids == (1, 2) and bill.total_cents == 1316


def load_tariff_text(text: str):  # type: ignore[no-untyped-def]
    from tariffs.service import read_text

    return read_text(text)


async def test_the_monthly_job_bills_the_month_before_once(db: str) -> None:
    from regie.jobs.tariffs import JOBS, monthly_billing
    from regie.scheduler import all_jobs
    from tariffs.bills import list_bills

    assert JOBS[0] in all_jobs() and JOBS[0].trigger_args["day"] == 2
    await _setup()
    await _golden_households()
    assert await monthly_billing(date(2026, 12, 1)) is None  # the last day may still come in
    assert await list_bills() == []
    assert await monthly_billing(date(2026, 12, 2)) == "2026-11"
    assert await monthly_billing(date(2026, 12, 9)) == "2026-11"  # a catch-up: nothing twice
    assert len(await list_bills()) == 6


def _cli(*args: str) -> Result:
    from regie.cli import main

    return CliRunner().invoke(main, list(args))


async def test_regie_bill_and_correct_bill(db: str) -> None:
    from regie.tables import Household

    await _setup()
    homes = await _golden_households()
    result = await asyncio.to_thread(_cli, "bill", "--period", "2026-11")
    assert result.exit_code == 1  # household G has no tariff: listed, and the exit says so
    assert "issued 6 bills (" in result.output and "0 already billed" in result.output
    assert "not billed: G water: no water tariff in force in U" in result.output
    result = await asyncio.to_thread(_cli, "bill", "--period", "2026-11", "--territory", "T")
    assert result.exit_code == 0 and "issued 0 bills; 6 already billed" in result.output
    result = await asyncio.to_thread(_cli, "bill", "--period", "2026-13")
    assert result.exit_code == 1 and "YYYY-MM" in result.output
    await Household.update({Household.social: True}).where(Household.id == homes["A"])
    first = f"{datetime.now(UTC).year}-0000001"
    result = await asyncio.to_thread(_cli, "correct-bill", first, "--reason", "social status")
    assert result.exit_code == 0, result.output
    assert "credit note" in result.output and "(-13.16)" in result.output
    result = await asyncio.to_thread(_cli, "correct-bill", "nope", "--reason", "x")
    assert result.exit_code == 1 and "no bill nope" in result.output


async def test_a_run_pauses_the_cyclic_collector_and_restores_it(db: str) -> None:
    import gc

    from tariffs.billing import bill_period

    await _setup()
    await _golden_households()
    seen: list[bool] = []
    assert gc.isenabled()
    await bill_period("2026-11", now=NOW, started=lambda _: seen.append(gc.isenabled()))
    assert seen == [False] and gc.isenabled()
    gc.disable()  # turned off by someone else: left off
    try:
        await bill_period("2026-11", now=NOW)
        assert not gc.isenabled()
    finally:
        gc.enable()


@pytest.mark.skipif(not POSTGRES, reason="prepared statements' plans are PostgreSQL's")
async def test_the_reads_of_a_run_keep_a_plan_for_their_dates(db: str) -> None:
    """asyncpg prepares each statement once per pooled connection; from the sixth run on,
    PostgreSQL may keep a generic plan blind to the dates (1.2 s instead of 0.45 s for a
    month of 100,000 meters). Runs of the app on one connection get a custom plan each time."""
    from regie.core.database import engine
    from tariffs.store import session

    await _setup()
    await _golden_households()
    pool = engine()
    await pool.start_connection_pool(min_size=1, max_size=1)  # type: ignore[attr-defined]
    try:
        for _ in range(8):
            async with session(write=False) as reads:
                assert len(await reads.usage(*NOV)) == 8  # the golden rows: 7 meters, 8 series
        async with session(write=False) as reads:
            plans = await reads.fetch(
                "SELECT generic_plans, custom_plans FROM pg_prepared_statements"
                " WHERE statement LIKE '%GROUP BY register, meter'"
            )
            settings = await reads.fetch(
                "SELECT current_setting('plan_cache_mode'), current_setting('work_mem')"
            )
        async with session(write=True) as writes:  # SET LOCAL: gone with the transaction
            after = await writes.fetch("SELECT current_setting('plan_cache_mode')")
    finally:
        await pool.close_connection_pool()  # type: ignore[attr-defined]
    assert [tuple(p) for p in plans] == [(0, 8)]
    assert tuple(settings[0]) == ("force_custom_plan", "64MB")
    assert tuple(after[0]) == ("auto",)
