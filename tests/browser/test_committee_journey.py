"""Issue 6's committee journey in Chromium: a household files a tariff change, households
co-sign it onto the agenda, the committee votes, and the users' college vetoes it."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import timedelta

import pytest

from tests.browser.conftest import screenshot
from tests.browser.pages import HouseholdPage, LoginPage
from tests.browser.world import build, tariff_text, utcnow

pytestmark = pytest.mark.db


async def vote_as(browser, server, login, path, choice) -> None:  # type: ignore[no-untyped-def]
    page = await browser.new_page(locale="fr-FR")
    await LoginPage(page, server).log_in(login)
    await page.goto(f"{server}{path}")
    await page.get_by_role("radio", name=choice).check()
    await page.get_by_role("button", name="Voter").click()
    await page.wait_for_load_state("networkidle")
    await page.close()


async def test_households_cosign_members_vote_and_the_users_veto(server, browser, db) -> None:  # type: ignore[no-untyped-def]
    from committees.enact import run_deadlines
    from committees.proposals import list_proposals
    from committees.votes import stored_tally

    world = await build(utcnow())
    # 1. A household that sits in no committee files a rise of essential water.
    page = await browser.new_page(locale="fr-FR", viewport={"width": 1200, "height": 900})
    await LoginPage(page, server).log_in(world.households[3])
    home = HouseholdPage(page, server)
    await home.open()
    form = page.locator("form.file-proposal")
    await form.get_by_label("Nature").select_option("tariff_change")
    await form.get_by_label("Titre").fill("Financer les fuites")
    await form.get_by_label("Ce que vous proposez, et pourquoi").fill("Eau essentielle à 1,10 €.")
    await form.locator("summary", has_text="tarif").click()
    valid_from = (utcnow().date() + timedelta(days=60)).isoformat()
    await form.get_by_label("Fichier de tarif (TOML)").fill(tariff_text(valid_from, "1.10"))
    await form.get_by_role("button", name="Déposer la proposition").click()
    await page.wait_for_load_state("networkidle")
    assert "Financer les fuites" in await page.locator("#proposals").inner_text()
    (proposal,) = [
        p for p in await list_proposals(world.committee) if p.title == "Financer les fuites"
    ]
    # 2. Two other households co-sign: the charter's two signatures put it on the agenda.
    for login in world.households[:2]:
        signer = await browser.new_page(locale="fr-FR")
        await LoginPage(signer, server).log_in(login)
        await HouseholdPage(signer, server).open()
        await signer.get_by_role("button", name="Cosigner pour mon foyer").first.click()
        await signer.wait_for_load_state("networkidle")
        await signer.close()
    (proposal,) = [p for p in await list_proposals(world.committee) if p.id == proposal.id]
    assert proposal.status == "debate"
    # 3. The committee's secretariat opens the vote (regie committee open-vote).
    env = {**os.environ, "REGIE_DATABASE_URL": db}
    opened = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "regie.cli", "committee", "open-vote", str(proposal.id)],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert opened.returncode == 0, opened.stderr
    # 4. Public actors and operators vote yes; the users' college votes no.
    path = f"/committees/{world.committee}/proposals/{proposal.id}"
    await vote_as(browser, server, world.members["public"][0], path, "Pour")
    await vote_as(browser, server, world.members["operators"][0], path, "Pour")
    for login in world.members["users"]:
        await vote_as(browser, server, login, path, "Contre")
    tally, _ = await stored_tally(proposal.id)
    assert (tally["users"].no, tally["public"].yes, tally["operators"].yes) == (2, 1, 1)
    # 5. The deadline passes (the scheduler's job closes the vote): vetoed.
    await run_deadlines(utcnow() + timedelta(days=8))
    (proposal,) = [p for p in await list_proposals(world.committee) if p.id == proposal.id]
    assert proposal.status == "vetoed"
    member = await browser.new_page(locale="fr-FR", viewport={"width": 1200, "height": 1100})
    await LoginPage(member, server).log_in(world.members["users"][0])
    await member.goto(f"{server}{path}")
    text = await member.locator("main").inner_text()
    assert "veto" in text.lower()
    await screenshot(member, "committee-proposal-vetoed")
    await member.goto(f"{server}/committees/{world.committee}")
    await screenshot(member, "committee-dashboard")
    await member.goto(f"{server}/public")
    assert "Financer les fuites" in await member.locator("main").inner_text()
    await screenshot(member, "public")
