"""The operators' pages: role checks on every route, search blocks, CSV imports, meter detail,
rejected payloads escaped, tariff drafts with live validation and quotes, billing runs,
ingest health and drought restrictions."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.regie.web.conftest import csrf_of, log_in

pytestmark = pytest.mark.db

EXAMPLES = Path(__file__).resolve().parents[3] / "tariffs" / "examples"
DUNKERQUE = EXAMPLES / "dunkerque_eco_solidaire.toml"
HTMX = {"HX-Request": "true"}
SAMPLE = {"reference": "H-1", "serial": "W-1", "draft_id": "1", "job_id": "nope",
          "restriction": "1", "kind": "households", "cost": "1", "case": "1"}  # fmt: skip


def operator_routes() -> list[tuple[str, str]]:
    """Every (method, path) the operators' controllers serve, with sample path parameters."""
    from regie.app import create_app

    found = []
    for route in create_app().routes:
        if not route.path.startswith("/operator"):
            continue
        path = re.sub(r"\{(\w+):\w+\}", lambda m: SAMPLE[m.group(1)], route.path)
        for method in sorted(route.methods - {"HEAD", "OPTIONS"}):  # type: ignore[union-attr]
            found.append((method, path))
    return found


async def as_operator(client: Any, people: Any) -> str:
    """Log the client in as the operator; returns the session's CSRF token."""
    assert (await log_in(client, people.operator)).status_code == 303
    return csrf_of((await client.get("/operator")).text)


async def meter(serial: str = "W-1", household: str | None = "H-1", service: str = "water") -> int:
    from metering.tables import Meter
    from regie.tables import Household

    home = None
    if household:
        home = (await Household.select(Household.id).where(Household.reference == household))[0]
    row = Meter(serial=serial, service=service, household=home and home["id"])
    await row.save()
    return int(row.id)


async def test_every_operator_route_refuses_other_roles(client, people) -> None:  # type: ignore[no-untyped-def]
    routes = operator_routes()
    assert len(routes) >= 20
    # Anonymous: GETs go to the login page; POSTs with an anonymous session's token too.
    token = csrf_of((await client.get("/login")).text)
    for method, path in routes:
        response = await client.request(
            method, path, data={"csrf_token": token} if method == "POST" else None,
            follow_redirects=False,
        )  # fmt: skip
        assert response.status_code == 303, (method, path, response.status_code)
        assert response.headers["location"].startswith("/login?next=/operator"), (method, path)
    htmx = await client.get("/operator/households", headers=HTMX)
    assert htmx.status_code == 401 and htmx.headers["hx-redirect"].startswith("/login")
    # Households and committee members: refused (administrators are operators too).
    for login in (people.household, people.member):
        client.cookies.clear()
        assert (await log_in(client, login)).status_code == 303
        token = csrf_of((await client.get("/login")).text)
        for method, path in routes:
            response = await client.request(
                method, path, data={"csrf_token": token} if method == "POST" else None,
                follow_redirects=False,
            )  # fmt: skip
            assert response.status_code == 403, (login, method, path, response.status_code)
            assert "text/html" in response.headers["content-type"]  # the handler, not CSRF
    # The operator reaches every page (objects that do not exist are 404s, not refusals).
    client.cookies.clear()
    await as_operator(client, people)
    for method, path in routes:
        if method == "GET":
            response = await client.get(path, follow_redirects=False)
            assert response.status_code in (200, 404), (path, response.status_code)


