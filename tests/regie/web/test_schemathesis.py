"""schemathesis against the OpenAPI schema of the JSON API: every operation under /api, with
a household's session for the household API and no session for the public one, finds no
server error, and every response conforms to the schema (status, content type, body)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from litestar.testing import AsyncTestClient
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from regie.web.security import COOKIE
from tests.regie.web.conftest import PASSWORD, People, log_in
from tests.regie.web.test_committees import NOW, make_committees

pytestmark = pytest.mark.db

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Operations whose documented answers the app does not meet yet, with why: expected to fail
# on a conformance check only (never on a server error), and strict, so that the fix shows.
# None at the moment.
KNOWN_GAPS: dict[str, str] = {}


def api_schema() -> schemathesis.BaseSchema:
    """The app's own schema (in process, without the pool: PostgreSQL gets a connection per
    query), narrowed to the JSON API: the pages are not part of it."""
    from regie.app import create_app

    app = create_app(pool=False)
    return schemathesis.openapi.from_asgi("/schema/openapi.json", app).include(path_regex="^/api/")


schema = api_schema()


@pytest.fixture(scope="module")
async def household_session(migrated: str) -> str:  # type: ignore[no-untyped-def]
    """Data behind every operation, made once for the module (use over two years, a bill, a
    vetoed tariff change with its log entries, open aggregates), and the session key of H-1's
    account, logged in through the login form."""
    from committees import votes
    from regie.app import create_app
    from regie.core.accounts import create_account
    from regie.core.database import truncate_all
    from regie.tables import Household
    from regie.web.ratelimit import PER_ACCOUNT, PER_CLIENT
    from tariffs.billing import bill_period

    await truncate_all()
    await Household.insert(
        Household(reference="H-1", name="Famille Martin", address="1 rue des Lilas", persons=3,
                  social=True, territory="lille"),
        Household(reference="H-2", name="M. Dupont", address="2 rue des Lilas", persons=1,
                  social=False, territory="lille"),
    )  # fmt: skip
    people = People()
    await create_account(people.household, "Famille Martin", household_ref="H-1", password=PASSWORD)
    await create_account(people.member, "Élue", password=PASSWORD)
    world = await make_committees(people)
    ballots = {
        people.member: "yes",
        world.logins["operators_a"]: "yes",
        world.logins["users_a"]: "no",
    }
    for login, ballot in ballots.items():
        await votes.cast_vote(world.accounts[login], world.tariff, ballot, now=NOW)
    await votes.close_vote(world.tariff, now=NOW + timedelta(days=7))
    last_month = date.today().replace(day=1) - timedelta(days=1)
    await bill_period(f"{last_month:%Y-%m}")
    PER_ACCOUNT.events.clear()
    PER_CLIENT.events.clear()
    async with AsyncTestClient(app=create_app(pool=False), base_url="http://testserver.local") as c:
        response = await log_in(c, people.household)
        assert response.status_code == 303
        key = c.cookies.get(COOKIE)
    assert key
    return str(key)


@pytest.fixture(autouse=True)
def known_gap(request: pytest.FixtureRequest) -> None:
    for operation, reason in KNOWN_GAPS.items():
        if request.node.name.endswith(f"[{operation}]"):
            request.node.add_marker(
                pytest.mark.xfail(reason=reason, raises=FailureGroup, strict=True)
            )


@schema.parametrize()
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_the_api_answers_as_documented(case, household_session) -> None:  # type: ignore[no-untyped-def]
    cookies = {COOKIE: household_session} if case.path.startswith("/api/household/") else {}
    response = case.call(cookies=cookies)
    assert response.status_code < 500, (case.method, case.formatted_path, response.text[:500])
    case.validate_response(response, checks=CHECKS)
