"""Logging in and out, sessions, CSRF, origins, rate limit and security headers."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from regie.web.security import COOKIE
from tests.regie.web.conftest import PASSWORD, csrf_of, log_in

pytestmark = pytest.mark.db


async def test_login_rotates_the_session_and_logout_kills_it(client, people) -> None:  # type: ignore[no-untyped-def]
    await client.get("/login")
    before = client.cookies.get(COOKIE)
    response = await log_in(client, people.household)
    assert response.status_code == 303
    assert response.headers["location"] == "/household"
    after = client.cookies.get(COOKIE)
    assert before and after and before != after
    assert "HttpOnly" in response.headers["set-cookie"]
    assert "SameSite=Lax" in response.headers["set-cookie"]
    page = await client.get("/")
    assert "Famille Martin" in page.text
    # The old cookie is dead: replaying it gives an anonymous page.
    client.cookies.set(COOKIE, before)
    assert "Famille Martin" not in (await client.get("/")).text
    client.cookies.set(COOKIE, after)
    token = csrf_of((await client.get("/")).text)
    out = await client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert out.status_code == 303
    client.cookies.set(COOKIE, after)  # a stolen copy of the cookie is worthless after logout
    assert "Famille Martin" not in (await client.get("/")).text


async def test_wrong_password_is_refused(client, people) -> None:  # type: ignore[no-untyped-def]
    response = await log_in(client, people.household, "not the password")
    assert response.status_code == 200
    assert "Wrong login or password" in response.text or "incorrect" in response.text


async def test_unsafe_requests_need_the_session_token(client, people) -> None:  # type: ignore[no-untyped-def]
    await log_in(client, people.household)
    token = csrf_of((await client.get("/")).text)
    assert (await client.post("/logout", data={})).status_code == 403
    assert (await client.post("/logout", data={"csrf_token": "forged"})).status_code == 403
    # Another session's token does not do either.
    mine = client.cookies.get(COOKIE)
    client.cookies.delete(COOKIE)
    foreign = csrf_of((await client.get("/login")).text)  # opens another (anonymous) session
    client.cookies.set(COOKIE, mine)
    assert foreign != token
    assert (await client.post("/logout", data={"csrf_token": foreign})).status_code == 403
    # Cross-origin, even with the right token.
    cross = await client.post(
        "/logout", data={"csrf_token": token}, headers={"Origin": "https://evil.example"}
    )
    assert cross.status_code == 403
    site = await client.post(
        "/logout", data={"csrf_token": token}, headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert site.status_code == 403
    # HTMX sends the token as a header.
    ok = await client.post("/logout", headers={"X-CSRF-Token": token}, follow_redirects=False)
    assert ok.status_code == 303


async def test_login_rate_limit_holds_with_a_spoofed_forwarded_for(client, people) -> None:  # type: ignore[no-untyped-def]
    for i in range(5):
        page = await client.get("/login")
        await client.post(
            "/login",
            data={"login": people.household, "password": "bad", "csrf_token": csrf_of(page.text)},
            headers={"X-Forwarded-For": f"10.0.0.{i}"},
        )
    page = await client.get("/login")
    response = await client.post(
        "/login",
        data={"login": people.household, "password": PASSWORD, "csrf_token": csrf_of(page.text)},
        headers={"X-Forwarded-For": "10.9.9.9"},
        follow_redirects=False,
    )
    assert response.status_code == 200  # blocked even with the right password
    assert "Too many attempts" in response.text or "Trop de tentatives" in response.text


async def test_security_headers(client) -> None:  # type: ignore[no-untyped-def]
    response = await client.get("/login")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"


async def test_invitation_sets_the_password_once(client, db) -> None:  # type: ignore[no-untyped-def]
    from regie.core.accounts import create_account, invite

    account = await create_account("New@Example.org", "Nouveau")
    path = f"/invitation/{await invite(account.id)}"
    page = await client.get(path)
    data = {"password": "a long enough one", "confirm": "a long enough one"}
    response = await client.post(
        path, data={**data, "csrf_token": csrf_of(page.text)}, follow_redirects=False
    )
    assert response.status_code == 303
    again = await client.post(
        path, data={**data, "csrf_token": csrf_of((await client.get(path)).text)}
    )
    assert "invalid, used or expired" in again.text
    assert (await log_in(client, "new@example.org", "a long enough one")).status_code == 303


def test_users_add_prints_an_invitation_link(db) -> None:  # type: ignore[no-untyped-def]
    from regie.cli import main

    result = CliRunner().invoke(main, ["users", "add", "--login", "agent2@regie.example",
                                       "--name", "Agent", "--operator"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "invitation: http://127.0.0.1:8000/invitation/" in result.output
    taken = CliRunner().invoke(main, ["users", "add", "--login", "agent2@regie.example",
                                      "--name", "Agent"])  # fmt: skip
    assert taken.exit_code == 1
    assert "is taken" in taken.output
