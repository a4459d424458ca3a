"""A proposal as the committee's members see it: its text, the debate, opening the vote, the
vote with its deadline (yes, no or abstain, changeable until the deadline), the turnout while
the vote is open and the counts per college once closed (polled), a tariff draft's impact and
an evaluation's questionnaire with its summary. Every handler checks that the member sits in
the committee and that the proposal is its own."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromQuery
from litestar.response import Redirect, Template

from committees import evaluations, proposals, votes
from committees.charter import ProposalKind
from committees.errors import CommitteeError
from committees.proposals import ProposalView
from regie.core.accounts import Identity
from regie.web import committee_data as data
from regie.web import committees as base
from regie.web import committees_charts as charts
from regie.web import evaluations as evaluation_pages
from regie.web import refusals
from regie.web.committees import NotSeated, not_seated, seat, wanted
from regie.web.render import page

Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
TEMPLATE = "committees/proposal.html"
BLOCKS = ("debate", "vote", "tally", "impact", "evaluation")
DONE = ("voted", "commented", "opened", "answered")
ANCHORS = {"vote": "voted", "debate": "commented", "opening": "opened", "evaluation": "answered"}
MAX_COMMENT = 5000


# This page votes and sets deadlines: its own wording of these two reasons.
WORDED = {
    "not_a_member": refusals._("You were not a member of the committee when this vote opened."),
    "bad_date": refusals._("Give the deadline as a date and time."),
}


def refusal(error: CommitteeError) -> str:
    """The domain's reason, in the page's language."""
    return refusals.refusal(error, WORDED)


class ProposalController(Controller):
    path = "/committees/{committee:int}/proposals"
    include_in_schema = False
    exception_handlers = {NotSeated: not_seated}  # noqa: RUF012 (Litestar's class attribute)

    @get("/{proposal:int}", name="committee-proposal")
    async def show(
        self, request: Request[Any, Any, Any], committee: int, proposal: int,
        done: FromQuery[str] = "",
    ) -> Template:  # fmt: skip
        who, found = await seat(request, committee)
        view = await self._proposal(committee, proposal)
        return await self._render(request, who, found, view, done=done)

    @get("/{proposal:int}/impact", name="committee-proposal-impact")
    async def impact(self, request: Request[Any, Any, Any], committee: int, proposal: int) -> Any:
        """The page with the impact of the tariff draft computed (the page itself loads it
        afterwards with HTMX, or links here without JavaScript)."""
        who, found = await seat(request, committee)
        view = await self._proposal(committee, proposal)
        if view.kind != ProposalKind.TARIFF_CHANGE:
            raise NotFoundException()
        return await self._render(request, who, found, view, impact=True)

    @post("/{proposal:int}/vote", name="committee-vote", status_code=200)
    async def vote(
        self, request: Request[Any, Any, Any], committee: int, proposal: int, data: Form
    ) -> Any:
        who, found = await seat(request, committee)
        view = await self._proposal(committee, proposal)
        try:
            await votes.cast_vote(who.id, view.id, data.get("choice", ""), now=base.now())
        except CommitteeError as error:
            return await self._answer(request, who, found, view, "vote", error=refusal(error))
        return await self._answer(request, who, found, view, "vote")

    @post("/{proposal:int}/open-vote", name="committee-open-vote", status_code=200)
    async def open_vote(
        self, request: Request[Any, Any, Any], committee: int, proposal: int, data: Form
    ) -> Any:
        """Put a proposal of the agenda to the vote: any member may, and the log names who."""
        who, found = await seat(request, committee)
        view = await self._proposal(committee, proposal)
        text = data.get("deadline", "").strip()
        try:
            deadline = self._deadline(text)
            await votes.open_vote(view.id, now=base.now(), deadline=deadline, by=who.id)
        except CommitteeError as error:
            return await self._answer(
                request, who, found, view, "opening", error=refusal(error), form={"deadline": text}
            )
        return await self._answer(request, who, found, view, "opening")

    @post("/{proposal:int}/evaluation", name="committee-evaluation", status_code=200)
    async def evaluate(
        self, request: Request[Any, Any, Any], committee: int, proposal: int, data: Form
    ) -> Any:
        """A member's answer to an evaluation's questionnaire."""
        who, found = await seat(request, committee)
        view = await self._proposal(committee, proposal)
        if view.kind != ProposalKind.EVALUATION:
            raise NotFoundException()
        count = len(evaluations.questionnaire(view.details).criteria)
        scores = evaluation_pages.scores_of(data, count)
        try:
            await evaluations.answer(who.id, view.id, scores, now=base.now())
        except CommitteeError as error:
            failure = evaluation_pages.refusal(error)
            return await self._answer(request, who, found, view, "evaluation", error=failure)
        return await self._answer(request, who, found, view, "evaluation")

    @staticmethod
    def _deadline(text: str) -> datetime | None:
        """A deadline typed in the form (local time), or None for the charter's duration."""
        if not text:
            return None
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise CommitteeError("bad_date", f"not a date and time: {text!r}") from None
        return moment if moment.tzinfo else moment.replace(tzinfo=base.regie_zone())

    @post("/{proposal:int}/comments", name="committee-comment", status_code=200)
    async def comment(
        self, request: Request[Any, Any, Any], committee: int, proposal: int, data: Form
    ) -> Any:
        who, found = await seat(request, committee)
        view = await self._proposal(committee, proposal)
        text = data.get("body", "").strip()
        try:
            if len(text) > MAX_COMMENT:
                raise CommitteeError("too_long", "a comment has at most 5,000 characters")
            await proposals.comment(who.id, view.id, text, now=base.now())
        except CommitteeError as error:
            return await self._answer(
                request, who, found, view, "debate", error=refusal(error), form={"body": text}
            )
        return await self._answer(request, who, found, view, "debate")

    async def _proposal(self, committee: int, proposal: int) -> ProposalView:
        view = await data.proposal_of(committee, proposal)
        if view is None:  # another committee's proposal is not found under this one
            raise NotFoundException()
        return view

    async def _render(
        self,
        request: Request[Any, Any, Any],
        who: Identity,
        found: data.Seat,
        view: ProposalView,
        *,
        impact: bool = False,
        done: str = "",
        **extra: Any,
    ) -> Template:
        info = found.committee
        block = wanted(request, BLOCKS)
        context: dict[str, Any] = {
            "seat": found, "info": info, "p": view, "now": base.now(), "local": base.local,
            "done": "", "error": "", "error_at": "", "form": {}, "impact": None, "figure": None,
        }  # fmt: skip
        if done in DONE:
            context["done"] = done
        if block in (None, "debate"):
            context["comments"] = await proposals.comments(view.id)
        if block in (None, "vote"):
            context["ballot"] = await data.ballot_of(view.id, who.id)
        if block in (None, "tally"):
            context["tally"] = await data.tally_of(view, info)
        if view.kind == ProposalKind.EVALUATION and block in (None, "evaluation"):
            context.update(await evaluation_pages.evaluation_context(view, who.id))
        tariff = view.kind == ProposalKind.TARIFF_CHANGE
        if tariff and (block == "impact" or (block is None and impact)):
            found_impact = await data.impact_of(view, info, base.today())
            context["impact"] = found_impact
            if found_impact.summary is not None:
                context["figure"] = charts.impact_by_group(found_impact.summary.groups)
        context.update(extra)
        return await page(request, TEMPLATE, block, **context)

    async def _answer(
        self,
        request: Request[Any, Any, Any],
        who: Identity,
        found: data.Seat,
        view: ProposalView,
        anchor: str,
        **failure: Any,
    ) -> Any:
        """After a form: without HTMX, back to the page (303) or the page with the error
        (422); with HTMX, the block the form targets (200: htmx swaps only successes)."""
        done = ANCHORS[anchor]
        anchor = "vote" if anchor == "opening" else anchor
        if not failure and wanted(request, BLOCKS) is None:
            target = f"/committees/{found.committee.id}/proposals/{view.id}?done={done}#{anchor}"
            return Redirect(target, status_code=303)
        fresh = await self._proposal(found.committee.id, view.id)
        if failure:
            failure["error_at"] = anchor
        response = await self._render(
            request, who, found, fresh, done="" if failure else done, **failure
        )
        if failure and wanted(request, BLOCKS) is None:
            response.status_code = 422
        return response
