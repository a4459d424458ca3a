"""The household's JSON API: its own use and bills only, and the OpenAPI schema that lists it."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from tests.regie.web.conftest import log_in
from tests.regie.web.test_households import TODAY, world  # noqa: F401 - a fixture

pytestmark = pytest.mark.db


async def test_usage_is_the_callers_own(client, people, world) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    await log_in(client, people.household)
    response = await client.get("/api/household/usage?period=month")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    report = response.json()
    assert report["household"] == "H-1" and report["period"] == "month"
    assert report["today"] == TODAY.isoformat()
    services = {s["service"]: s for s in report["services"]}
    assert set(services) == {"water", "electricity"}
    water = services["water"]
    assert water["unit"] == "L" and len(water["points"]) == 12
    march = water["points"][-1]
    assert march["start"] == "2026-03-01" and march["end"] == TODAY.isoformat()
    assert march["use"] == {"total": 14 * 300 + 420}  # never H-2's 999 L a day
    power = services["electricity"]["points"][-1]
    assert power["use"] == {"hc": 15 * 4000, "hp": 15 * 6000} and power["estimated"] is False
    days = (await client.get("/api/household/usage")).json()
    assert len(days["services"][0]["points"]) == 31
    years = (await client.get("/api/household/usage?period=year")).json()
    assert [p["start"] for p in years["services"][0]["points"]] == ["2026-01-01"]
    assert (await client.get("/api/household/usage?period=week")).status_code == 400


async def test_bills_are_the_callers_own_with_their_lines(client, people, world) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    from tariffs.billing import bill_period

    await bill_period("2026-02", now=datetime(2026, 3, 2, 8, tzinfo=UTC))
    await log_in(client, people.household)
    bills = (await client.get("/api/household/bills")).json()
    assert {b["service"] for b in bills} == {"water", "electricity"}
    water = next(b for b in bills if b["service"] == "water")
    assert water["usage"] == {"total": 28 * 300}
    assert water["span_start"] == "2026-02-01" and water["span_end"] == "2026-02-28"
    assert {line["name"] for line in water["lines"]} >= {"Vastrecht drinkwater", "Basistarief"}
    assert water["total"] == f"{int(water['total'].replace('.', '')) / 100:.2f}"
    client.cookies.clear()
    await log_in(client, people.other_household)
    theirs = (await client.get("/api/household/bills")).json()
    assert [b["service"] for b in theirs] == ["water"]
    assert not {b["number"] for b in theirs} & {b["number"] for b in bills}


async def test_strangers_and_other_roles_are_refused(client, people, world) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    for path in ("/api/household/usage", "/api/household/bills"):
        response = await client.get(path)
        assert response.status_code == 401
        assert response.headers["content-type"].startswith("application/json")
    await log_in(client, people.operator)
    assert (await client.get("/api/household/usage")).status_code == 403


async def test_the_schema_lists_the_api(client, people) -> None:  # type: ignore[no-untyped-def]
    schema = (await client.get("/schema/openapi.json")).json()
    paths = schema["paths"]
    assert "/api/household/usage" in paths and "/api/household/bills" in paths
    usage = paths["/api/household/usage"]["get"]
    period = next(p for p in usage["parameters"] if p["name"] == "period")
    assert period["in"] == "query"
    assert not any(p.startswith("/household") for p in paths)  # pages are not the API


def test_today_is_a_date() -> None:
    assert isinstance(TODAY, date)
