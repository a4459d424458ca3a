"""The household's pages: figures from known use, the chart with its thresholds and summary,
HTMX blocks, bills, alerts, proposals, and that a household reaches only its own objects."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from regie.web import i18n
from tests.regie.web.conftest import csrf_of, log_in

pytestmark = pytest.mark.db

TODAY = date(2026, 3, 15)
EXAMPLES = Path(__file__).resolve().parents[3] / "tariffs" / "examples"
CHARTER = 'co_signatures = 2\nvote_duration_days = 7\nsecrecy = "secret"\nquorum = "1/3"\n'
HTMX = {"HX-Request": "true"}


@dataclass
class World:
    water: int  # H-1's water meter
    electricity: int
    other_water: int  # H-2's
    committee: int = 0


async def _days(meter: int, first: date, last: date, amount: int, register: str = "total") -> None:
    from metering.tables import DailyUsage

    rows, day = [], first
    while day <= last:
        rows.append(DailyUsage(meter=meter, day=day, register=register, consumption=amount))
        day += timedelta(days=1)
    await DailyUsage.insert(*rows)


@pytest.fixture
async def world(people, monkeypatch) -> World:  # type: ignore[no-untyped-def]
    """H-1 (3 persons, social) with water and HP/HC electricity, H-2 with water, in Lille, on
    the Flemish water tariff (30 m³ + 30 m³ per person a year) and Tarif Bleu HP/HC."""
    from metering.tables import DailyUsage, Meter
    from regie.web import household_data
    from tariffs import service

    monkeypatch.setattr(household_data, "local_today", lambda: TODAY)
    h1, h2 = await _household_id("H-1"), await _household_id("H-2")
    meters = []
    for serial, kind, home, registers in (
        ("W-1", "water", h1, "[]"),
        ("E-1", "electricity", h1, '["hp", "hc"]'),
        ("W-2", "water", h2, "[]"),
    ):
        row = Meter(serial=serial, service=kind, household=home, registers=registers)
        await row.save()
        meters.append(int(row.id))
    w = World(*meters)
    await _days(w.water, date(2026, 1, 1), TODAY - timedelta(days=1), 300)
    await DailyUsage.insert(DailyUsage(meter=w.water, day=TODAY, register="total", consumption=420))
    await _days(w.electricity, date(2026, 3, 1), TODAY, 6000, "hp")
    await _days(w.electricity, date(2026, 3, 1), TODAY, 4000, "hc")
    await _days(w.other_water, date(2026, 1, 1), TODAY, 999)
    for name in ("flanders_water.toml", "tarif_bleu_hphc.toml"):
        text = (EXAMPLES / name).read_text(encoding="utf-8")
        await service.create_version(text, "lille", origin="setup")
    return w


async def english(client, login: str) -> None:  # type: ignore[no-untyped-def]
    client.cookies.set(i18n.LANG_COOKIE, "en")
    await log_in(client, login)


async def test_the_page_shows_the_figures_of_known_use(client, people, world) -> None:  # type: ignore[no-untyped-def]
    await english(client, people.household)
    page = await client.get("/household")
    assert page.status_code == 200
    html = page.text
    assert "Famille Martin" in html
    today = _between(html, 'id="today_figures"', "</div>")
    assert "420 L" in today and "10.0 kWh" in today
    # March: 14 days of 300 L and today's 420 L; 15 days of 10 kWh. The year: 73 days more.
    assert "4.6 m³" in html and "150 kWh" in html
    assert "22.3 m³" in html
    # Flanders: 30 m³ + 30 m³ per person, 3 persons: 120 m³ of basic water a year.
    assert "22.3 m³ of your 120.0 m³ of Basistarief since 1 January" in html
    # Its share up to 15 March (74 days of 365), as bills prorate it.
    assert "24.3 m³" in html
    # No leftover of a missing translation or variable.
    assert "%(" not in html and "None" not in html


async def test_bill_to_date_and_forecast_are_priced_by_the_engine(client, people, world) -> None:  # type: ignore[no-untyped-def]
    from tariffs.engine import price_period
    from tariffs.tariff_file import parse_tariff

    await english(client, people.household)
    html = (await client.get("/household")).text
    tariff, _ = parse_tariff((EXAMPLES / "flanders_water.toml").read_text(), "t")
    assert tariff is not None
    march = date(2026, 3, 1)
    so_far = price_period(tariff, Decimal("4.62"), persons=3, social=True, start=march, end=TODAY)
    # The forecast: 4,620 L over 15 days carried over 31 days, 9,548 L, for the whole month.
    end = date(2026, 3, 31)
    ahead = price_period(tariff, Decimal("9.548"), persons=3, social=True, start=march, end=end)
    section = _between(html, 'id="estimate-title"', "</section>")
    i18n.current.set("en")
    assert i18n.money(so_far.total) in section
    assert i18n.money(ahead.total) in section
    assert "9.5 m³" in section


async def test_the_chart_draws_the_thresholds_and_says_it_in_words(client, people, world) -> None:  # type: ignore[no-untyped-def]
    await english(client, people.household)
    html = (await client.get("/household")).text
    chart = _between(html, 'id="usage_chart"', "</section>")
    water = _between(chart, 'id="chart-water-day"', "</figure>")
    assert '<svg class="chart-svg"' in water and 'role="img"' in water
    assert re.search(r'<path class="threshold threshold-0" d="M[\d. VH]+"', water)
    summary = _between(water, 'class="chart-summary"', "</p>")
    assert "Last 31 days: 9,420 L in all" in summary
    assert "highest 420 L on Sunday 15 March. Basistarief" in summary
    # 120 m³ a year over 365 days: 329 L a day.
    assert "Basistarief: up to 329 L a day for your household." in summary
    assert "<table>" in water and '<th scope="row">Sunday 15 March' in water
    # Electricity is stacked per register, named as the tariff names them.
    power = _between(chart, 'id="chart-electricity-day"', "</figure>")
    assert 'class="reg-0' in power and 'class="reg-1' in power
    assert "Heures creuses" in power and "Heures pleines" in power
    # Without JavaScript the scale links are plain links to the full page.
    assert 'href="/household?scale=month#usage_chart"' in chart


async def test_htmx_gets_only_the_block_it_targets(client, people, world) -> None:  # type: ignore[no-untyped-def]
    await english(client, people.household)
    today = await client.get("/household", headers={**HTMX, "HX-Target": "today_figures"})
    assert today.status_code == 200
    assert today.text.lstrip().startswith('<div id="today_figures"')
    assert "<html" not in today.text and "usage_chart" not in today.text
    assert 'hx-trigger="every 30s"' in today.text and "420 L" in today.text
    chart = await client.get("/household?scale=month", headers={**HTMX, "HX-Target": "usage_chart"})
    assert chart.text.lstrip().startswith('<section id="usage_chart"')
    assert "<html" not in chart.text and "today_figures" not in chart.text
    assert 'id="chart-water-month"' in chart.text and "Last 12 months" in chart.text
    assert 'aria-current="page">By month' in chart.text
    # The same URL without HTMX is the full page, and an unknown target gets it too.
    full = await client.get("/household?scale=year")
    assert "<html" in full.text and 'id="chart-water-year"' in full.text
    odd = await client.get("/household", headers={**HTMX, "HX-Target": "main"})
    assert "<html" in odd.text


async def test_bills_list_and_detail_with_lines(client, people, world) -> None:  # type: ignore[no-untyped-def]
    from tariffs.billing import bill_period
    from tariffs.bills import list_bills

    await bill_period("2026-02", now=datetime(2026, 3, 2, 8, tzinfo=UTC))
    await english(client, people.household)
    h1 = await _household_id("H-1")
    water = [b for b in await list_bills() if b.service == "water"]
    own = [b for b in water if b.household == h1]
    other = [b for b in water if b.household != h1]
    assert own and other
    listing = await client.get("/household/bills")
    assert own[0].number in listing.text and other[0].number not in listing.text
    block = await client.get("/household/bills", headers={**HTMX, "HX-Target": "bill_list"})
    assert block.text.lstrip().startswith('<section id="bill_list"')
    detail = await client.get(f"/household/bills/{own[0].number}")
    assert detail.status_code == 200
    assert "Basistarief" in detail.text and "Vastrecht drinkwater" in detail.text
    assert "8.4 m³" in detail.text  # 28 days of 300 L in February
    assert "Total incl. VAT" in detail.text and 'class="bill-doc"' in detail.text
    i18n.current.set("en")
    assert i18n.money(own[0].total_cents, cents=True) in detail.text
    # Another household's bill does not exist for this one, nor does a made-up number.
    assert (await client.get(f"/household/bills/{other[0].number}")).status_code == 404
    assert (await client.get("/household/bills/2026-9999999")).status_code == 404


async def test_a_bill_downloads_as_a_pdf_with_its_figures(client, people, world) -> None:  # type: ignore[no-untyped-def]
    from io import BytesIO

    from pypdf import PdfReader

    from tariffs.billing import bill_period
    from tariffs.bills import list_bills

    await bill_period("2026-02", now=datetime(2026, 3, 2, 8, tzinfo=UTC))
    await english(client, people.household)
    h1 = await _household_id("H-1")
    water = [b for b in await list_bills() if b.service == "water"]
    own = next(b for b in water if b.household == h1)
    other = next(b for b in water if b.household != h1)
    page = await client.get(f"/household/bills/{own.number}")
    assert f'href="/household/bills/{own.number}/pdf"' in page.text
    response = await client.get(f"/household/bills/{own.number}/pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == f'inline; filename="{own.number}.pdf"'
    # A real PDF reader opens it (strict: the cross-reference offsets must be right).
    reader = PdfReader(BytesIO(response.content), strict=True)
    text = "\n".join(p.extract_text() for p in reader.pages)
    i18n.current.set("en")
    assert f"Bill {own.number}" in text and "Famille Martin" in text
    assert "Basistarief" in text and "Vastrecht drinkwater" in text and "8.4 m³" in text
    assert i18n.money(own.total_cents, cents=True) in text
    assert reader.metadata is not None and reader.metadata.title == f"Bill {own.number}"
    # In French, with the locale's figures.
    client.cookies.set(i18n.LANG_COOKIE, "fr")
    french = await client.get(f"/household/bills/{own.number}/pdf")
    text = PdfReader(BytesIO(french.content), strict=True).pages[0].extract_text()
    i18n.current.set("fr")
    assert f"Facture {own.number}" in text
    assert i18n.money(own.total_cents, cents=True).replace("\u202f", "\xa0") in text.replace(
        "\u202f", "\xa0"
    )
    # Another household's bill is not found, as a PDF as well.
    assert (await client.get(f"/household/bills/{other.number}/pdf")).status_code == 404


async def test_other_roles_and_strangers_are_kept_out(client, people, world) -> None:  # type: ignore[no-untyped-def]
    anonymous = await client.get("/household", follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
    await log_in(client, people.operator)
    assert (await client.get("/household")).status_code == 403
    assert (await client.get("/household/bills")).status_code == 403


async def test_alerts_show_none_only_when_there_is_none(client, people, world) -> None:  # type: ignore[no-untyped-def]
    await english(client, people.household)
    html = (await client.get("/household")).text
    assert "No alert: nothing unusual in your use." in html
    case = await _case("H-1")
    html = (await client.get("/household")).text
    alerts = _between(html, 'id="alerts"', "</section>")
    assert "No alert" not in alerts
    assert "Possible leak" in alerts and "has not come back to zero at night for 3 nights" in alerts
    # The household answers from its page; another household's case is not found.
    token = csrf_of(html)
    form = {"reason": "leak_repaired", "text": "Plumber came", "csrf_token": token}
    done = await client.post(f"/household/cases/{case}/reply", data=form, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/household?done=replied#alerts"
    other = await _case("H-2")
    refused = await client.post(f"/household/cases/{other}/reply", data=form)
    assert refused.status_code == 404
    assert (
        await client.post(f"/household/cases/{case}/reply", data={"reason": "other"})
    ).status_code == 403


async def test_proposals_cosigning_and_filing(client, people, world) -> None:  # type: ignore[no-untyped-def]
    from committees import proposals, service
    from committees.tables import Proposal, Signature
    from regie.tables import Account

    now = datetime.now(UTC)
    committee = await service.create_committee("Comité", "water", "lille", CHARTER, now=now)
    found = await Account.select(Account.id).where(Account.login == people.other_household)
    neighbour = found[0]["id"]
    hostile = '<script>alert(1)</script><b hx-get="/logout" hx-trigger="load">x</b>'
    draft = await proposals.file_proposal(
        neighbour, committee, "free_motion", hostile, body=f"Body {hostile}", now=now
    )
    await english(client, people.household)
    html = (await client.get("/household")).text
    block = _between(html, 'id="proposals"', "</section>")
    # Stored text renders inert: escaped, never as elements or attributes.
    assert "<script>alert" not in html and "<b hx-get" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;b hx-get=" in block
    assert "0 of 2 co-signatures" in block
    # Co-signing needs the session's token, then works without JavaScript (303 back).
    assert (await client.post(f"/household/proposals/{draft}/sign")).status_code == 403
    signed = await client.post(
        f"/household/proposals/{draft}/sign", data={"csrf_token": csrf_of(html)},
        follow_redirects=False,
    )  # fmt: skip
    assert signed.status_code == 303
    assert await Signature.count().where(Signature.proposal == draft) == 1
    page = (await client.get(signed.headers["location"])).text
    assert (
        "Your household co-signed the proposal." in page and "Your household has co-signed." in page
    )
    # With HTMX, the answer is the proposals block alone (here, a refusal: already signed).
    again = await client.post(
        f"/household/proposals/{draft}/sign",
        headers={**HTMX, "HX-Target": "proposals", "X-CSRF-Token": csrf_of(html)},
    )
    assert again.status_code == 200 and again.text.lstrip().startswith('<section id="proposals"')
    # Filing its own: without the token refused, with it filed in the household's name.
    form = {"committee": str(committee), "kind": "access", "title": "Fontaines publiques",
            "body": "Deux fontaines de plus.", "tariff": ""}  # fmt: skip
    assert (await client.post("/household/proposals", data=form)).status_code == 403
    filed = await client.post(
        "/household/proposals", data={**form, "csrf_token": csrf_of(html)}, follow_redirects=False
    )
    assert filed.status_code == 303
    row = await Proposal.select().where(Proposal.title == "Fontaines publiques").first()
    assert row is not None and row["household"] == await _household_id("H-1")
    # A refused filing shows why, keeps what was typed, and says so with a 422.
    bad = await client.post(
        "/household/proposals", data={**form, "title": " ", "csrf_token": csrf_of(html)}
    )
    assert bad.status_code == 422 and "A proposal needs a title." in bad.text
    assert "Deux fontaines de plus." in bad.text
    # A committee of another territory is not one of its own.
    far = await service.create_committee("Comité ailleurs", "water", "roubaix", CHARTER, now=now)
    away = await client.post(
        "/household/proposals", data={**form, "committee": str(far), "csrf_token": csrf_of(html)}
    )
    assert away.status_code == 404


async def test_a_refused_tariff_file_is_told_in_french(client, people, world) -> None:  # type: ignore[no-untyped-def]
    from committees import service

    now = datetime.now(UTC)
    committee = await service.create_committee("Comité", "water", "lille", CHARTER, now=now)
    await log_in(client, people.household)
    html = (await client.get("/household")).text
    text = (EXAMPLES / "flanders_water.toml").read_text(encoding="utf-8")
    text = text.replace('price = "4.80"', 'price = "-4.80"')
    line = next(n for n, row in enumerate(text.splitlines(), 1) if "-4.80" in row)
    form = {"committee": str(committee), "kind": "tariff_change", "title": "Tarif 2027",
            "body": "", "tariff": text, "csrf_token": csrf_of(html)}  # fmt: skip
    refused = await client.post("/household/proposals", data=form)
    assert refused.status_code == 422
    assert (
        f"Le fichier de tarif a des problèmes : ligne {line}, block[2].price : "
        "valeur négative (price) : -4.80" in refused.text
    )
    assert "negative price" not in refused.text


async def test_a_refused_filing_is_told_in_the_page_language(client, people, world) -> None:  # type: ignore[no-untyped-def]
    """Refusals the page had no words for used to show the domain's English sentence."""
    from committees import service

    now = datetime.now(UTC)
    committee = await service.create_committee("Comité", "water", "lille", CHARTER, now=now)
    await log_in(client, people.household)
    html = (await client.get("/household")).text
    form = {"committee": str(committee), "title": "Règles d'été", "body": "", "tariff": "",
            "csrf_token": csrf_of(html)}  # fmt: skip
    rules = await client.post("/household/proposals", data={**form, "kind": "overconsumption_rule"})
    assert rules.status_code == 422
    assert "Le jeu de règles de surconsommation a des problèmes." in rules.text
    unknown = await client.post("/household/proposals", data={**form, "kind": "potluck"})
    assert "Choisissez la nature de la proposition (pas &#39;potluck&#39;)." in unknown.text
    electricity = (EXAMPLES / "tarif_bleu_hphc.toml").read_text(encoding="utf-8")
    tariff = {**form, "kind": "tariff_change", "tariff": electricity}
    wrong = await client.post("/household/proposals", data=tariff)
    assert "Ce tarif n&#39;est pas celui du service de ce comité (Eau)." in wrong.text
    for page in (rules, unknown, wrong):
        assert "Refusé" not in page.text and "has problems" not in page.text
    client.cookies.set(i18n.LANG_COOKIE, "en")
    english = await client.post("/household/proposals", data=tariff)
    assert "This tariff is not for this committee&#39;s service (Water)." in english.text


async def test_the_page_is_french_by_default(client, people, world) -> None:  # type: ignore[no-untyped-def]
    await log_in(client, people.household)
    html = (await client.get("/household")).text
    assert "Aujourd’hui" in html or "Aujourd'hui" in html
    assert "22,3 m³ sur les 120,0 m³ de votre tranche « Basistarief » depuis le 1 janvier" in html


# -- helpers -------------------------------------------------------------------------------


def _between(text: str, start: str, end: str) -> str:
    i = text.index(start)
    return text[i : text.index(end, i) + len(end)]


async def _household_id(reference: str) -> int:
    from regie.tables import Household

    row = await Household.select(Household.id).where(Household.reference == reference).first()
    assert row is not None
    return int(row["id"])


async def _case(reference: str) -> int:
    from metering.regulation.tables import RegulationCase

    row = RegulationCase(
        household=await _household_id(reference), territory="lille", service="water",
        rule="night_flow", kind="night_flow", status="open", opened_on=TODAY,
        last_active=TODAY, figures={"nights": 3, "lowest_per_hour": 12},
        created_at=datetime.now(UTC),
    )  # fmt: skip
    await row.save()
    return int(row.id)
