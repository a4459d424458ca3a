"""The journeys of issue 6 in Chromium: a household, an operator, and a committee vote."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.browser.conftest import screenshot
from tests.browser.pages import HouseholdPage, LoginPage, TariffEditor
from tests.browser.world import build, utcnow
from tests.regie.web.conftest import people  # noqa: F401 - fixture

pytestmark = pytest.mark.db


async def test_a_household_sees_its_chart_and_bill_and_files_a_proposal(server, browser) -> None:  # type: ignore[no-untyped-def]
    world = await build(utcnow())
    page = await browser.new_page(locale="fr-FR", viewport={"width": 1200, "height": 900})
    await LoginPage(page, server).log_in(world.households[0])
    home = HouseholdPage(page, server)
    await home.open()
    assert await home.chart().count() == 1
    summary = await page.locator("#usage_chart").inner_text()
    assert "m³" in summary or "L" in summary
    await screenshot(page, "household")
    await home.show_scale("Mois")
    assert await home.chart().count() == 1
    await home.open_first_bill()
    bill = await page.locator("main").inner_text()
    assert "Abonnement" in bill
    assert "€" in bill
    await screenshot(page, "household-bill")
    await home.open()
    await home.file_proposal("free_motion", "Des fontaines publiques", "Trois fontaines au parc.")
    assert "Des fontaines publiques" in await page.locator("#proposals").inner_text()
    # On a phone too.
    await page.set_viewport_size({"width": 390, "height": 844})
    await home.open()
    await screenshot(page, "household-phone")


async def test_an_operator_fixes_a_typo_and_the_quote_follows(server, browser, people) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    page = await browser.new_page(locale="fr-FR", viewport={"width": 1200, "height": 1000})
    await LoginPage(page, server).log_in(people.operator)
    editor = TariffEditor(page, server)
    await editor.open_example("dunkerque_eco_solidaire")
    await page.locator("#usage").fill("120")
    await page.locator("#usage").press("Tab")
    await expect(page.locator("#quote_total")).to_contain_text("€")
    before = await editor.quote_total()
    assert "€" in before
    await editor.replace_in_toml('price = "0.83"', 'prise = "0.83"')  # the typo
    await expect(page.locator("#tariff_problems")).to_contain_text("prise")
    problems = await editor.problems()
    assert "prise" in problems
    assert "Ligne" in problems or "ligne" in problems
    await screenshot(page, "operator-tariff-typo")
    await editor.replace_in_toml('prise = "0.83"', 'price = "0.90"')  # fixed, and dearer
    await expect(page.locator("#tariff_problems")).not_to_contain_text("prise")
    await expect(page.locator("#quote_total")).not_to_have_text(before)
    after = await editor.quote_total()
    assert after != before
    await screenshot(page, "operator-tariff-fixed")
    for path, name in [("/operator", "operator-dashboard"), ("/operator/ingest", "operator-ingest"),
                       ("/operator/rejected", "operator-rejected")]:  # fmt: skip
        await page.goto(f"{server}{path}")
        await screenshot(page, name)