async def test_search_returns_only_the_block_for_htmx(client, people) -> None:  # type: ignore[no-untyped-def]
    await as_operator(client, people)
    await meter("W-1", "H-1")
    await meter("E-2", "H-2", "electricity")
    full = await client.get("/operator/households", params={"q": "martin"})
    assert full.status_code == 200
    assert "<html" in full.text and 'id="household_results"' in full.text
    assert "Famille Martin" in full.text and "M. Dupont" not in full.text
    block = await client.get(
        "/operator/households", params={"q": "Dupont"},
        headers={**HTMX, "HX-Target": "household_results"},
    )  # fmt: skip
    assert block.status_code == 200
    assert "<html" not in block.text and "<nav" not in block.text
    assert block.text.lstrip().startswith('<div id="household_results"')
    assert "M. Dupont" in block.text and "Famille Martin" not in block.text
    meters = await client.get(
        "/operator/meters", params={"q": "h-2"}, headers={**HTMX, "HX-Target": "meter_results"}
    )
    assert "<html" not in meters.text
    assert "E-2" in meters.text and "W-1" not in meters.text
    everyone = await client.get("/operator/households")
    assert "Famille Martin" in everyone.text and "M. Dupont" in everyone.text


async def test_a_bad_row_shows_its_line_and_imports_nothing(client, people) -> None:  # type: ignore[no-untyped-def]
    from metering.tables import Meter
    from regie.tables import Household

    token = await as_operator(client, people)
    bad = (
        "reference,name,address,persons,social,territory\n"
        "H-3,Famille Leroy,3 rue des Lilas,4,oui,lille\n"
        "H-4,Mme Petit,4 rue des Lilas,many,non,lille\n"
    )
    response = await client.post(
        "/operator/import/households", data={"csrf_token": token},
        files={"file": ("foyers.csv", bad.encode(), "text/csv")},
    )  # fmt: skip
    assert response.status_code == 200
    assert 'data-line="3"' in response.text
    assert "persons must be a whole number" in response.text
    assert await Household.count() == 2  # H-3 was good, yet nothing was imported
    # With HTMX, the result block alone.
    block = await client.post(
        "/operator/import/households", files={"file": ("foyers.csv", bad.encode(), "text/csv")},
        headers={**HTMX, "HX-Target": "import_result", "X-CSRF-Token": token},
    )  # fmt: skip
    assert "<html" not in block.text and 'data-line="3"' in block.text
    # Meters: a household that does not exist.
    meters = (
        "serial,service,household,unit,digits,dev_eui\nW-9,water,H-1,L,0,\nW-10,water,H-77,L,0,\n"
    )
    response = await client.post(
        "/operator/import/meters", data={"csrf_token": token},
        files={"file": ("meters.csv", meters.encode(), "text/csv")},
    )  # fmt: skip
    assert 'data-line="3"' in response.text and "H-77" in response.text
    assert await Meter.count() == 0
    # Without a file, or without the token.
    empty = await client.post("/operator/import/meters", data={"csrf_token": token}, files={})
    assert empty.status_code == 200 and 'class="problems"' in empty.text
    forged = await client.post(
        "/operator/import/meters", files={"file": ("m.csv", meters.encode(), "text/csv")}
    )
    assert forged.status_code == 403


async def test_a_good_file_is_imported_then_redirects(client, people) -> None:  # type: ignore[no-untyped-def]
    from regie.tables import Household

    token = await as_operator(client, people)
    good = (
        "\ufeffreference,name,address,persons,social,territory\n"
        "H-1,Famille Martin,1 rue des Lilas,4,oui,lille\n"
        "H-3,Famille Leroy,3 rue des Lilas,2,non,lille\n"
    )
    response = await client.post(
        "/operator/import/households", data={"csrf_token": token},
        files={"file": ("foyers.csv", good.encode(), "text/csv")}, follow_redirects=False,
    )  # fmt: skip
    assert response.status_code == 303
    assert response.headers["location"] == "/operator/import/households?created=1&updated=1"
    assert await Household.count() == 3
    shown = await client.get(response.headers["location"])
    assert 'class="ok"' in shown.text


async def test_household_detail(client, people) -> None:  # type: ignore[no-untyped-def]
    await as_operator(client, people)
    await meter("W-1", "H-1")
    page = await client.get("/operator/households/H-1")
    assert page.status_code == 200
    assert "Famille Martin" in page.text and "W-1" in page.text and people.household in page.text
    assert (await client.get("/operator/households/H-404")).status_code == 404


