"""A proposal's lifecycle and ballot choices (pure): statuses, and what each allows."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    DRAFT = "draft"  # filed by a household, gathering co-signatures
    DEBATE = "debate"  # on the committee's agenda, open for comments
    VOTING = "voting"  # a vote is open until its deadline
    ADOPTED = "adopted"
    REJECTED = "rejected"
    VETOED = "vetoed"
    NO_QUORUM = "no_quorum"
    ENACTED = "enacted"  # an adopted proposal whose change took effect (a tariff version)


class Choice(StrEnum):
    YES = "yes"
    NO = "no"
    ABSTAIN = "abstain"


# The debate continues while the vote is open; a decided proposal takes no more comments.
COMMENTABLE = frozenset({Status.DRAFT, Status.DEBATE, Status.VOTING})
# Nothing was adopted: the committee may put an amended version on its agenda (issue 4's
# scenario: the users veto one version and adopt an amended one).
AMENDABLE = frozenset({Status.REJECTED, Status.VETOED, Status.NO_QUORUM})
DECIDED = frozenset({Status.ADOPTED, Status.REJECTED, Status.VETOED, Status.NO_QUORUM})
