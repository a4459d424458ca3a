"""The route-by-role matrix, generated: every route of the app (pages, fragments asked for by
HTMX, forms and the JSON API) is requested by each role, and must be allowed or refused as
the small map below says. A new route fails here until the map says who may reach it; a
route whose objects belong to someone is walked with the objects of each owner."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from regie.web.security import COOKIE
from tests.regie.web.conftest import csrf_of, log_in
from tests.regie.web.test_committees import NOW, Committees, make_committees, water_tariff

pytestmark = pytest.mark.db

ROLES = ("anonymous", "household", "other_household", "member_a", "member_b", "operator", "admin")
ANY = frozenset(ROLES)
LOGGED = ANY - {"anonymous"}
HOUSEHOLDS = frozenset({"household", "other_household"})
OPERATORS = frozenset({"operator", "admin"})
NOBODY: frozenset[str] = frozenset()

# Route prefix → the roles that reach it; the longest prefix applies ("/" is the root only).
# Objects narrow it further (see `variants`): a member reaches only its committee, a
# household only its bills and cases.
ACCESS: dict[str, frozenset[str]] = {
    "/": ANY,  # the public landing page
    "/login": ANY,
    "/invitation": ANY,
    "/lang": ANY,
    "/status": ANY,  # ingest health: counters only
    "/api/ingest": ANY,
    "/static": ANY,
    "/schema": ANY,
    "/public": ANY,
    "/api/public": ANY,
    "/household": HOUSEHOLDS,
    "/api/household": HOUSEHOLDS,
    "/operator": OPERATORS,
    "/committees": LOGGED,  # the list of one's committees (empty for most)
}
# Not walked: logging out ends the role's session (tests/regie/web/test_auth.py covers it).
SKIPPED = {("POST", "/logout")}
# The HTMX block asked for by the fragment request of a page (any other: "main").
FRAGMENTS = {
    "/": "main",
    "/household": "today_figures",
    "/public/log": "log_entries",
    "/status": "ingest_counters",
    "/committees/{committee:int}": "proposals",
    "/committees/{committee:int}/proposals/{proposal:int}": "tally",
    "/committees/{committee:int}/proposals/{proposal:int}/impact": "impact",
}
# What a form sends: enough to pass validation, so that the handler's own checks decide.
FORMS: dict[str, dict[str, Any]] = {
    "/household/cases/{case:int}/reply": {"data": {"reason": "other", "text": "matrix"}},
    "/committees/{committee:int}/proposals/{proposal:int}/vote": {"data": {"choice": "abstain"}},
    "/committees/{committee:int}/proposals/{proposal:int}/comments": {"data": {"body": "ok"}},
    "/operator/import/{kind:str}": {"files": {"file": ("empty.csv", b"", "text/csv")}},
    "/operator/costs": {"data": {"label": "matrix"}},
}


@dataclass
class Objects:
    world: Committees
    bills: dict[str, str]  # household reference → a bill number of it
    job: str


Params = dict[str, Any]
Factory = Callable[[], Awaitable[Params]]


def variants(
    path: str, names: frozenset[str], o: Objects
) -> list[tuple[Params | Factory, frozenset[str]]]:
    """Values for a route's parameters, each with the roles that own those objects."""
    w = o.world
    if path == "/household/proposals/{proposal:int}/sign":  # a proposal under way
        return [({"proposal": w.tariff}, ANY)]
    if path.startswith("/operator/cases/"):  # operators follow every case
        return [({"case": w.case}, ANY)]
    if names == {"committee", "case"}:  # H-2's water case in Lille: committee A's
        return [
            ({"committee": w.a, "case": w.case}, frozenset({"member_a"})),
            ({"committee": w.b, "case": w.case}, NOBODY),  # B governs electricity
        ]
    if path.startswith("/household/evaluations/"):  # committee A's evaluation (Lille's)
        return [({"proposal": w.evaluation}, ANY), ({"proposal": w.tariff}, NOBODY)]
    if path.endswith("/evaluation"):
        return [
            ({"committee": w.a, "proposal": w.evaluation}, frozenset({"member_a"})),
            ({"committee": w.a, "proposal": w.tariff}, NOBODY),  # not an evaluation
            ({"committee": w.b, "proposal": w.evaluation}, NOBODY),  # A's under B
        ]
    table: dict[frozenset[str], list[tuple[Params | Factory, frozenset[str]]]] = {
        frozenset(): [({}, ANY)],
        frozenset({"committee"}): [
            ({"committee": w.a}, frozenset({"member_a"})),
            ({"committee": w.b}, frozenset({"member_b"})),
            ({"committee": 99999}, NOBODY),
        ],
        frozenset({"committee", "proposal"}): [
            ({"committee": w.a, "proposal": w.tariff}, frozenset({"member_a"})),
            ({"committee": w.b, "proposal": w.other}, frozenset({"member_b"})),
            ({"committee": w.a, "proposal": w.other}, NOBODY),  # B's proposal under A
        ],
        frozenset({"number"}): [
            ({"number": o.bills["H-1"]}, frozenset({"household"})),
            ({"number": o.bills["H-2"]}, frozenset({"other_household"})),
        ],
        frozenset({"case"}): [({"case": w.case}, frozenset({"other_household"}))],  # H-2's
        frozenset({"proposal"}): [({"proposal": w.motion}, ANY)],  # decided: public
        frozenset({"serial"}): [({"serial": "W-H-1"}, ANY)],
        frozenset({"reference"}): [({"reference": "H-1"}, ANY)],
        frozenset({"draft_id"}): [(new_draft, ANY)],
        frozenset({"restriction"}): [(new_restriction, ANY)],
        frozenset({"cost"}): [(new_cost, ANY)],
        frozenset({"job_id"}): [({"job_id": o.job}, ANY)],
        frozenset({"kind"}): [({"kind": "households"}, ANY)],
        frozenset({"token"}): [({"token": "not-a-real-token"}, ANY)],
        frozenset({"code"}): [({"code": "en"}, ANY)],
        frozenset({"file_path"}): [({"file_path": "regie.css"}, ANY)],
        frozenset({"path"}): [({"path": "swagger"}, ANY)],
    }
    assert names in table, f"parameters {sorted(names)}: add their values to the matrix"
    return table[names]


