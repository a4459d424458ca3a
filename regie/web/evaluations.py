"""Evaluations of a provider or of the service, as households answer them from their own page
(the right to contribute), and the summary they see; members answer from the proposal's page
(committees_proposals). Every handler checks that the evaluation belongs to one of the
household's committees."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template

from committees import evaluations
from committees.charter import ProposalKind
from committees.errors import CommitteeError, NotFound
from committees.proposals import ProposalView, get_proposal
from regie.web import household_data as hd
from regie.web import refusals
from regie.web.guards import require_household
from regie.web.render import page

Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
TEMPLATE = "households/evaluation.html"
BLOCK = "evaluation"


def scores_of(form: dict[str, str], criteria: int) -> list[str]:
    """The form's scores, one field `score-N` per criterion (empty: no opinion)."""
    return [form.get(f"score-{n}", "") for n in range(criteria)]


# Who may answer an evaluation, as this page says it.
WORDED = {
    "not_of_territory": refusals._(
        "Only households of the territory and members of the committee may answer."
    )
}


def refusal(error: CommitteeError) -> str:
    """Why an answer was refused, in the page's language."""
    return refusals.refusal(error, WORDED)


async def evaluation_context(view: ProposalView, account: int) -> dict[str, Any]:
    """The questionnaire, the account's current answer and the summary of all answers."""
    return {
        "questionnaire": evaluations.questionnaire(view.details),
        "mine": await evaluations.answer_of(view.id, account),
        "summary": await evaluations.summary_of(view.id),
        "answering": evaluations.taking_answers(view.status, view.deadline, datetime.now(UTC)),
    }


class EvaluationController(Controller):
    path = "/household/evaluations"
    include_in_schema = False

    @get("/{proposal:int}", name="household-evaluation")
    async def show(
        self, request: Request[Any, Any, Any], proposal: FromPath[int], done: FromQuery[str] = ""
    ) -> Template:
        home, view = await self._evaluation(request, proposal)
        return await self._render(request, home, view, done="answered" if done else "")

    @post("/{proposal:int}", name="household-evaluation-answer", status_code=200)
    async def answer(
        self, request: Request[Any, Any, Any], proposal: FromPath[int], data: Form
    ) -> Any:
        home, view = await self._evaluation(request, proposal)
        who = require_household(request)
        count = len(evaluations.questionnaire(view.details).criteria)
        try:
            await evaluations.answer(who.id, view.id, scores_of(data, count), now=datetime.now(UTC))
        except CommitteeError as error:
            response = await self._render(request, home, view, error=refusal(error))
            if request.headers.get("hx-request") != "true":
                response.status_code = 422
            return response
        if request.headers.get("hx-request") != "true":
            return Redirect(f"/household/evaluations/{view.id}?done=1#evaluation", status_code=303)
        return await self._render(request, home, view, done="answered")

    async def _evaluation(
        self, request: Request[Any, Any, Any], proposal: int
    ) -> tuple[hd.Home, ProposalView]:
        """The household and one of its committees' evaluations; nothing else is found."""
        who = require_household(request)
        try:
            home = await hd.home_of(int(who.household_id or 0))
            view = await get_proposal(proposal)
        except (hd.NoHousehold, NotFound):
            raise NotFoundException() from None
        mine = {c.id for c in await hd.committees_of(home)}
        if view.kind != ProposalKind.EVALUATION or view.committee not in mine:
            raise NotFoundException()
        return home, view

    async def _render(
        self,
        request: Request[Any, Any, Any],
        home: hd.Home,
        view: ProposalView,
        *,
        done: str = "",
        error: str = "",
    ) -> Template:
        who = require_household(request)
        context = await evaluation_context(view, who.id)
        committee = next(c for c in await hd.committees_of(home) if c.id == view.committee)
        action = f"/household/evaluations/{view.id}"
        return await page(
            request, TEMPLATE, BLOCK, home=home, p=view, committee=committee, done=done,
            error=error, action=action, **context,
        )  # fmt: skip
