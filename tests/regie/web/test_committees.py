"""The committee pages: members reach only their committees (pages and fragments), the
dashboard's figures, the queue without personal data, votes cast, changed and refused with
their reasons, counts per college after closing, inert stored text, and a draft's impact."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from regie.web import committees, i18n
from tests.regie.web.conftest import csrf_of, log_in

pytestmark = pytest.mark.db

EXAMPLES = Path(__file__).resolve().parents[3] / "tariffs" / "examples"
CHARTER = 'co_signatures = 2\nvote_duration_days = 7\nsecrecy = "secret"\nquorum = "1/3"\n'
HTMX = {"HX-Request": "true"}
NOW = datetime.now(UTC)


@dataclass
class Committees:
    a: int  # water, Lille: people.member sits in its public college
    b: int  # electricity, Lille
    logins: dict[str, str]  # role → login of the members made here
    accounts: dict[str, int]  # login → account id
    tariff: int = 0  # A's tariff change, put to the vote
    motion: int = 0  # A's free motion, on the agenda
    other: int = 0  # B's proposal
    evaluation: int = 0  # A's evaluation of a provider, on the agenda
    case: int = 0  # H-1's overconsumption case
    households: dict[str, int] = field(default_factory=dict)


def water_tariff(price: str = "2.40", valid_from: str = "2024-01-01") -> str:
    text = (EXAMPLES / "flanders_water.toml").read_text(encoding="utf-8")
    text = text.replace('price = "2.40"', f'price = "{price}"')
    return text.replace("valid_from = 2024-01-01", f"valid_from = {valid_from}")


async def _use(meter: int, first: date, last: date, litres: int, quality: str = "measured") -> None:
    from metering.tables import DailyUsage

    rows, day = [], first
    while day <= last:
        rows.append(
            DailyUsage(meter=meter, day=day, register="total", consumption=litres, quality=quality)
        )
        day += timedelta(days=1)
    await DailyUsage.insert(*rows)


async def make_committees(people) -> Committees:  # type: ignore[no-untyped-def]
    """Two committees in Lille; water use of H-1 (3 persons, social: 300 L a day this year,
    200 L the year before) and H-2 (1 person: 999 L a day); the Flemish water tariff."""
    from committees import proposals, service, votes
    from metering.regulation.tables import RegulationCase
    from metering.tables import Meter
    from regie.core.accounts import create_account
    from regie.tables import Account, Household
    from regie.web import committees_usage
    from tariffs import service as tariffs
    from tariffs.impact import last_twelve_months

    committees_usage.forget()  # sums kept from an earlier test's database
    today = date.today()
    start, end = last_twelve_months(today)
    homes = {
        r["reference"]: r["id"] for r in await Household.select(Household.id, Household.reference)
    }
    for ref, litres, before in (("H-1", 300, 200), ("H-2", 999, 999)):
        meter = Meter(serial=f"W-{ref}", service="water", household=homes[ref])
        await meter.save()
        await _use(meter.id, start.replace(year=start.year - 1), start - timedelta(days=1), before)
        await _use(meter.id, start, end, litres)
        await _use(meter.id, end + timedelta(days=1), today, litres)
    await tariffs.create_version(water_tariff(), "lille", origin="setup")
    made = {
        "operators_a": ("ouvrier@regie.example", "Ouvrier Réseau"),
        "users_a": ("usagere@asso.example", "Usagère Asso"),
        "member_b": ("membre-b@ville.example", "Membre Électricité"),
        "late_a": ("tard@asso.example", "Arrivée Tardive"),
    }
    for login, name in made.values():
        await create_account(login, name, password="correct horse battery")
    ids = {r["login"]: r["id"] for r in await Account.select(Account.login, Account.id)}
    since = NOW - timedelta(days=30)
    a = await service.create_committee("Comité de l'eau", "water", "lille", CHARTER, now=since)
    b = await service.create_committee(
        "Comité de l'électricité", "electricity", "lille", CHARTER, now=since
    )
    for login, committee, college in (
        (people.member, a, "public"),
        (made["operators_a"][0], a, "operators"),
        (made["users_a"][0], a, "users"),
        (made["member_b"][0], b, "public"),
    ):
        await service.add_member(committee, ids[login], college, starts_at=since, now=since)
    world = Committees(a, b, {k: v[0] for k, v in made.items()}, ids, households=homes)
    member = ids[people.member]
    world.tariff = await proposals.file_proposal(
        member, a, "tariff_change", "Eau essentielle moins chère",
        body="Baisser le prix de base.", now=NOW - timedelta(days=3),
        tariff_text=water_tariff("2.00", f"{today.year + 1}-01-01"),
    )  # fmt: skip
    await votes.open_vote(world.tariff, now=NOW - timedelta(days=1))
    world.motion = await proposals.file_proposal(
        member, a, "free_motion", "Motion libre", body="Débattre.", now=NOW - timedelta(days=2)
    )
    world.evaluation = await proposals.file_proposal(
        member, a, "evaluation", "Évaluer la relève", now=NOW - timedelta(days=2),
        details={"subject": "Prestataire de relève", "criteria": [
            {"label": "Ponctualité", "question": "Les relevés sont-ils faits à temps ?"},
            {"label": "Accueil"},
        ]},
    )  # fmt: skip
    electricity = (EXAMPLES / "tarif_bleu_base.toml").read_text(encoding="utf-8")
    next_year = f"valid_from = {today.year + 1}-01-01"
    world.other = await proposals.file_proposal(
        ids[made["member_b"][0]], b, "tariff_change", "Autre comité",
        tariff_text=re.sub(r"valid_from = \S+", next_year, electricity),
        now=NOW - timedelta(days=2),
    )  # fmt: skip
    # Joins after the tariff vote opened: sits in A, but may not vote on it.
    await service.add_member(
        a, ids[made["late_a"][0]], "users", starts_at=NOW - timedelta(hours=12), now=NOW
    )
    case = RegulationCase(
        household=homes["H-2"], territory="lille", service="water", rule="water-excess",
        kind="excess_per_person", opened_on=today - timedelta(days=10),
        last_active=today - timedelta(days=1), figures={"litres_per_person": 999}, volume=12000,
        created_at=NOW,
    )  # fmt: skip
    await case.save()
    world.case = int(case.id)
    return world


@pytest.fixture
async def world(people) -> Committees:  # type: ignore[no-untyped-def]
    return await make_committees(people)


async def english(client, login: str) -> None:  # type: ignore[no-untyped-def]
    client.cookies.set(i18n.LANG_COOKIE, "en")
    response = await log_in(client, login)
    assert response.status_code == 303


async def test_a_member_reaches_only_the_committees_where_they_sit(client, people, world) -> None:  # type: ignore[no-untyped-def]
    assert (await client.get(f"/committees/{world.a}", follow_redirects=False)).status_code == 303
    await english(client, people.member)
    listing = await client.get("/committees")
    assert (
        "Comité de l&#39;eau" in listing.text and "Comité de l&#39;électricité" not in listing.text
    )
    assert (await client.get(f"/committees/{world.a}")).status_code == 200
    assert (await client.get(f"/committees/{world.a}/proposals/{world.motion}")).status_code == 200
    # Committee B, its proposals and its fragments: refused with the reason.
    for url, headers in (
        (f"/committees/{world.b}", {}),
        (f"/committees/{world.b}", {**HTMX, "HX-Target": "proposals"}),
        (f"/committees/{world.b}/proposals/{world.other}", {}),
        (f"/committees/{world.b}/proposals/{world.other}", {**HTMX, "HX-Target": "tally"}),
        (f"/committees/{world.b}/proposals/{world.other}/impact", {}),
    ):
        refused = await client.get(url, headers=headers)
        assert refused.status_code == 403, url
        assert "You do not sit in this committee" in refused.text
        assert "Autre comité" not in refused.text
    # B's proposal under A's address is not found; an unknown committee is refused too.
    assert (await client.get(f"/committees/{world.a}/proposals/{world.other}")).status_code == 404
    assert (await client.get("/committees/99999")).status_code == 403
    token = csrf_of(listing.text)
    vote = await client.post(
        f"/committees/{world.b}/proposals/{world.other}/vote",
        data={"choice": "yes", "csrf_token": token},
    )
    assert vote.status_code == 403
    # A household that sits nowhere sees an empty list and no committee page.
    client.cookies.clear()
    await english(client, people.household)
    assert "You do not sit in any committee" in (await client.get("/committees")).text
    assert (await client.get(f"/committees/{world.a}")).status_code == 403


async def test_the_dashboard_shows_blocks_totals_trend_and_no_personal_data(
    client, people, world
) -> None:  # type: ignore[no-untyped-def]
    await english(client, people.member)
    html = (await client.get(f"/committees/{world.a}")).text
    # H-1 (120 m³ of basic water a year for 3 persons) uses 109.5 m³: Basistarief; H-2 (60 m³
    # for 1 person) uses 364.6 m³: Comforttarief.
    table = _between(html, 'id="blocks-table"', "</table>")
    rows = re.findall(
        r"<th scope=\"row\">([^<]+)</th><td class=\"num\">(\d+)</td><td class=\"num\">(\d+)</td>",
        table,
    )
    assert rows == [("Basistarief", "1", "1"), ("Comforttarief", "1", "0")]
    assert 'id="chart-blocks"' in html and "<svg" in html
    # Twelve months of 300 + 999 L a day against 200 + 999 L a year earlier.
    days = sum(1 for _ in _days(world))
    total = days * (300 + 999) / 1000
    assert f"{total:,.1f} m³" in html
    assert "more than a year earlier" in html
    assert 'id="chart-trend"' in html
    assert "No cost recorded by the operators for these twelve months" in html
    # The queue: the case, without the household's name, address, reference or login.
    queue = _between(html, 'id="queue"', "</section>")
    assert f"#{world.case}" in queue and "Use above the threshold" in queue
    # Issue 5: cases by rule and week, the volume involved, and the outcomes.
    weeks = _between(html, 'id="case-weeks"', "</table>")
    row = _between(weeks, 'data-rule="water-excess"', "</tr>")
    assert re.findall(r"<td class=\"num\">(\d+)</td>", row) == ["1"] and "12.0 m³" in row
    assert "1 opened since" in html and "1 still open, 0 ended" in html
    for private in ("M. Dupont", "2 rue des Lilas", "H-2", "voisin@example.org", "Famille Martin"):
        assert private not in html
    # The queue fragment alone, for HTMX.
    block = await client.get(
        f"/committees/{world.a}?closed=true", headers={**HTMX, "HX-Target": "queue"}
    )
    assert block.text.lstrip().startswith('<section id="queue"') and "<html" not in block.text


async def test_a_vote_is_cast_then_changed_without_and_with_htmx(client, people, world) -> None:  # type: ignore[no-untyped-def]
    from committees.tables import Vote, VoteHistory

    await english(client, people.member)
    url = f"/committees/{world.a}/proposals/{world.tariff}"
    page = await client.get(url)
    assert "You have not voted yet" in page.text and 'name="choice"' in page.text
    assert "Open until" in page.text
    token = csrf_of(page.text)
    cast = await client.post(
        f"{url}/vote", data={"choice": "yes", "csrf_token": token}, follow_redirects=False
    )
    assert cast.status_code == 303 and cast.headers["location"].startswith(f"{url}?done=voted")
    after = await client.get(cast.headers["location"])
    assert "Your current vote: Yes" in after.text and "Your vote is recorded" in after.text
    assert re.search(r'value="yes" required checked', after.text)
    changed = await client.post(
        f"{url}/vote", data={"choice": "no"},
        headers={**HTMX, "HX-Target": "vote", "X-CSRF-Token": token},
    )  # fmt: skip
    assert changed.status_code == 200
    assert changed.text.lstrip().startswith('<section id="vote"')
    assert "Your current vote: No" in changed.text
    votes = await Vote.select(Vote.choice).where(Vote.proposal == world.tariff)
    assert votes == [{"choice": "no"}]
    assert await VoteHistory.count().where(VoteHistory.proposal == world.tariff) == 2
    # The turnout (not the choices) while the vote is open, polled.
    tally = await client.get(url, headers={**HTMX, "HX-Target": "tally"})
    assert 'hx-trigger="every 10s"' in tally.text and 'id="tally-turnout"' in tally.text


async def test_refused_votes_show_the_domains_reason(client, people, world, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from committees import votes

    url = f"/committees/{world.a}/proposals/{world.tariff}"
    await english(client, world.logins["late_a"])
    page = await client.get(url)
    assert "You joined the committee after this vote opened" in page.text
    assert 'name="choice"' not in page.text
    token = csrf_of(page.text)
    late = await client.post(f"{url}/vote", data={"choice": "yes", "csrf_token": token})
    assert late.status_code == 422
    assert "You joined the committee after this vote opened" in late.text
    assert 'id="vote-error"' in late.text
    htmx = await client.post(
        f"{url}/vote", data={"choice": "yes"},
        headers={**HTMX, "HX-Target": "vote", "X-CSRF-Token": token},
    )  # fmt: skip
    assert htmx.status_code == 200 and "You joined the committee after" in htmx.text
    # The motion is not put to the vote.
    motion = await client.post(
        f"/committees/{world.a}/proposals/{world.motion}/vote",
        data={"choice": "yes", "csrf_token": token},
    )
    assert motion.status_code == 422 and "This proposal is not open for voting" in motion.text
    # After the deadline (before the scheduler closes the vote).
    client.cookies.clear()
    await english(client, people.member)
    token = csrf_of((await client.get(url)).text)
    bad = await client.post(f"{url}/vote", data={"choice": "maybe", "csrf_token": token})
    assert bad.status_code == 422 and "Choose yes, no or abstain" in bad.text
    deadline = (await _proposal(world.tariff)).deadline
    monkeypatch.setattr(committees, "now", lambda: deadline + timedelta(minutes=1))
    late_vote = await client.post(f"{url}/vote", data={"choice": "no", "csrf_token": token})
    page = await client.get(url)
    assert late_vote.status_code == 422
    assert "The vote closed at its deadline: your vote was not counted." in late_vote.text
    assert "The deadline has passed" in page.text and 'name="choice"' not in page.text
    assert await votes.current_votes(world.tariff) == []


async def test_a_closed_vote_shows_counts_per_college_and_stops_polling(
    client, people, world
) -> None:  # type: ignore[no-untyped-def]
    from committees import votes

    member = world.accounts[people.member]
    await votes.cast_vote(member, world.tariff, "yes", now=NOW)
    await votes.cast_vote(world.accounts[world.logins["operators_a"]], world.tariff, "yes", now=NOW)
    await votes.cast_vote(world.accounts[world.logins["users_a"]], world.tariff, "no", now=NOW)
    deadline = (await _proposal(world.tariff)).deadline
    await votes.close_vote(world.tariff, now=deadline + timedelta(minutes=1))
    await english(client, people.member)
    url = f"/committees/{world.a}/proposals/{world.tariff}"
    html = (await client.get(url)).text
    assert "Result: Vetoed by the users" in html
    assert "Rule applied: weighted majority of the colleges, users' veto." in html
    counts = _between(html, 'id="tally-counts"', "</table>")
    cells = re.findall(r'data-college="(\w+)">.*?</th>((?:<td class="num">\d+</td>)+)', counts)
    found = {c: re.findall(r"\d+", tds) for c, tds in cells}
    assert found == {
        "public": ["1", "1", "0", "0", "1"],
        "operators": ["1", "1", "0", "0", "1"],
        "users": ["1", "0", "1", "0", "1"],
    }
    assert "The vote closed on" in html and 'name="choice"' not in html
    fragment = await client.get(url, headers={**HTMX, "HX-Target": "tally"})
    assert "hx-trigger" not in fragment.text and 'id="tally-counts"' in fragment.text


async def test_stored_text_renders_inert(client, people, world) -> None:  # type: ignore[no-untyped-def]
    await english(client, people.member)
    url = f"/committees/{world.a}/proposals/{world.motion}"
    token = csrf_of((await client.get(url)).text)
    evil = (
        "<script>alert(1)</script><img src=x onerror=alert(2)>"
        '<div hx-get="/logout" hx-trigger="load">x</div>'
    )
    sent = await client.post(
        f"{url}/comments", data={"body": evil, "csrf_token": token}, follow_redirects=False
    )
    assert sent.status_code == 303
    html = (await client.get(sent.headers["location"])).text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert" not in html and "<img src=x" not in html
    assert 'hx-get="/logout"' not in html and "<div hx-get" not in html
    # The debate fragment, as HTMX swaps it after a comment.
    block = await client.post(
        f"{url}/comments", data={"body": "Deuxième avis"},
        headers={**HTMX, "HX-Target": "debate", "X-CSRF-Token": token},
    )  # fmt: skip
    assert block.text.lstrip().startswith('<section id="debate"')
    assert "Deuxième avis" in block.text and "<script>alert" not in block.text
    empty = await client.post(f"{url}/comments", data={"body": "  ", "csrf_token": token})
    assert empty.status_code == 422 and "A comment needs some text." in empty.text


async def test_the_impact_of_a_tariff_draft_by_block_and_for_social_households(
    client, people, world
) -> None:  # type: ignore[no-untyped-def]
    await english(client, people.member)
    url = f"/committees/{world.a}/proposals/{world.tariff}"
    page = (await client.get(url)).text
    assert f'hx-get="{url}/impact" hx-trigger="load"' in page
    assert f'href="{url}/impact#impact"' in page  # without JavaScript
    block = await client.get(f"{url}/impact", headers={**HTMX, "HX-Target": "impact"})
    assert block.text.lstrip().startswith('<section id="impact"')
    html = block.text
    assert 'id="chart-impact"' in html and "<svg" in html
    groups = re.findall(
        r'data-group="([^"]+)"><th scope="row">[^<]+</th>'
        r'<td class="num">(\d+)</td><td class="num">(\d+)</td><td class="num">(\d+)</td>',
        html,
    )
    # 2.40 → 2.00 € for basic water: both households pay less.
    assert groups == [
        ("all households", "2", "0", "2"),
        ("Basistarief", "1", "0", "1"),
        ("Comforttarief", "1", "0", "1"),
        ("social households", "1", "0", "1"),
    ]
    full = await client.get(f"{url}/impact")
    assert 'id="impact-table"' in full.text and "<html" in full.text
    motion = await client.get(f"/committees/{world.a}/proposals/{world.motion}/impact")
    assert motion.status_code == 404


async def _proposal(proposal: int):  # type: ignore[no-untyped-def]
    from committees.proposals import get_proposal

    return await get_proposal(proposal)


def _days(world: Committees):  # type: ignore[no-untyped-def]
    from tariffs.impact import last_twelve_months

    start, end = last_twelve_months(date.today())
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)


def _between(html: str, start: str, end: str) -> str:
    i = html.index(start)
    return html[i : html.index(end, i)]


async def test_the_queue_is_shown_page_by_page(client, people, world) -> None:  # type: ignore[no-untyped-def]
    from metering.regulation.tables import RegulationCase

    today = date.today()
    await RegulationCase.insert(
        *(
            RegulationCase(
                household=world.households["H-1"],
                territory="lille",
                service="water",
                rule=f"night-{i}",
                kind="night_flow",
                opened_on=today - timedelta(days=40 - i),
                last_active=today,
                figures={},
                volume=100,
                created_at=NOW,
            )
            for i in range(30)
        )
    )
    await english(client, people.member)
    url = f"/committees/{world.a}"
    first = (await client.get(url, headers={**HTMX, "HX-Target": "queue"})).text
    assert first.count('<tr id="case-') == 25 and "Page 1 of 2 (31 cases)" in first
    assert f'id="case-{world.case}"' in first  # the newest case first
    assert f'href="{url}?page=2#queue"' in first
    assert "Possible leak · Open : <strong>30</strong>" in first
    second = (await client.get(f"{url}?page=2", headers={**HTMX, "HX-Target": "queue"})).text
    assert second.count('<tr id="case-') == 6 and "Older cases" not in second
    assert "Famille Martin" not in first + second and "H-1" not in first + second


async def test_a_case_without_a_name_and_the_committees_exemption(client, people, world) -> None:  # type: ignore[no-untyped-def]
    from metering.regulation.cases import reply_to_case
    from metering.regulation.tables import RegulationCase, RegulationExemption

    await reply_to_case(world.case, household=world.households["H-2"], reason="medical_need",
                        text="Dialyse à domicile.")  # fmt: skip
    await english(client, people.member)
    url = f"/committees/{world.a}/cases/{world.case}"
    dashboard = (await client.get(f"/committees/{world.a}")).text
    assert f'href="{url}"' in dashboard
    page = await client.get(url)
    assert page.status_code == 200 and "Use above the threshold" in page.text
    assert "Medical need" in page.text and "Dialyse à domicile." in page.text
    for private in ("M. Dupont", "2 rue des Lilas", "H-2", "voisin@example.org"):
        assert private not in page.text
    # Committee B (electricity) does not reach the water case; an unknown case is not found.
    assert (await client.get(f"/committees/{world.b}/cases/{world.case}")).status_code == 403
    assert (await client.get(f"/committees/{world.a}/cases/99999")).status_code == 404
    token = csrf_of(page.text)
    empty = await client.post(f"{url}/exemption", data={"csrf_token": token, "reason": " "})
    assert empty.status_code == 422 and "Give the committee" in empty.text
    past = await client.post(
        f"{url}/exemption", data={"csrf_token": token, "reason": "Dialyse", "until": "2001-01-01"}
    )
    assert past.status_code == 422 and "An exemption ends today or later." in past.text
    granted = await client.post(
        f"{url}/exemption",
        data={"csrf_token": token, "reason": "Dialyse", "decision_ref": "CR 2026-11"},
        follow_redirects=False,
    )
    assert granted.status_code == 303
    page = await client.get(granted.headers["location"])
    assert "The exemption is recorded" in page.text and "Exemption granted" in page.text
    assert "CR 2026-11" in page.text
    status = await RegulationCase.select(RegulationCase.status).where(
        RegulationCase.id == world.case
    )
    assert status == [{"status": "exempted"}]
    assert await RegulationExemption.count() == 1
    again = await client.post(f"{url}/exemption", data={"csrf_token": token, "reason": "x"})
    assert again.status_code == 422 and await RegulationExemption.count() == 1


async def test_an_impact_without_a_tariff_to_compare_with_says_so_in_the_pages_language(
    client, world
) -> None:  # type: ignore[no-untyped-def]
    """B governs electricity in Lille, where no electricity tariff is in force."""
    assert (
        await log_in(client, world.logins["member_b"], "correct horse battery")
    ).status_code == 303
    url = f"/committees/{world.b}/proposals/{world.other}/impact"
    french = (await client.get(url, headers={**HTMX, "HX-Target": "impact"})).text
    assert "aucun tarif en vigueur pour le service Électricité à lille : rien à comparer" in french
    client.cookies.set(i18n.LANG_COOKIE, "en")
    english = (await client.get(url, headers={**HTMX, "HX-Target": "impact"})).text
    assert "no Electricity tariff in force in lille to compare with" in english