async def test_meter_detail_shows_raw_readings_with_their_flags(client, people) -> None:  # type: ignore[no-untyped-def]
    from metering.tables import DailyUsage, Reading

    await as_operator(client, people)
    meter_id = await meter("W-1", "H-1")
    start = datetime(2026, 11, 1, tzinfo=UTC)
    now = datetime.now(UTC)
    rows = [
        Reading(meter=meter_id, ts=start + timedelta(hours=i), register="total",
                value=1000 + 10 * i, received_at=now)
        for i in range(60)
    ]  # fmt: skip
    rows.append(
        Reading(meter=meter_id, ts=start + timedelta(hours=100), register="total", value=900_000,
                flag="spike", received_at=now)
    )  # fmt: skip
    await Reading.insert(*rows)
    await DailyUsage.insert(
        *[DailyUsage(meter=meter_id, day=date(2026, 11, d), register="total", consumption=120)
          for d in (1, 2, 3)]
    )  # fmt: skip
    page = await client.get("/operator/meters/W-1")
    assert page.status_code == 200
    assert 'class="flagged"' in page.text and "flag-spike" in page.text
    assert "<svg" in page.text and 'class="bar"' in page.text
    assert "Page 1" in page.text or "Page 1" in page.text.replace("\xa0", " ")
    # The second page, as an HTMX block: the older readings.
    older = await client.get(
        "/operator/meters/W-1", params={"page": 2},
        headers={**HTMX, "HX-Target": "meter_readings"},
    )  # fmt: skip
    assert "<html" not in older.text and "flag-spike" not in older.text
    assert "2026-11-01 00:00:00" in older.text
    only = await client.get("/operator/meters/W-1", params={"flagged": "true"})
    assert only.text.count('class="flagged"') == 1 and "2026-11-01 00:00:00" not in only.text
    csv_text = (await client.get("/operator/meters/W-1/readings.csv")).text
    assert csv_text.splitlines()[0] == "ts,register,value,quality,flag" and "spike" in csv_text
    assert (await client.get("/operator/meters/NOPE")).status_code == 404


async def test_rejected_payloads_render_inert(client, people) -> None:  # type: ignore[no-untyped-def]
    from metering.tables import RejectedReading

    await as_operator(client, people)
    now = datetime.now(UTC)
    evil = '<script>alert("x")</script><a hx-get="/logout" hx-trigger="load">'
    await RejectedReading.insert(
        RejectedReading(topic="regie/v1/water/<b>x</b>/reading", payload=evil,
                        reason="malformed", detail="<i>bad</i>", received_at=now),
        *[RejectedReading(topic="t", payload="{}", reason="unknown_meter", received_at=now)
          for _ in range(2)],
    )  # fmt: skip
    page = await client.get("/operator/rejected")
    assert page.status_code == 200
    assert "<script>alert" not in page.text and "&lt;script&gt;alert" in page.text
    assert '<a hx-get="/logout"' not in page.text and "&lt;b&gt;x&lt;/b&gt;" in page.text
    assert "<i>bad</i>" not in page.text
    assert page.text.index("unknown_meter") < page.text.index("malformed")  # most first


TYPO = DUNKERQUE.read_text(encoding="utf-8").replace('price = "1.53"', 'prise = "1.53"')


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


async def test_validation_reports_the_line_of_a_typo(client, people) -> None:  # type: ignore[no-untyped-def]
    token = await as_operator(client, people)
    response = await client.post(
        "/operator/tariffs/validate", data={"toml": TYPO, "territory": "lille"},
        headers={**HTMX, "HX-Target": "tariff_problems", "X-CSRF-Token": token},
    )  # fmt: skip
    assert response.status_code == 200
    assert "<html" not in response.text
    assert f'data-line="{line_of(TYPO, "prise")}"' in response.text
    assert "prise" in response.text
    syntax = await client.post(
        "/operator/tariffs/validate", data={"toml": "[tariff]\nname = \n", "csrf_token": token},
    )  # fmt: skip
    assert "<html" in syntax.text and 'data-line="2"' in syntax.text  # the whole page, no JS
    fine = await client.post(
        "/operator/tariffs/validate", data={"toml": TYPO.replace("prise", "price")},
        headers={**HTMX, "HX-Target": "tariff_problems", "X-CSRF-Token": token},
    )  # fmt: skip
    assert 'class="problems"' not in fine.text and 'class="ok"' in fine.text


