"""What the household page keeps between requests (regie.web.household_kept) is keyed by the
household of the identity and the data versions: two households' pages never mix, and every
change to what the page shows is on the next page (notices, persons, proposals and their
co-signatures, a new tariff version, new bills)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from litestar.testing import AsyncTestClient

from tests.regie.web.conftest import log_in
from tests.regie.web.test_households import CHARTER, EXAMPLES, TODAY, _between, english, world

pytestmark = pytest.mark.db
__all__ = ["world"]  # the fixture, shared with test_households


async def test_two_households_pages_never_mix(client, people, world) -> None:  # type: ignore[no-untyped-def]
    from regie.app import create_app

    await english(client, people.household)
    async with AsyncTestClient(
        app=create_app(pool=False), base_url="http://testserver.local"
    ) as other:
        await log_in(other, people.other_household)
        for _ in range(3):
            mine, theirs = (
                (await client.get("/household")).text,
                (await other.get("/household")).text,
            )
            assert "Famille Martin" in mine and "M. Dupont" not in mine
            assert "M. Dupont" in theirs and "Famille Martin" not in theirs
            assert "H-1" in mine and "H-1" not in theirs


async def test_every_change_is_on_the_next_page(client, people, world) -> None:  # type: ignore[no-untyped-def]
    from committees import proposals, service
    from metering.regulation.tables import RegulationNotice
    from regie.tables import Account, Household
    from tariffs import service as tariffs
    from tariffs.billing import bill_period

    await english(client, people.household)
    page = (await client.get("/household")).text
    assert "3 person(s)" in page and "Des fuites" not in page and "No bill yet." in page
    assert (await client.get("/household")).text == page  # nothing changed: the same page

    home = await Household.select(Household.id).where(Household.reference == "H-1").first()
    assert home is not None
    await RegulationNotice(
        household=home["id"], kind="drought", message="Des fuites ?", created_at=datetime.now(UTC)
    ).save()
    await Household.update({Household.persons: 4}).where(Household.id == home["id"])
    page = (await client.get("/household")).text
    assert "Des fuites ?" in page and "4 person(s)" in page

    committee = await service.create_committee(
        "Comité de l'eau", "water", "lille", CHARTER, now=datetime.now(UTC) - timedelta(days=1)
    )
    assert "Une motion du voisin" not in (await client.get("/household")).text
    other = await Account.select(Account.id).where(Account.login == people.other_household)
    motion = await proposals.file_proposal(
        other[0]["id"], committee, "free_motion", "Une motion du voisin",
        now=datetime.now(UTC),
    )  # fmt: skip
    page = (await client.get("/household")).text
    assert "Une motion du voisin" in page and "0 of 2 co-signatures" in page
    await proposals.sign_proposal(
        (await Account.select(Account.id).where(Account.login == people.household))[0]["id"],
        motion,
        now=datetime.now(UTC),
    )
    assert "1 of 2 co-signatures" in (await client.get("/household")).text

    text = (EXAMPLES / "flanders_water.toml").read_text(encoding="utf-8")
    text = text.replace("valid_from = 2024-01-01", f"valid_from = {TODAY.replace(day=1)}")
    await tariffs.create_version(
        text.replace('name = "Basistarief"', 'name = "Basis 2026"'),
        "lille",
        origin="decision",
        decision_ref="test-household-cache",
    )
    assert "Basis 2026" in (await client.get("/household")).text

    await bill_period("2026-02", territory="lille", now=datetime(2026, 3, 2, tzinfo=UTC))
    page = (await client.get("/household")).text
    assert "No bill yet." not in page and "2026-02" in page


async def test_a_late_reading_in_a_past_month_is_on_the_next_page(client, people, world) -> None:  # type: ignore[no-untyped-def]
    """Whole past months are kept between pages (they rarely change): a reading corrected
    in January shows at once on the month chart and in this year's figure."""
    from datetime import date

    from metering.tables import DailyUsage

    await english(client, people.household)
    before = (await client.get("/household?scale=month")).text
    assert (await client.get("/household?scale=month")).text == before
    await DailyUsage.update({DailyUsage.consumption: 10_300}).where(
        (DailyUsage.meter == world.water) & (DailyUsage.day == date(2026, 1, 10))
    )
    after = (await client.get("/household?scale=month")).text
    assert '<td class="num">9.3</td>' in before and '<td class="num">19.3</td>' in after
    assert "22.3 m³" in before and "32.3 m³" in after  # this year, January included


async def test_kept_alerts_and_proposals_carry_each_sessions_own_token(
    client, people, world
) -> None:  # type: ignore[no-untyped-def]
    """The alerts and proposals are written out once for the household, but every form in
    them carries the CSRF token of the session that asks, never another's."""
    import re

    from committees import proposals, service
    from regie.app import create_app
    from regie.tables import Account
    from tests.regie.web.test_households import _case

    await _case("H-1")
    committee = await service.create_committee(
        "Comité de l'eau", "water", "lille", CHARTER, now=datetime.now(UTC) - timedelta(days=1)
    )
    other = await Account.select(Account.id).where(Account.login == people.other_household)
    await proposals.file_proposal(
        other[0]["id"], committee, "free_motion", "Une motion du voisin", now=datetime.now(UTC)
    )
    await english(client, people.household)
    async with AsyncTestClient(
        app=create_app(pool=False), base_url="http://testserver.local"
    ) as second:
        await english(second, people.household)
        pages = [(await c.get("/household")).text for c in (client, second, client, second)]
    tokens = []
    for page in pages:
        sent = re.search(r'"X-CSRF-Token": "([^"]+)"', page)
        assert sent is not None
        in_forms = re.findall(r'name="csrf_token" value="([^"]+)"', page)
        # logout, the case's reply, the co-signature and the filing form
        assert len(in_forms) == 4 and set(in_forms) == {sent.group(1)}
        assert "csrf-slot" not in page
        tokens.append(sent.group(1))
    assert tokens[0] == tokens[2] and tokens[1] == tokens[3] and tokens[0] != tokens[1]


async def test_a_new_reading_today_is_on_the_next_page(client, people, world) -> None:  # type: ignore[no-untyped-def]
    """The use part of the page is kept written out per the use read: a reading of today
    changes today's figure, the month, the year, the chart and the bill to date at once."""
    from metering.tables import DailyUsage

    await english(client, people.household)
    before = (await client.get("/household")).text
    assert (await client.get("/household")).text == before
    await DailyUsage.update({DailyUsage.consumption: 5420}).where(
        (DailyUsage.meter == world.water) & (DailyUsage.day == TODAY)
    )
    after = (await client.get("/household")).text
    today = _between(after, 'id="today_figures"', "</div>")
    assert "420 L" in _between(before, 'id="today_figures"', "</div>")
    assert "5,420 L" in today or "5.42 m³" in today, today
    assert after.count("5,420") + after.count("5.42") >= 2  # the chart's bar of today too