async def new_draft() -> Params:
    from tariffs.drafts import save_draft

    return {"draft_id": (await save_draft(water_tariff(), "lille")).id}


async def new_cost() -> Params:
    from tariffs import costs, costs_store

    line = costs.parse_line(
        service="water", territory="lille", starts_on="2026-01-01", ends_on="2026-12-31",
        category="staff", label="matrix", amount="1",
    )  # fmt: skip
    return {"cost": await costs_store.record(line, by="matrix", now=datetime.now(UTC))}


async def new_restriction() -> Params:
    from metering.regulation.service import declare_drought

    day = date.today()
    return {"restriction": await declare_drought("lille", "vigilance", day, declared_by="matrix")}


def allowed_by_prefix(path: str) -> frozenset[str]:
    best = None
    for prefix in ACCESS:
        matches = path == prefix if prefix == "/" else (
            path == prefix or path.startswith(prefix + "/")
        )  # fmt: skip
        if matches and (best is None or len(prefix) > len(best)):
            best = prefix
    assert best is not None, f"{path}: add it to the matrix's ACCESS map"
    return ACCESS[best]


def refused(response: Any) -> bool:
    if response.status_code in (401, 403, 404):
        return True
    location = response.headers.get("location", "") or response.headers.get("hx-redirect", "")
    return response.status_code in (302, 303, 307) and location.startswith("/login")