async def test_problems_are_told_in_the_page_language(client, people) -> None:  # type: ignore[no-untyped-def]
    token = await as_operator(client, people)
    negative = DUNKERQUE.read_text(encoding="utf-8").replace('price = "1.53"', 'price = "-1.53"')
    headers = {**HTMX, "HX-Target": "tariff_problems", "X-CSRF-Token": token}
    french = await client.post(
        "/operator/tariffs/validate", data={"toml": negative}, headers=headers
    )
    assert "valeur négative (price) : -1.53" in french.text
    assert "negative price" not in french.text
    saved = await client.post(
        "/operator/tariffs/new", data={"toml": negative, "territory": "lille", "csrf_token": token}
    )
    assert "valeur négative (price) : -1.53" in saved.text  # refused on save: French too
    client.cookies.set("regie_lang", "en")
    english = await client.post(
        "/operator/tariffs/validate", data={"toml": negative}, headers=headers
    )
    assert "negative price: -1.53" in english.text and "valeur négative" not in english.text


async def test_the_quote_is_the_bill_of_regie_tariff_quote(client, people) -> None:  # type: ignore[no-untyped-def]
    from regie.cli import main

    token = await as_operator(client, people)
    cases = [
        ({"usage": "120 m^3"}, ["--usage", "120 m^3"]),
        ({"usage": "95", "persons": "3", "social": "1"},
         ["--usage", "95 m^3", "--persons", "3", "--social"]),
        ({"usage": "250000 L"}, ["--usage", "250000 L"]),
    ]  # fmt: skip
    for form, args in cases:
        cli = CliRunner().invoke(main, ["tariff", "quote", "--tariff", str(DUNKERQUE), *args])
        assert cli.exit_code == 0, cli.output
        expected = json.loads(cli.output)
        response = await client.post(
            "/operator/tariffs/quote",
            data={"toml": DUNKERQUE.read_text(encoding="utf-8"), **form},
            headers={**HTMX, "HX-Target": "tariff_quote", "X-CSRF-Token": token},
        )
        assert response.status_code == 200 and "<html" not in response.text
        total = re.search(r'data-total="([0-9.]+)"', response.text)
        assert total, response.text
        assert total.group(1) == expected["total"], (form, expected["total"])
        for line in expected["lines"]:
            assert line["name"] in response.text
    # Electricity per register, as `--register hchp=… --register hchc=…`.
    hphc = EXAMPLES / "tarif_bleu_hphc.toml"
    args = ["--register", "hp=240 kWh", "--register", "hc=150 kWh"]
    cli = CliRunner().invoke(main, ["tariff", "quote", "--tariff", str(hphc), *args])
    assert cli.exit_code == 0, cli.output
    response = await client.post(
        "/operator/tariffs/quote",
        data={"toml": hphc.read_text(encoding="utf-8"), "registers": "hp = 240 kWh\nhc = 150"},
        headers={**HTMX, "HX-Target": "tariff_quote", "X-CSRF-Token": token},
    )
    assert f'data-total="{json.loads(cli.output)["total"]}"' in response.text
    # A tariff with problems, or no use yet: a hint instead of a bill.
    hint = await client.post(
        "/operator/tariffs/quote", data={"toml": TYPO, "usage": "120", "csrf_token": token}
    )
    assert "data-total" not in hint.text and "<html" in hint.text


