"""Logging in and out in a real browser."""

from __future__ import annotations

import pytest

from tests.browser.conftest import screenshot
from tests.regie.web.conftest import PASSWORD, people  # noqa: F401 - fixture

pytestmark = pytest.mark.db


async def test_an_operator_logs_in_sees_ingest_health_and_logs_out(server, browser, people) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    page = await browser.new_page(locale="fr-FR")
    await page.goto(f"{server}/login")
    await page.get_by_label("Identifiant").fill(people.operator)
    await page.get_by_label("Mot de passe").fill(PASSWORD)
    await page.get_by_role("button", name="Se connecter").click()
    await page.wait_for_url(f"{server}/operator*")
    await page.goto(f"{server}/operator/ingest")
    assert "Santé de la collecte" in await page.content()
    await screenshot(page, "ingest-health")
    await page.get_by_role("button", name="Se déconnecter").click()
    await page.wait_for_url(f"{server}/")
    assert await page.get_by_role("link", name="Se connecter").count() >= 1
    assert await page.get_by_role("button", name="Se déconnecter").count() == 0
