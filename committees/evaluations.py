"""Answering an evaluation's questionnaire, and its summary (issue 4: users evaluate providers).

Households of the territory and members of the committee answer while the evaluation is on
the agenda (debate, or voting before the deadline); one current answer per account, replaced
when answered again. Each answer is logged without a name (its id, the respondent's college or
"households", and the scores), so `regie log verify` can check every stored answer against the
last one logged for it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from committees import evaluation, log
from committees.charter import ProposalKind
from committees.errors import NotFound, Refused
from committees.lifecycle import Status
from committees.proposals import filer, locked_proposal
from committees.service import get_committee, membership_at
from committees.tables import EvaluationAnswer, Proposal
from committees.txn import writing


def taking_answers(status: str, deadline: datetime | None, now: datetime) -> bool:
    """Answers are taken while the evaluation is on the agenda: in debate, or in a vote
    before its deadline."""
    if status == Status.DEBATE:
        return True
    return status == Status.VOTING and (deadline is None or now < deadline)


def questionnaire(details: str | dict[str, Any]) -> evaluation.Questionnaire:
    """The questionnaire stored with an evaluation proposal (checked when it was filed)."""
    return evaluation.parse(json.loads(details) if isinstance(details, str) else details)


async def answer(
    account: int, proposal: int, scores: Sequence[Any], *, now: datetime
) -> tuple[int | None, ...]:
    """Record (or replace) the account's answer; returns the scores as stored."""
    who = await filer(account)
    async with writing():
        row = await locked_proposal(proposal)
        if row["kind"] != ProposalKind.EVALUATION:
            raise Refused("not_an_evaluation", "only an evaluation has a questionnaire")
        if not taking_answers(row["status"], row["deadline"], now):
            raise Refused(
                "not_answering", "answers are taken while the evaluation is on the agenda"
            )
        info = await get_committee(row["committee"])
        member = await membership_at(info.id, account, now)
        if member is not None:
            respondent = member.college
        elif who.household is not None and who.territory == info.territory:
            respondent = evaluation.HOUSEHOLDS
        else:
            raise Refused(
                "not_of_territory", "only households of the territory and members may answer"
            )
        try:
            checked = evaluation.check_scores(questionnaire(row["details"]), scores)
        except evaluation.AnswerError as exc:
            raise Refused(exc.reason, str(exc), params=exc.params) from None
        text = json.dumps(list(checked))
        mine = (EvaluationAnswer.proposal == proposal) & (EvaluationAnswer.account == account)
        found = await EvaluationAnswer.select(EvaluationAnswer.id).where(mine).first()
        if found is None:
            saved = EvaluationAnswer(
                proposal=proposal,
                account=account,
                respondent=respondent,
                scores=text,
                answered_at=now,
            )
            await saved.save()
            answer_id = int(saved.id)
        else:
            answer_id = found["id"]
            await EvaluationAnswer.update(
                {
                    EvaluationAnswer.respondent: respondent,
                    EvaluationAnswer.scores: text,
                    EvaluationAnswer.answered_at: now,
                }
            ).where(EvaluationAnswer.id == answer_id)
        payload = {"answer": answer_id, "respondent": respondent, "scores": list(checked)}
        await log.append(
            log.EVALUATION_ANSWERED, payload, now, committee=info.id, proposal=proposal
        )
    return checked


async def answer_of(proposal: int, account: int) -> tuple[int | None, ...] | None:
    """The account's current answer, to fill the form again."""
    row = (
        await EvaluationAnswer.select(EvaluationAnswer.scores)
        .where((EvaluationAnswer.proposal == proposal) & (EvaluationAnswer.account == account))
        .first()
    )
    return tuple(json.loads(row["scores"])) if row else None


async def summary_of(proposal: int) -> evaluation.Summary:
    """The summary of an evaluation's current answers."""
    row = await Proposal.select(Proposal.kind, Proposal.details).where(Proposal.id == proposal)
    if not row or row[0]["kind"] != ProposalKind.EVALUATION:
        raise NotFound("no_evaluation", f"no evaluation {proposal}", params={"proposal": proposal})
    answers = await EvaluationAnswer.select(
        EvaluationAnswer.respondent, EvaluationAnswer.scores
    ).where(EvaluationAnswer.proposal == proposal)
    return evaluation.summarise(
        questionnaire(row[0]["details"]),
        ((a["respondent"], json.loads(a["scores"])) for a in answers),
    )