async def test_the_quote_and_a_refused_draft_are_told_in_the_page_language(client, people) -> None:  # type: ignore[no-untyped-def]
    """The calculator's errors come from the engine in English; the page says them in its
    language, and so it does a draft refused for its territory."""
    token = await as_operator(client, people)
    toml = DUNKERQUE.read_text(encoding="utf-8")
    headers = {**HTMX, "HX-Target": "tariff_quote", "X-CSRF-Token": token}

    async def problem(**values: str) -> str:
        response = await client.post("/operator/tariffs/quote", data={"toml": toml, **values},
                                     headers=headers)  # fmt: skip
        assert response.status_code == 200 and "data-total" not in response.text
        return response.text

    assert "unité inconnue &#39;potatoes&#39;" in await problem(usage="12 potatoes")
    assert (
        "pas une quantité : &#39;douze&#39; (écrivez un nombre et une unité : &#34;120 m^3&#34;)"
        in await problem(usage="douze")
    )
    assert "registre inconnu &#39;hp&#39;" in await problem(registers="hp = 120")
    assert "&#39;hp 120&#39; : écrivez NOM = QUANTITÉ" in await problem(registers="hp 120")
    saved = await client.post(
        "/operator/tariffs/new", data={"toml": toml, "territory": " ", "csrf_token": token}
    )
    assert "un territoire est un nom de 1 à 64 caractères" in saved.text
    client.cookies.set("regie_lang", "en")
    english = await problem(usage="12 potatoes")
    assert "unknown unit &#39;potatoes&#39;" in english and "unité" not in english


async def test_drafts_are_saved_with_a_redirect_and_never_when_invalid(client, people) -> None:  # type: ignore[no-untyped-def]
    from tariffs.drafts import list_drafts

    token = await as_operator(client, people)
    text = DUNKERQUE.read_text(encoding="utf-8")
    invalid = await client.post(
        "/operator/tariffs/new", data={"toml": TYPO, "territory": "lille", "csrf_token": token}
    )
    assert invalid.status_code == 200 and 'data-line="' in invalid.text
    assert await list_drafts() == []
    saved = await client.post(
        "/operator/tariffs/new", data={"toml": text, "territory": "lille", "csrf_token": token},
        follow_redirects=False,
    )  # fmt: skip
    assert saved.status_code == 303
    drafts = await list_drafts()
    assert len(drafts) == 1 and drafts[0].author == people.operator
    assert saved.headers["location"] == f"/operator/tariffs/drafts/{drafts[0].id}?saved=1"
    editor = await client.get(saved.headers["location"])
    assert "Dunkerque" in editor.text and 'id="tariff_quote"' in editor.text
    changed = text.replace('name = "Dunkerque — eau éco-solidaire"', 'name = "Proposition 2027"')
    again = await client.post(
        f"/operator/tariffs/drafts/{drafts[0].id}",
        data={"toml": changed, "territory": "lille", "csrf_token": token}, follow_redirects=False,
    )  # fmt: skip
    assert again.status_code == 303
    assert (await list_drafts())[0].name == "Proposition 2027"
    listing = await client.get("/operator/tariffs")
    assert "Proposition 2027" in listing.text
    gone = await client.post(
        f"/operator/tariffs/drafts/{drafts[0].id}/delete", data={"csrf_token": token},
        follow_redirects=False,
    )  # fmt: skip
    assert gone.status_code == 303 and await list_drafts() == []
    assert (await client.get("/operator/tariffs/new?example=tarif_bleu_base")).status_code == 200


async def test_a_billing_run_reaches_100_percent(client, people) -> None:  # type: ignore[no-untyped-def]
    from tariffs import service
    from tariffs.tables import Bill
    from tests.tariffs.billing_data import daily, from_date

    token = await as_operator(client, people)
    await service.create_version(from_date("2024-01-01"), "lille", origin="setup")
    for serial, home in (("W-1", "H-1"), ("W-2", "H-2")):
        await daily(await meter(serial, home), date(2026, 10, 1), date(2026, 10, 31), 150)
    future = await client.post("/operator/billing", data={"period": "2999-01", "csrf_token": token})
    assert future.status_code == 200 and 'role="alert"' in future.text
    started = await client.post(
        "/operator/billing", data={"period": "2026-10", "territory": "", "csrf_token": token},
        follow_redirects=False,
    )  # fmt: skip
    assert started.status_code == 303
    job = started.headers["location"]
    assert job.startswith("/operator/billing/jobs/")
    percent = None
    for _ in range(200):
        block = await client.get(job, headers={**HTMX, "HX-Target": "billing_progress"})
        assert "<html" not in block.text
        percent = re.search(r'data-percent="(\d+)"', block.text)
        assert percent
        if percent.group(1) == "100":
            break
        assert 'hx-trigger="every 1s"' in block.text  # polls while running
        await asyncio.sleep(0.05)
    assert percent and percent.group(1) == "100"
    assert 'hx-trigger="every' not in block.text  # polling stops when done
    assert await Bill.count() == 2
    assert "2 of 2" in block.text or "2 sur 2" in block.text
    runs = await client.get("/operator/billing")
    assert "2026-10" in runs.text


