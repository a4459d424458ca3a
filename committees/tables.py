"""Tables of committees: charters, colleges, memberships, proposals, votes and the decision log.

Composite unique keys (one current vote per member and proposal, one signature per household…)
are created by a raw-SQL migration, since Piccolo declares only single-column ones.
"""

from piccolo.columns import (
    Date,
    ForeignKey,
    Integer,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from regie.tables import Account, Household


class Committee(Table):
    """A committee governs one service (water or electricity) of one territory."""

    id: Serial
    name = Varchar(length=200, unique=True)
    service = Varchar(length=16)  # water | electricity
    territory = Varchar(length=64, index=True)
    charter_text = Text()  # the charter file as given, validated by committees.charter
    charter_format = Varchar(length=8, default="toml")  # toml | json
    created_at = Timestamptz()


class College(Table):
    """One college of a committee; its weight and quorum live in the charter."""

    id: Serial
    committee = ForeignKey(references=Committee, on_delete=OnDelete.restrict, null=False)
    name = Varchar(length=32)


class Membership(Table):
    """An account sits in one college of a committee from `starts_at` until `ends_at`."""

    id: Serial
    committee = ForeignKey(references=Committee, on_delete=OnDelete.restrict, null=False)
    college = ForeignKey(references=College, on_delete=OnDelete.restrict, null=False)
    account = ForeignKey(references=Account, on_delete=OnDelete.restrict, null=False)
    starts_at = Timestamptz()
    ends_at = Timestamptz(null=True, default=None)


class Proposal(Table):
    """A proposal through draft → debate → voting → adopted/rejected/vetoed/no_quorum → enacted."""

    id: Serial
    committee = ForeignKey(references=Committee, on_delete=OnDelete.restrict, null=False)
    kind = Varchar(length=32)
    title = Varchar(length=200)
    body = Text(default="")
    author = ForeignKey(references=Account, on_delete=OnDelete.restrict, null=False)
    household = ForeignKey(references=Household, on_delete=OnDelete.restrict, null=True)
    status = Varchar(length=16, index=True)
    tariff_text = Text(default="")  # tariff change: the draft, in the tariff file format
    details = Text(default="{}")  # other kinds: canonical JSON (thresholds, questionnaire…)
    effective_on = Date(null=True, default=None)
    amends: ForeignKey = ForeignKey(references="self", on_delete=OnDelete.set_null, null=True)
    filed_at = Timestamptz()
    agenda_at = Timestamptz(null=True, default=None)
    vote_opened_at = Timestamptz(null=True, default=None)
    deadline = Timestamptz(null=True, default=None)
    closed_at = Timestamptz(null=True, default=None)
    enacted_at = Timestamptz(null=True, default=None)
    result = Varchar(length=16, null=True, default=None)  # rules.Result once closed
    rule = Varchar(length=64, default="")
    weighted_yes = Varchar(length=64, null=True, default=None)  # exact fraction, "7/12"
    reasons = Text(default="[]")  # JSON list of the outcome's reasons


class Signature(Table):
    """A household's co-signature of a proposal (one per household: unique index)."""

    id: Serial
    proposal = ForeignKey(references=Proposal, on_delete=OnDelete.restrict, null=False)
    household = ForeignKey(references=Household, on_delete=OnDelete.restrict, null=False)
    account = ForeignKey(references=Account, on_delete=OnDelete.restrict, null=False)
    signed_at = Timestamptz()


class ProposalComment(Table):
    """A comment in a proposal's debate."""

    id: Serial
    proposal = ForeignKey(references=Proposal, on_delete=OnDelete.restrict, null=False)
    account = ForeignKey(references=Account, on_delete=OnDelete.restrict, null=False)
    body = Text()
    at = Timestamptz()


class Elector(Table):
    """The electorate of a vote, frozen when it opens: who may vote, in which college."""

    id: Serial
    proposal = ForeignKey(references=Proposal, on_delete=OnDelete.restrict, null=False)
    account = ForeignKey(references=Account, on_delete=OnDelete.restrict, null=False)
    college = Varchar(length=32)


class Vote(Table):
    """A member's current vote on a proposal: unique per (proposal, account) in the database."""

    id: Serial
    proposal = ForeignKey(references=Proposal, on_delete=OnDelete.restrict, null=False)
    account = ForeignKey(references=Account, on_delete=OnDelete.restrict, null=False)
    college = Varchar(length=32)
    choice = Varchar(length=8)  # yes | no | abstain
    cast_at = Timestamptz()


class VoteHistory(Table):
    """Every vote cast or changed, in order: a changed vote keeps its earlier choices here."""

    id: Serial
    proposal = ForeignKey(references=Proposal, on_delete=OnDelete.restrict, null=False)
    account = ForeignKey(references=Account, on_delete=OnDelete.restrict, null=False)
    ballot = Integer()  # the id of the Vote row this choice went into
    college = Varchar(length=32)
    choice = Varchar(length=8)
    cast_at = Timestamptz()
    # Secret ballots: the log publishes sha256(ballot, choice, nonce…), never the choice; the
    # nonce stays here, so that `regie log verify` can check it and the public cannot guess it.
    nonce = Varchar(length=32, default="")


class CollegeTally(Table):
    """A closed vote's counts in one college, with its electorate at opening."""

    id: Serial
    proposal = ForeignKey(references=Proposal, on_delete=OnDelete.restrict, null=False)
    college = Varchar(length=32)
    members = Integer()
    yes = Integer()
    no = Integer()
    abstain = Integer()


class LogEntry(Table):
    """One entry of the public decision log, chained to the previous one by its hash."""

    id: Serial
    seq = Integer(unique=True)
    at = Varchar(length=40)  # ISO 8601 text, hashed exactly as stored
    kind = Varchar(length=40)
    payload = Text()  # canonical JSON of the payload
    prev_hash = Varchar(length=64)
    hash = Varchar(length=64)
    committee = Integer(null=True, default=None, index=True)  # copies of the payload's ids,
    proposal = Integer(null=True, default=None, index=True)  # checked by `regie log verify`


class LogHead(Table):
    """The single row (id 1) holding the chain head: locked by each append on PostgreSQL."""

    id: Serial
    seq = Integer(default=0)
    hash = Varchar(length=64)


class Notification(Table):
    """An in-app notification; unique per (account, kind, proposal), emailed in a daily digest."""

    id: Serial
    account = ForeignKey(references=Account, on_delete=OnDelete.restrict, null=False)
    kind = Varchar(length=32)
    proposal = ForeignKey(references=Proposal, on_delete=OnDelete.restrict, null=True)
    message = Text()
    created_at = Timestamptz()
    read_at = Timestamptz(null=True, default=None)
    emailed_at = Timestamptz(null=True, default=None)


class EvaluationAnswer(Table):
    """A respondent's current answer to an evaluation's questionnaire: one per account and
    proposal (unique index), replaced until the proposal is decided; each answer is logged."""

    id: Serial
    proposal = ForeignKey(references=Proposal, on_delete=OnDelete.restrict, null=False)
    account = ForeignKey(references=Account, on_delete=OnDelete.restrict, null=False)
    respondent = Varchar(length=32)  # the member's college, or "households"
    scores = Text()  # JSON list, one score (or null) per criterion in order
    answered_at = Timestamptz()
