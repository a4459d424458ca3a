"""Issue 4's evaluation in Chromium: a household that sits in the users' college files an
evaluation of a provider with its questionnaire, another household answers it from its page,
a member answers from the proposal's page, sees the scores per college, and opens the vote."""

from __future__ import annotations

import pytest

from tests.browser.conftest import screenshot
from tests.browser.pages import HouseholdPage, LoginPage
from tests.browser.world import build, utcnow

pytestmark = pytest.mark.db


async def score(page, criterion: str, value: str) -> None:  # type: ignore[no-untyped-def]
    await (
        page.locator("fieldset.criterion", has_text=criterion)
        .get_by_label(value, exact=True)
        .check()
    )


async def test_households_and_members_evaluate_a_provider(server, browser) -> None:  # type: ignore[no-untyped-def]
    from committees.proposals import list_proposals

    world = await build(utcnow())
    # 1. A household of the users' college files the evaluation: on the agenda at once.
    page = await browser.new_page(locale="fr-FR", viewport={"width": 1200, "height": 900})
    await LoginPage(page, server).log_in(world.households[1])
    await HouseholdPage(page, server).open()
    form = page.locator("form.file-proposal")
    await form.get_by_label("Nature").select_option("evaluation")
    await form.get_by_label("Titre").fill("Évaluer la relève des compteurs")
    await form.locator("summary", has_text="évaluation").click()
    await form.get_by_label("Prestataire ou service évalué").fill("Relevés & Cie")
    await form.get_by_label("Critères, un par ligne").fill(
        "Ponctualité: les relevés sont-ils faits à temps ?\nAccueil"
    )
    await form.get_by_role("button", name="Déposer la proposition").click()
    await page.wait_for_load_state("networkidle")
    (proposal,) = [p for p in await list_proposals(world.committee) if p.kind == "evaluation"]
    assert proposal.status == "debate"
    await page.close()
    # 2. A household that sits nowhere answers from its page.
    page = await browser.new_page(locale="fr-FR", viewport={"width": 1200, "height": 900})
    await LoginPage(page, server).log_in(world.households[3])
    await HouseholdPage(page, server).open()
    await page.get_by_role("link", name="Répondre au questionnaire et voir les notes").click()
    await score(page, "Ponctualité", "2")
    await page.get_by_role("button", name="Envoyer ma réponse").click()
    await page.wait_for_load_state("networkidle")
    section = page.locator("#evaluation")
    assert "Votre réponse est enregistrée" in await section.inner_text()
    assert "1 réponse(s)" in await section.inner_text()
    await screenshot(page, "household-evaluation")
    await page.close()
    # 3. A member of the public actors answers, sees both groups, and opens the vote.
    page = await browser.new_page(locale="fr-FR", viewport={"width": 1200, "height": 1300})
    await LoginPage(page, server).log_in(world.members["public"][0])
    await page.goto(f"{server}/committees/{world.committee}/proposals/{proposal.id}")
    await score(page, "Ponctualité", "4")
    await score(page, "Accueil", "5")
    await page.get_by_role("button", name="Envoyer ma réponse").click()
    await page.wait_for_load_state("networkidle")
    summary = await page.locator("#evaluation-summary").inner_text()
    assert "Acteurs publics (1)" in summary and "Foyers (1)" in summary
    assert "3,0" in summary  # Ponctualité: (2 + 4) / 2
    await screenshot(page, "committee-evaluation")
    await page.get_by_role("button", name="Ouvrir le vote").click()
    await page.wait_for_load_state("networkidle")
    assert "Le vote est ouvert." in await page.locator("#vote").inner_text()
    (proposal,) = [p for p in await list_proposals(world.committee) if p.id == proposal.id]
    assert proposal.status == "voting"
