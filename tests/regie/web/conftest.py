"""A web client on the app, with accounts of every role."""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from litestar.testing import AsyncTestClient

os.environ["REGIE_DEVELOPMENT"] = "1"  # plain-HTTP test client: cookies without Secure

PASSWORD = "correct horse battery"


@pytest.fixture
async def client(db: str) -> AsyncIterator[AsyncTestClient]:  # type: ignore[type-arg]
    from regie.app import create_app
    from regie.web.ratelimit import PER_ACCOUNT, PER_CLIENT

    PER_ACCOUNT.events.clear()
    PER_CLIENT.events.clear()
    async with AsyncTestClient(app=create_app(pool=False), base_url="http://testserver.local") as c:
        yield c


@dataclass
class People:
    household: str = "foyer@example.org"
    other_household: str = "voisin@example.org"
    operator: str = "agent@regie.example"
    admin: str = "admin@regie.example"
    member: str = "elue@ville.example"


@pytest.fixture
async def people(db: str) -> People:
    from regie.core.accounts import create_account
    from regie.tables import Household

    await Household.insert(
        Household(reference="H-1", name="Famille Martin", address="1 rue des Lilas", persons=3,
                  social=True, territory="lille"),
        Household(reference="H-2", name="M. Dupont", address="2 rue des Lilas", persons=1,
                  social=False, territory="lille"),
    )  # fmt: skip
    who = People()
    await create_account(who.household, "Famille Martin", household_ref="H-1", password=PASSWORD)
    await create_account(who.other_household, "M. Dupont", household_ref="H-2", password=PASSWORD)
    await create_account(who.operator, "Agent", operator=True, password=PASSWORD)
    await create_account(who.admin, "Admin", admin=True, password=PASSWORD)
    await create_account(who.member, "Élue", password=PASSWORD)
    return who


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html) or re.search(
        r'"X-CSRF-Token": "([^"]+)"', html
    )
    assert match, "no CSRF token in the page"
    return match.group(1)


async def log_in(client: AsyncTestClient, login: str, password: str = PASSWORD):  # type: ignore[no-untyped-def,type-arg]
    page = await client.get("/login")
    return await client.post(
        "/login",
        data={"login": login, "password": password, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
