"""The public pages and JSON API, without login: the landing page, committees and members by
college, decisions with counts per college, the log and its chain head, the open data as CSV;
and none of them shows a household's name, address, reference or login."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta

import pytest

from regie.web import i18n
from tests.regie.web.test_committees import NOW, Committees, make_committees

pytestmark = pytest.mark.db

PRIVATE = (
    "Famille Martin", "M. Dupont", "1 rue des Lilas", "2 rue des Lilas", "H-1", "H-2",
    "foyer@example.org", "voisin@example.org", "elue@ville.example", "@asso.example",
)  # fmt: skip
PAGES = ("/", "/public", "/public/log", "/public/data", "/public/data.csv")


@pytest.fixture
async def decided(people) -> Committees:  # type: ignore[no-untyped-def]
    """The committees of test_committees, with A's tariff change voted and vetoed."""
    from committees import votes

    world = await make_committees(people)
    await votes.cast_vote(world.accounts[people.member], world.tariff, "yes", now=NOW)
    await votes.cast_vote(world.accounts[world.logins["operators_a"]], world.tariff, "yes", now=NOW)
    await votes.cast_vote(world.accounts[world.logins["users_a"]], world.tariff, "no", now=NOW)
    await votes.close_vote(world.tariff, now=NOW + timedelta(days=7))
    return world


async def test_public_pages_and_api_carry_no_personal_data(client, people, decided) -> None:  # type: ignore[no-untyped-def]
    urls = [
        *PAGES, f"/public/decisions/{decided.tariff}", "/public/log?after=0",
        "/api/public/committees", "/api/public/decisions", "/api/public/log",
        f"/api/public/decisions/{decided.tariff}", "/api/public/log/head", "/api/public/usage",
    ]  # fmt: skip
    for lang in ("fr", "en"):
        client.cookies.set(i18n.LANG_COOKIE, lang)
        for url in urls:
            response = await client.get(url)
            assert response.status_code == 200, url
            for private in PRIVATE:
                assert private not in response.text, (url, private)
            assert "%(" not in response.text, url


async def test_the_landing_page_replaces_the_ingest_page(client, people, decided) -> None:  # type: ignore[no-untyped-def]
    client.cookies.set(i18n.LANG_COOKIE, "en")
    html = (await client.get("/")).text
    assert "Water and electricity, run with the people who use them" in html
    for link in ('href="/public"', 'href="/public/log"', 'href="/public/data"', 'href="/login'):
        assert link in html
    assert "Eau essentielle moins chère" in html  # the latest decision
    status = await client.get("/status")
    assert status.status_code == 200 and "Ingest" in status.text
    assert (await client.get("/api/ingest")).status_code == 200


async def test_committees_members_by_college_and_decisions_with_counts(
    client, people, decided
) -> None:  # type: ignore[no-untyped-def]
    client.cookies.set(i18n.LANG_COOKIE, "en")
    html = (await client.get("/public")).text
    water = _between(html, f'id="committee-{decided.a}"', "</article>")
    members = dict(
        re.findall(r'data-college="(\w+)">.*?(?:<ul>(.*?)</ul>|<p class="muted">)', water, re.S)
    )
    assert "Élue" in members["public"] and "Ouvrier Réseau" in members["operators"]
    assert "Usagère Asso" in members["users"] and "Arrivée Tardive" in members["users"]
    assert "Membre Électricité" not in water
    decision = _between(html, f'id="decision-{decided.tariff}"', "</article>")
    assert "Vetoed by the users" in decision
    counts = dict(
        re.findall(r'data-college="(\w+)">.*?</th>((?:<td class="num">\d+</td>)+)', decision)
    )
    assert {c: re.findall(r"\d+", v) for c, v in counts.items()} == {
        "public": ["1", "1", "0", "0"],
        "operators": ["1", "1", "0", "0"],
        "users": ["1", "0", "1", "0"],  # who joined after the opening is not an elector
    }
    assert "Motion libre" not in html  # under way: not a decision
    page = await client.get(f"/public/decisions/{decided.tariff}")
    assert "Vote closed" in page.text and "Baisser le prix de base." in page.text
    assert (await client.get(f"/public/decisions/{decided.motion}")).status_code == 404
    api = (await client.get("/api/public/decisions")).json()
    assert [d["proposal"] for d in api] == [decided.tariff]
    assert {c["college"]: (c["members"], c["yes"], c["no"]) for c in api[0]["colleges"]} == {
        "public": (1, 1, 0), "operators": (1, 1, 0), "users": (1, 0, 1),
    }  # fmt: skip
    assert api[0]["status"] == "vetoed" and api[0]["rule"] == "weighted_majority+users_veto"
    assert (await client.get(f"/api/public/decisions/{decided.motion}")).status_code == 404