async def sessions(client, people, world: Committees) -> dict[str, tuple[str, str]]:  # type: ignore[no-untyped-def]
    """Role → (session cookie, CSRF token)."""
    logins = {
        "household": people.household, "other_household": people.other_household,
        "member_a": people.member, "member_b": world.logins["member_b"],
        "operator": people.operator, "admin": people.admin,
    }  # fmt: skip
    found = {}
    for role in ROLES:
        client.cookies.clear()
        if role != "anonymous":
            assert (await log_in(client, logins[role])).status_code == 303
        token = csrf_of((await client.get("/login")).text)
        found[role] = (client.cookies.get(COOKIE), token)
    return found


@pytest.fixture
async def objects(people) -> Objects:  # type: ignore[no-untyped-def]
    from committees import votes
    from regie.web import operators_billing
    from tariffs.billing import bill_period
    from tariffs.billing_plan import previous_month
    from tariffs.bills import list_bills

    world = await make_committees(people)
    # The motion is decided (no quorum): a public decision, and no longer open to signatures.
    await votes.open_vote(
        world.motion, now=NOW - timedelta(days=2), deadline=NOW - timedelta(days=1)
    )
    await votes.close_vote(world.motion, now=NOW)
    await bill_period(previous_month(date.today()), now=datetime.now(UTC))
    refs = {v: k for k, v in world.households.items()}
    bills = {refs[b.household]: b.number for b in await list_bills()}
    job = operators_billing.BillingJob(
        "matrix", "2026-01", None, people.operator, datetime.now(UTC), phase="done"
    )
    operators_billing.JOBS[job.id] = job
    return Objects(world, bills, job.id)


async def test_every_route_with_every_role(client, people, objects) -> None:  # type: ignore[no-untyped-def]
    roles = await sessions(client, people, objects.world)
    routes = [
        (method, route.path, frozenset(re.findall(r"{(\w+)(?::\w+)?}", route.path)))
        for route in client.app.routes
        for method in sorted(route.methods - {"OPTIONS", "HEAD"})
        if (method, route.path) not in SKIPPED
    ]
    assert len(routes) > 40
    mismatches, walked = [], 0
    for method, path, names in sorted(routes, key=lambda r: (r[0] == "POST", r[1])):
        base = allowed_by_prefix(path)
        for values, owners in variants(path, names, objects):
            expected = base & owners
            for htmx in (False, True) if method == "GET" else (False,):
                for role in ROLES:
                    params = values if isinstance(values, dict) else await values()
                    url = re.sub(r"{(\w+)(?::\w+)?}", lambda m, p=params: str(p[m.group(1)]), path)
                    cookie, token = roles[role]
                    client.cookies.clear()
                    if cookie:
                        client.cookies.set(COOKIE, cookie)
                    headers = {"X-CSRF-Token": token}
                    if htmx:
                        headers.update(
                            {"HX-Request": "true", "HX-Target": FRAGMENTS.get(path, "main")}
                        )
                    kwargs = FORMS.get(path, {"data": {}}) if method == "POST" else {}
                    response = await client.request(
                        method, url, headers=headers, follow_redirects=False, **kwargs
                    )
                    walked += 1
                    assert response.status_code < 500, (method, url, role, response.text[:300])
                    if refused(response) == (role in expected):
                        mismatches.append(
                            f"{method} {url}{' (htmx)' if htmx else ''} as {role}: "
                            f"{response.status_code}, expected "
                            f"{'allowed' if role in expected else 'refused'}"
                        )
    assert mismatches == [], "\n".join(mismatches)
    assert walked > 500


def test_the_map_names_existing_roles_only() -> None:
    for roles in ACCESS.values():
        assert roles <= ANY
    assert allowed_by_prefix("/") == ANY
    assert allowed_by_prefix("/committees/{committee:int}/proposals") == LOGGED
    for unknown in ("/nowhere", "/householder"):  # prefixes match whole segments
        with pytest.raises(AssertionError):
            allowed_by_prefix(unknown)
