"""The committees' refusals in the page's language: one wording per reason code, shared by the
pages, filled with the values the refusal carries (`CommitteeError.params`); and the tariff
errors a page shows, from the template they keep. The domain's messages are English, for the
command line."""

from __future__ import annotations

from collections.abc import Mapping

from committees.errors import CommitteeError
from regie.web.i18n import gettext
from regie.web.labels import Labels
from tariffs.model import WordedError


def _(message: str) -> str:
    """Marks a wording for the catalogue; it is translated when shown."""
    return message


WORDINGS: dict[str, str] = {
    # Filing and co-signing a proposal
    "unknown_kind": _("Choose a kind of proposal (not %(kind)s)."),
    "missing_title": _("A proposal needs a title."),
    "invalid_details": _("The proposal's details cannot be stored."),
    "unexpected_tariff": _("Only a tariff change carries a tariff file."),
    "invalid_tariff": _("The tariff file has problems."),
    "wrong_service": _("This tariff is not for this committee's service (%(service)s)."),
    "bad_date": _("A tariff change takes effect on its file's valid_from date."),
    "invalid_rules": _("The overconsumption rule set has problems."),
    "invalid_questionnaire": _("The questionnaire has problems."),
    "not_of_territory": _("Only households of the territory and members of the committee may."),
    "bad_amendment": _("An amendment is of the same committee and kind as what it amends."),
    "not_amendable": _("Only a proposal that was not adopted can be amended."),
    "not_collecting": _("This proposal no longer gathers co-signatures."),
    "author_household": _("Your household filed this proposal: it counts."),
    "already_signed": _("Your household has already co-signed this proposal."),
    # The debate
    "empty_comment": _("A comment needs some text."),
    "too_long": _("A comment has at most 5,000 characters."),
    "debate_closed": _("This proposal has been decided: the debate is closed."),
    # Votes
    "not_on_agenda": _("Only a proposal on the agenda can be put to the vote."),
    "bad_deadline": _("The deadline must be later than now."),
    "invalid_choice": _("Choose yes, no or abstain."),
    "not_open": _("This proposal is not open for voting."),
    "deadline_passed": _("The vote closed at its deadline: your vote was not counted."),
    "joined_after_opening": _(
        "You joined the committee after this vote opened: only the members of that "
        "moment vote on it."
    ),
    "not_voting": _("This proposal has no open vote."),
    "before_deadline": _("The vote stays open until its deadline."),
    "not_adopted": _("Only an adopted proposal takes effect."),
    # Evaluations
    "not_an_evaluation": _("Only an evaluation has a questionnaire."),
    "not_answering": _("Answers are taken while the evaluation is on the agenda."),
    "wrong_length": _("The form does not match the questionnaire: reload it."),
    "bad_score": _("%(criterion)s: give a score from 1 to %(scale)s."),
    "no_score": _("Score at least one criterion."),
    # Committees and their members
    "unknown_service": _("The service is one of: %(services)s."),
    "missing_field": _("A committee needs a name and a territory."),
    "committee_exists": _(
        "A committee named %(name)s, or governing %(service)s in %(territory)s, exists already."
    ),
    "already_member": _("This account already sits in a college then."),
    "not_a_member": _("Only a member of the committee may."),
    "bad_dates": _("A membership ends after it starts."),
    # What no longer exists
    "no_committee": _("There is no committee %(committee)s."),
    "no_college": _("The committee has no college %(college)s."),
    "no_account": _("There is no active account %(account)s."),
    "no_proposal": _("There is no proposal %(proposal)s."),
    "no_evaluation": _("There is no evaluation %(proposal)s."),
}
"""Wordings by reason code: English `%(name)s` templates, filled with the refusal's `params`
(tests/regie/web/test_refusals.py checks that every reason the committees raise has one)."""


def refusal(error: CommitteeError, page: Mapping[str, str] | None = None) -> str:
    """Why the domain refused, in the page's language: the page's own wording of the reason
    (`page`, same form as WORDINGS) or the shared one. A reason without a wording (none
    should remain) shows the domain's English sentence rather than nothing."""
    template = (page or {}).get(error.reason) or WORDINGS.get(error.reason)
    if template is None:
        return f"{gettext('Refused:')} {error.message}"
    return gettext(template) % shown(error.params)


def worded(error: WordedError) -> str:
    """A tariff error (the quote calculator's, a draft's, an impact's) in the page's
    language, from the template and values it keeps, its service named as the page names
    it; without a template, its English message."""
    if not error.template:
        return str(error)
    return gettext(error.template) % shown(error.params)


def shown(params: Mapping[str, str]) -> dict[str, str]:
    """A refusal's values as the page shows them: a service by its name in the page's
    language ("water" is "Eau" in French), the others as the domain gives them."""
    return {name: str(Labels.service(v)) if name == "service" else v for name, v in params.items()}