async def test_the_chain_head_shown_is_the_logs_head(client, people, decided) -> None:  # type: ignore[no-untyped-def]
    from committees import log
    from committees.chain import verify

    seq, head = await log.head()
    assert seq > 10
    for url in ("/public", "/public/log"):
        html = (await client.get(url)).text
        shown = re.search(r'id="chain-head-hash"[^>]*value="([0-9a-f]{64})"', html)
        assert shown and shown.group(1) == head, url
    assert (await client.get("/api/public/log/head")).json() == {"seq": seq, "hash": head}
    # Anyone can recompute the chain from the API and reach the same head.
    body = (await client.get("/api/public/log", params={"limit": 500})).json()
    entries = [type("E", (), e)() for e in body["entries"]]
    assert len(entries) == seq and verify(entries, head=head) is None
    # The log page shows the latest entries; older ones page by page (an HTMX block too).
    page = (await client.get("/public/log")).text
    assert f'id="entry-{seq}"' in page
    block = await client.get(
        "/public/log?after=0", headers={"HX-Request": "true", "HX-Target": "log_entries"}
    )
    assert (
        block.text.lstrip().startswith('<section id="log_entries"') and 'id="entry-1"' in block.text
    )
    bad = await client.get("/api/public/log", params={"limit": 0})
    assert bad.status_code == 400


async def test_open_data_csv_columns_and_cells(client, people, decided, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from regie.web import public
    from tariffs.impact import last_twelve_months

    response = await client.get("/public/data.csv")
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == [
        "service", "territory", "month", "block", "households", "use_of_households",
        "use_in_block", "unit",
    ]  # fmt: skip
    water = [r for r in rows[1:] if r[0] == "water"]
    start, end = last_twelve_months(date.today())
    months = sorted({r[2] for r in water})
    assert len(months) == 12 and months[0] == start.strftime("%Y-%m")
    assert months[-1] == end.strftime("%Y-%m")
    # Two households only: counts, but no use that could be one household's.
    assert all(r[5] == "" and r[6] == "" for r in water)
    assert {(r[3], r[4]) for r in water} == {("Basistarief", "1"), ("Comforttarief", "1")}
    assert all(r[7] == "L" for r in water)
    # With a threshold of one household, the figures: H-1 (300 L a day) in Basistarief, H-2
    # (999 L a day) in Comforttarief; all use is shared between the blocks.
    monkeypatch.setattr(public, "MIN_HOUSEHOLDS", 1)
    rows = list(csv.reader(io.StringIO((await client.get("/public/data.csv")).text)))
    first = [r for r in rows[1:] if r[0] == "water" and r[2] == months[0]]
    days = (start.replace(day=28) + timedelta(days=4)).replace(day=1) - start
    theirs = {r[3]: int(r[5]) for r in first}
    assert theirs == {"Basistarief": 300 * days.days, "Comforttarief": 999 * days.days}
    assert sum(int(r[6]) for r in first) == 1299 * days.days
    api = (await client.get("/api/public/usage")).json()
    assert {"month", "block", "households", "use_of_households", "use_in_block"} <= set(api[0])


async def test_the_api_is_in_the_openapi_schema(client, people) -> None:  # type: ignore[no-untyped-def]
    schema = (await client.get("/schema/openapi.json")).json()
    for path in (
        "/api/public/committees", "/api/public/decisions", "/api/public/decisions/{proposal}",
        "/api/public/log", "/api/public/log/head", "/api/public/usage",
    ):  # fmt: skip
        assert path in schema["paths"], path
    # Only the JSON API: pages, forms and CSV downloads stay out of the schema.
    assert all(p.startswith("/api/") for p in schema["paths"]), sorted(schema["paths"])


def _between(html: str, start: str, end: str) -> str:
    i = html.index(start)
    return html[i : html.index(end, i)]


async def test_stored_text_renders_inert_on_public_pages(client, people, decided) -> None:  # type: ignore[no-untyped-def]
    from committees import proposals, votes

    evil = '<script>alert(1)</script><b hx-get="/logout" hx-trigger="load">x</b>'
    member = decided.accounts[people.member]
    filed = await proposals.file_proposal(
        member, decided.a, "free_motion", f"Titre {evil}", body=evil, now=NOW
    )
    await votes.open_vote(filed, now=NOW, deadline=NOW + timedelta(hours=1))
    await votes.close_vote(filed, now=NOW + timedelta(hours=2))
    for url in ("/", "/public", f"/public/decisions/{filed}", "/public/log"):
        html = (await client.get(url)).text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, url
        assert "<script>alert" not in html and '<b hx-get="/logout"' not in html, url