async def test_ingest_health_shows_rate_lag_and_silent_meters(client, people) -> None:  # type: ignore[no-untyped-def]
    from metering.tables import IngestStatus, Reading

    await as_operator(client, people)
    await meter("W-1", "H-1")
    heard = await meter("W-2", "H-2")
    t0 = datetime.now(UTC) - timedelta(seconds=10)
    await Reading(meter=heard, ts=t0, value=5, received_at=t0).save()
    counters = {
        "messages": 1000, "stored": 990, "duplicates": 0, "rejected": {"malformed": 10},
        "lag_ms_max": 80.0, "lag_ms_avg": 12.5, "last_message_at": t0.timestamp(),
    }  # fmt: skip
    await IngestStatus(worker="w1", updated_at=t0, counters=json.dumps(counters)).save()
    first = await client.get("/operator/ingest")
    assert first.status_code == 200
    assert "/operator/meters/W-1" in first.text  # silent for 24 h
    assert "/operator/meters/W-2" not in first.text  # heard 10 s ago
    assert 'hx-trigger="every 2s"' in first.text
    await IngestStatus.update(
        {IngestStatus.updated_at: t0 + timedelta(seconds=10),
         IngestStatus.counters: json.dumps({**counters, "messages": 3000})}
    ).where(IngestStatus.worker == "w1")  # fmt: skip
    block = await client.get("/operator/ingest", headers={**HTMX, "HX-Target": "ingest_counters"})
    assert "<html" not in block.text
    assert "200,0" in block.text or "200.0" in block.text  # 2,000 messages in 10 s
    assert "12,5" in block.text or "12.5" in block.text


async def test_restriction_levels_are_declared_and_lifted(client, people) -> None:  # type: ignore[no-untyped-def]
    from metering.regulation.tables import DroughtRestriction, RegulationNotice

    token = await as_operator(client, people)
    today = date.today()
    bad = await client.post(
        "/operator/restrictions",
        data={"territory": "lille", "level": "apocalypse", "starts_on": str(today),
              "csrf_token": token},
    )  # fmt: skip
    assert bad.status_code == 200 and 'role="alert"' in bad.text
    done = await client.post(
        "/operator/restrictions",
        data={"territory": "lille", "level": "alerte", "starts_on": str(today - timedelta(days=2)),
              "ends_on": "", "decision_ref": "AP-2026-17", "csrf_token": token},
        follow_redirects=False,
    )  # fmt: skip
    assert done.status_code == 303
    row = (await DroughtRestriction.select())[0]
    assert row["level"] == "alerte" and row["declared_by"].startswith("operator:")
    assert await RegulationNotice.count() == 2  # both households of lille are told
    page = await client.get("/operator/restrictions")
    assert "AP-2026-17" in page.text and "<td>Agent</td>" in page.text  # who declared it
    lifted = await client.post(
        f"/operator/restrictions/{row['id']}/lift",
        data={"ends_on": str(today - timedelta(days=1)), "csrf_token": token},
        follow_redirects=False,
    )  # fmt: skip
    assert lifted.status_code == 303
    ends = (await DroughtRestriction.select())[0]["ends_on"]
    assert str(ends)[:10] == str(today - timedelta(days=1))


