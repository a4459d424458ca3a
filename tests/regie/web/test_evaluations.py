"""Evaluations in the app: a household files one with its questionnaire and answers it from
its page; members answer from the proposal's page and see the summary by college; a member
opens a vote from the page, and the log says who."""

from __future__ import annotations

import json
import re

import pytest

from committees.tables import EvaluationAnswer, LogEntry, Proposal
from tests.regie.web.conftest import csrf_of
from tests.regie.web.test_committees import HTMX, Committees, english, make_committees

pytestmark = pytest.mark.db


@pytest.fixture
async def world(people) -> Committees:  # type: ignore[no-untyped-def]
    return await make_committees(people)


async def test_a_household_files_an_evaluation(client, people, world) -> None:  # type: ignore[no-untyped-def]
    await english(client, people.household)
    home = await client.get("/household")
    assert 'name="criteria"' in home.text
    form = {
        "csrf_token": csrf_of(home.text), "committee": str(world.a), "kind": "evaluation",
        "title": "Évaluer l'accueil", "body": "", "tariff": "", "subject": "Accueil de la régie",
        "criteria": "Délais: Répond-on vite ?\nCourtoisie", "scale": "4",
    }  # fmt: skip
    bad = await client.post("/household/proposals", data={**form, "criteria": " \n"})
    assert bad.status_code == 422
    assert "The questionnaire cannot be used: write at least one criterion, one per line" in (
        bad.text
    )
    twice = await client.post("/household/proposals", data={**form, "criteria": "A\na"})
    assert "the criterion “a” appears twice" in twice.text
    client.cookies.set("regie_lang", "fr")
    french = await client.post("/household/proposals", data={**form, "scale": "12"})
    assert "Le questionnaire n&#39;est pas utilisable : l&#39;échelle va de 1 à un nombre" in (
        french.text
    )
    client.cookies.set("regie_lang", "en")
    filed = await client.post("/household/proposals", data=form, follow_redirects=False)
    assert filed.status_code == 303
    row = await Proposal.select(Proposal.details).where(Proposal.title == "Évaluer l'accueil")
    assert json.loads(row[0]["details"]) == {
        "subject": "Accueil de la régie",
        "scale": 4,
        "criteria": [
            {"label": "Délais", "question": "Répond-on vite ?", "weight": "1"},
            {"label": "Courtoisie", "question": "", "weight": "1"},
        ],
    }


async def test_households_answer_and_see_the_summary(client, people, world) -> None:  # type: ignore[no-untyped-def]
    await english(client, people.household)
    home = await client.get("/household")
    url = f"/household/evaluations/{world.evaluation}"
    assert f'href="{url}"' in home.text
    page = await client.get(url)
    assert page.status_code == 200 and "Prestataire de relève" in page.text
    assert "No answer yet." in page.text and 'name="score-1"' in page.text
    token = csrf_of(page.text)
    refused = await client.post(url, data={"csrf_token": token, "score-0": "9", "score-1": ""})
    assert refused.status_code == 422 and "Ponctualité: give a score from 1 to 5." in refused.text
    sent = await client.post(
        url, data={"csrf_token": token, "score-0": "4", "score-1": ""}, follow_redirects=False
    )
    assert sent.status_code == 303
    # With HTMX, the block alone comes back, with the answer kept and the summary updated.
    block = await client.post(
        url,
        data={"csrf_token": token, "score-0": "2", "score-1": "5"},
        headers={**HTMX, "HX-Target": "evaluation"},
    )
    assert block.text.lstrip().startswith('<section id="evaluation"')
    assert "Your answer is recorded" in block.text
    assert re.search(r'name="score-0" value="2" checked', block.text)
    assert "1 answer(s). Overall score: 3.5 out of 5" in block.text
    stored = await EvaluationAnswer.select(EvaluationAnswer.respondent, EvaluationAnswer.scores)
    assert stored == [{"respondent": "households", "scores": "[2, 5]"}]
    # A proposal that is not an evaluation, or of another committee, is not found here.
    assert (await client.get(f"/household/evaluations/{world.tariff}")).status_code == 404
    assert (await client.get(f"/household/evaluations/{world.other}")).status_code == 404


async def test_a_member_answers_and_the_summary_shows_each_college(client, people, world) -> None:  # type: ignore[no-untyped-def]
    from committees import evaluations

    await evaluations.answer(
        world.accounts[world.logins["users_a"]], world.evaluation, ["5", "5"], now=_now()
    )
    await english(client, people.member)
    url = f"/committees/{world.a}/proposals/{world.evaluation}"
    page = await client.get(url)
    assert "Evaluation of Prestataire de relève" in page.text
    answer = await client.post(
        f"{url}/evaluation",
        data={"csrf_token": csrf_of(page.text), "score-0": "1", "score-1": "3"},
        headers={**HTMX, "HX-Target": "evaluation"},
    )
    assert answer.status_code == 200
    summary = answer.text.split('id="evaluation-summary"')[1].split("</table>")[0]
    assert "Public actors (1)" in summary and "Users (1)" in summary
    cells = r'Ponctualité</th><td class="num">2</td>\s*<td class="num">3.0</td>'
    assert re.search(cells, summary), summary
    # No name in the summary, nor in the log.
    assert "Élue" not in summary
    logged = await LogEntry.select(LogEntry.payload).where(LogEntry.kind == "evaluation_answered")
    assert all("account" not in json.loads(r["payload"]) for r in logged)


async def test_a_member_opens_the_vote_and_the_log_names_who(client, people, world) -> None:  # type: ignore[no-untyped-def]
    await english(client, people.member)
    url = f"/committees/{world.a}/proposals/{world.motion}"
    page = await client.get(url)
    assert "Open the vote" in page.text
    token = csrf_of(page.text)
    late = await client.post(
        f"{url}/open-vote", data={"csrf_token": token, "deadline": "2001-01-01T10:00"}
    )
    assert late.status_code == 422 and "The deadline must be later than now." in late.text
    bad = await client.post(f"{url}/open-vote", data={"csrf_token": token, "deadline": "soon"})
    assert bad.status_code == 422 and "Give the deadline as a date and time." in bad.text
    opened = await client.post(
        f"{url}/open-vote", data={"csrf_token": token, "deadline": ""}, follow_redirects=False
    )
    assert opened.status_code == 303 and opened.headers["location"].endswith("done=opened#vote")
    page = await client.get(opened.headers["location"])
    assert "The vote is open." in page.text and 'name="choice"' in page.text
    entry = await LogEntry.select(LogEntry.payload).where(
        (LogEntry.kind == "vote_opened") & (LogEntry.proposal == world.motion)
    )
    assert json.loads(entry[0]["payload"])["opened_by"] == world.accounts[people.member]
    again = await client.post(f"{url}/open-vote", data={"csrf_token": token, "deadline": ""})
    assert again.status_code == 422 and "Only a proposal on the agenda" in again.text


def _now():  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    return datetime.now(UTC)
