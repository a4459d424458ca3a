"""An operator records the régie's costs in Chromium, French figures included, and the
committee's dashboard sets the revenue against them."""

from __future__ import annotations

import pytest

from tests.browser.conftest import screenshot
from tests.browser.pages import LoginPage
from tests.browser.world import build, utcnow

pytestmark = pytest.mark.db


async def test_an_operator_records_a_cost_the_committee_sees(server, browser) -> None:  # type: ignore[no-untyped-def]
    from regie.core.accounts import create_account
    from tests.regie.web.conftest import PASSWORD

    world = await build(utcnow())
    await create_account("exploitation@lille.example", "Exploitation", operator=True,
                         password=PASSWORD)  # fmt: skip
    page = await browser.new_page(locale="fr-FR", viewport={"width": 1200, "height": 1000})
    await LoginPage(page, server).log_in("exploitation@lille.example")
    await page.goto(f"{server}/operator/costs")
    form = page.locator("form[action='/operator/costs']")
    await form.get_by_label("Catégorie").select_option("staff")
    await form.get_by_label("Libellé").fill("Personnel du service de l'eau")
    year = utcnow().year
    await form.get_by_label("Du").fill(f"{year - 1}-01-01")
    await form.get_by_label("Au (dernier jour couvert)").fill(f"{year}-12-31")
    await form.get_by_label("Montant HT (EUR)").fill("73 000,00")
    await form.get_by_role("button", name="Enregistrer").click()
    await page.wait_for_load_state("networkidle")
    table = await page.locator("#cost-lines").inner_text()
    assert "Personnel du service de l'eau" in table and "73" in table
    await screenshot(page, "operator-costs")
    await page.goto(f"{server}/operator/cases")
    assert "Dossiers de surconsommation" in await page.locator("main").inner_text()
    member = await browser.new_page(locale="fr-FR", viewport={"width": 1200, "height": 1000})
    await LoginPage(member, server).log_in(world.members["public"][0])
    await member.goto(f"{server}/committees/{world.committee}")
    card = await member.locator("#card-costs").inner_text()
    assert "Coûts de la régie" in card and "Les recettes des factures en couvrent" in card