async def test_dashboard_counts(client, people) -> None:  # type: ignore[no-untyped-def]
    await as_operator(client, people)
    await meter("W-1", "H-1")
    page = await client.get("/operator")
    assert page.status_code == 200
    assert "/operator/import/households" in page.text and 'aria-current="page"' in page.text


async def test_an_operator_records_and_withdraws_costs_the_committee_sees(client, people) -> None:  # type: ignore[no-untyped-def]
    from regie.web import committees
    from regie.web.committee_data import last_twelve_months
    from tariffs import costs
    from tariffs.tables import CostLine
    from tests.regie.web.test_committees import english, make_committees

    world = await make_committees(people)
    client.cookies.set("regie_lang", "en")
    token = await as_operator(client, people)
    year = date.today().year
    form = {
        "csrf_token": token, "service": "water", "territory": "lille", "category": "staff",
        "label": "Salaires", "starts_on": f"{year - 1}-01-01", "ends_on": f"{year + 1}-12-31",
        "amount": "12.345",
    }  # fmt: skip
    refused = await client.post("/operator/costs", data=form)
    assert refused.status_code == 422 and "at most two decimals" in refused.text
    assert 'value="Salaires"' in refused.text  # the form is kept
    assert await CostLine.count() == 0
    recorded = await client.post(
        "/operator/costs", data={**form, "amount": "1096000"}, follow_redirects=False
    )
    assert recorded.status_code == 303
    mistake = await client.post(
        "/operator/costs", data={**form, "amount": "9", "label": "Erreur"}, follow_redirects=False
    )
    assert mistake.status_code == 303
    wrong = (await CostLine.select(CostLine.id).where(CostLine.label == "Erreur"))[0]["id"]
    withdrawn = await client.post(
        f"/operator/costs/{wrong}/withdraw", data={"csrf_token": token}, follow_redirects=False
    )
    assert withdrawn.status_code == 303
    again = await client.post(f"/operator/costs/{wrong}/withdraw", data={"csrf_token": token})
    assert again.status_code == 404
    listing = (await client.get("/operator/costs")).text
    assert "withdrawn by" in listing and "Salaires" in listing
    # The committee sees twelve months of the three-year line (1,000 a day), and coverage.
    client.cookies.clear()
    await english(client, people.member)
    html = (await client.get(f"/committees/{world.a}")).text
    card = html.split('id="card-costs"')[1].split("</div>")[0]
    assert "The bills' revenue covers" in card and "Staff" in card
    fields = {k: v for k, v in form.items() if k != "csrf_token"}
    line = costs.parse_line(**{**fields, "amount": "1096000"})
    expected = costs.summarise([line], *last_twelve_months(committees.today())).cents
    assert f"€{expected / 100:,.2f}" in card, card


async def test_an_operator_follows_a_case_with_who_it_is(client, people) -> None:  # type: ignore[no-untyped-def]
    from tests.regie.web.test_committees import make_committees

    world = await make_committees(people)
    client.cookies.set("regie_lang", "en")
    token = await as_operator(client, people)
    listing = (await client.get("/operator/cases")).text
    assert f'href="/operator/cases/{world.case}"' in listing and "M. Dupont" in listing
    url = f"/operator/cases/{world.case}"
    page = (await client.get(url)).text
    assert "2 rue des Lilas" in page and 'value="notice"' in page
    wrong = await client.post(f"{url}/measures", data={"csrf_token": token, "kind": "cut_off"})
    assert wrong.status_code == 422 and "Choose one of the measures" in wrong.text
    done = await client.post(
        f"{url}/measures",
        data={"csrf_token": token, "kind": "notice", "note": "Courrier envoyé"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    empty = await client.post(f"{url}/outcome", data={"csrf_token": token, "text": ""})
    assert empty.status_code == 422
    told = await client.post(
        f"{url}/outcome", data={"csrf_token": token, "text": "Fuite réparée"},
        follow_redirects=False,
    )  # fmt: skip
    assert told.status_code == 303
    page = (await client.get(url)).text
    assert "Courrier envoyé" in page and "Fuite réparée" in page and "Information notice" in page
    assert (await client.get("/operator/cases/99999")).status_code == 404
