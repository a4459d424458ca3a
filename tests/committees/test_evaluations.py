"""Evaluations on the real database: filing a questionnaire, answering, summaries, the log."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from committees import evaluations, proposals, votes
from committees.errors import Refused
from committees.lifecycle import Status
from committees.tables import EvaluationAnswer, LogEntry
from committees.verify import verify_log
from tests.committees.test_service import T0, World, make_world

pytestmark = pytest.mark.db

QUESTIONNAIRE = {
    "subject": "Relève des compteurs (prestataire X)",
    "scale": 5,
    "criteria": [
        {"label": "Ponctualité", "question": "Les relevés sont-ils faits à temps ?", "weight": "2"},
        {"label": "Accueil", "question": "Les agents sont-ils courtois ?"},
    ],
}
LATER = T0 + timedelta(hours=2)


async def evaluation_on_agenda(world: World) -> int:
    """An evaluation filed by a member of the users' college: on the agenda at once."""
    return await proposals.file_proposal(
        world.members["users"][0], world.committee, "evaluation", "Évaluer la relève",
        details=QUESTIONNAIRE, now=T0,
    )  # fmt: skip


async def test_an_evaluation_needs_a_valid_questionnaire(db: str) -> None:
    world = await make_world()
    with pytest.raises(Refused) as refused:
        await proposals.file_proposal(
            world.households[0], world.committee, "evaluation", "Évaluer",
            details={"subject": "X", "criteria": []}, now=T0,
        )  # fmt: skip
    assert refused.value.reason == "invalid_questionnaire"
    assert "criteria: at least one criterion" in refused.value.message
    p = await evaluation_on_agenda(world)
    assert (await proposals.get_proposal(p)).status == Status.DEBATE


async def test_households_and_members_answer_and_the_summary_counts_each_group(db: str) -> None:
    world = await make_world()
    p = await evaluation_on_agenda(world)
    await evaluations.answer(world.households[0], p, ["4", ""], now=LATER)
    await evaluations.answer(world.households[1], p, [2, 3], now=LATER)
    await evaluations.answer(world.members["operators"][0], p, [5, 5], now=LATER)
    # Answering again replaces the answer (one per account, the database's unique key).
    await evaluations.answer(world.households[0], p, ["3", "1"], now=LATER + timedelta(hours=1))
    assert await EvaluationAnswer.count().where(EvaluationAnswer.proposal == p) == 3
    assert await evaluations.answer_of(p, world.households[0]) == (3, 1)
    assert await evaluations.answer_of(p, world.households[2]) is None
    summary = await evaluations.summary_of(p)
    assert summary.respondents == 3
    assert summary.by_group == {"households": 2, "operators": 1}
    assert [c.mean for c in summary.criteria] == [pytest.approx(10 / 3), 3]
    logged = await LogEntry.select(LogEntry.payload).where(LogEntry.kind == "evaluation_answered")
    payloads = [json.loads(r["payload"]) for r in logged]
    assert len(payloads) == 4 and all("account" not in p for p in payloads)  # no names
    assert payloads[-1]["scores"] == [3, 1] and payloads[-1]["respondent"] == "households"
    assert (await verify_log()).ok


async def test_answers_are_refused_with_a_reason(db: str) -> None:
    world = await make_world()
    p = await evaluation_on_agenda(world)
    cases = [
        (world.outsider, ["4", "4"], "not_of_territory"),
        (world.stranger, ["4", "4"], "not_of_territory"),
        (world.households[0], ["9", "4"], "bad_score"),
        (world.households[0], ["", ""], "no_score"),
        (world.households[0], ["4"], "wrong_length"),
    ]
    for account, scores, reason in cases:
        with pytest.raises(Refused) as refused:
            await evaluations.answer(account, p, scores, now=LATER)
        assert refused.value.reason == reason
    await votes.open_vote(p, now=LATER, deadline=LATER + timedelta(days=1))
    await evaluations.answer(world.households[0], p, ["4", "4"], now=LATER + timedelta(hours=1))
    with pytest.raises(Refused) as late:
        await evaluations.answer(world.households[1], p, ["4", "4"], now=LATER + timedelta(days=2))
    assert late.value.reason == "not_answering"
    tariff = await proposals.file_proposal(
        world.members["users"][0], world.committee, "free_motion", "Motion", now=T0
    )
    with pytest.raises(Refused) as wrong:
        await evaluations.answer(world.households[0], tariff, ["4"], now=LATER)
    assert wrong.value.reason == "not_an_evaluation"
    assert await EvaluationAnswer.count() == 1


@pytest.mark.parametrize(
    ("statement", "kind"),
    [
        ("UPDATE evaluation_answer SET scores = '[5, 5]'", "evaluation_answered"),
        ("UPDATE evaluation_answer SET respondent = 'users'", "evaluation_answered"),
        ("DELETE FROM evaluation_answer", "evaluation_answered"),
        (
            "INSERT INTO evaluation_answer (proposal, account, respondent, scores, answered_at) "
            "SELECT proposal, {other}, respondent, scores, answered_at FROM evaluation_answer",
            "evaluation_answer",
        ),
    ],
)
async def test_an_answer_edited_in_sql_is_caught_by_verify(
    db: str, statement: str, kind: str
) -> None:
    world = await make_world()
    p = await evaluation_on_agenda(world)
    await evaluations.answer(world.households[0], p, ["4", "2"], now=LATER)
    assert (await verify_log()).ok
    await EvaluationAnswer.raw(statement.format(other=world.households[1]))
    report = await verify_log()
    assert not report.ok and report.first is not None and report.first.kind == kind
