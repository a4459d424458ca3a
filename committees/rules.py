"""Pure decision rules: a vote's counts per college, weighed by the charter, give an outcome."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction

from committees.charter import OPERATORS, USERS, Charter, College, KindRule, ProposalKind


class Result(StrEnum):
    ADOPTED = "adopted"
    REJECTED = "rejected"
    VETOED = "vetoed"  # a weighted majority existed, and the users' college blocked it
    NO_QUORUM = "no_quorum"  # nothing was decided; the proposal may be put to the vote again


@dataclass(frozen=True)
class Count:
    """The votes of one college: yes, no and abstain."""

    yes: int = 0
    no: int = 0
    abstain: int = 0

    def __post_init__(self) -> None:
        for name in ("yes", "no", "abstain"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be a count (an integer of 0 or more): {value!r}")

    @property
    def cast(self) -> int:
        return self.yes + self.no + self.abstain

    @property
    def expressed(self) -> int:
        return self.yes + self.no


@dataclass(frozen=True)
class CollegeResult:
    """One college's counts, electorate and standing in the decision."""

    college: str
    members: int  # members of the college when the vote opened
    yes: int
    no: int
    abstain: int
    weight: Fraction
    quorum: Fraction

    @property
    def cast(self) -> int:
        return self.yes + self.no + self.abstain

    @property
    def empty(self) -> bool:
        return self.members == 0

    @property
    def turnout(self) -> Fraction | None:
        return None if self.empty else Fraction(self.cast, self.members)

    @property
    def quorum_reached(self) -> bool:
        """False for an empty college: it has no quorum to reach (see `decide`)."""
        return self.turnout is not None and self.turnout >= self.quorum

    @property
    def yes_share(self) -> Fraction | None:
        """Yes share of yes + no; None when the college cast no yes and no no."""
        expressed = self.yes + self.no
        return Fraction(self.yes, expressed) if expressed else None

    @property
    def no_share_of_cast(self) -> Fraction | None:
        """No share of all votes cast, abstentions included: the base of the users' veto."""
        return Fraction(self.no, self.cast) if self.cast else None


@dataclass(frozen=True)
class Outcome:
    result: Result
    kind: ProposalKind
    rule: str  # e.g. "weighted_majority+users_veto": the rules that applied to this kind
    colleges: tuple[CollegeResult, ...]  # in the charter's order
    # Recorded whatever the result (also under no_quorum); None when no college cast a yes or no.
    weighted_yes: Fraction | None
    reasons: tuple[str, ...]

    @property
    def weighted_yes_text(self) -> str | None:
        """The weighted yes share as an exact fraction string, e.g. "7/12"."""
        return None if self.weighted_yes is None else str(self.weighted_yes)

    def college(self, name: str) -> CollegeResult:
        for result in self.colleges:
            if result.college == name:
                return result
        raise KeyError(name)


def rule_name(rule: KindRule) -> str:
    parts = ["weighted_majority"]
    if rule.operators_majority:
        parts.append("operators_majority")
    if rule.users_veto:
        parts.append("users_veto")
    return "+".join(parts)


def weighted_yes(colleges: tuple[CollegeResult, ...]) -> Fraction | None:
    """Σ weight × yes share / Σ weight over the colleges that cast a yes or a no.

    Issue 4: each college's yes share counts with its weight, not its head count, so a large
    users' college does not drown the others, nor the reverse. A college that cast no yes and
    no no (empty, or all abstained) is left out rather than counted as 0 or 1/2: it took no
    side, and its weight is shared among those that did.
    """
    counted = [(c.weight, c.yes_share) for c in colleges if c.yes_share is not None]
    if not counted:
        return None
    total = sum((w for w, _ in counted), Fraction(0))
    return sum((w * share for w, share in counted), Fraction(0)) / total


def decide(
    charter: Charter,
    kind: ProposalKind | str,
    tally: Mapping[str, Count],
    members_at_open: Mapping[str, int],
) -> Outcome:
    """Decide a closed vote, applying in order:

    1. quorum in every college that has members (abstaining counts as voting);
    2. weighted majority of colleges, each counting its yes share of yes + no with its weight;
    3. where the kind's rule says so (work organisation), a yes majority of the operators;
    4. where the kind's rule gives the users' veto (service kinds), a users' no above the
       veto threshold turns what would have been adopted into "vetoed".

    Monotone: one more yes (a new voter, or a no or an abstention changed to yes) never lowers
    the result in the order no_quorum < rejected < vetoed < adopted; adopted stays adopted.

    A college missing from `tally` cast no vote; one missing from `members_at_open` had no
    members. Exact arithmetic (Fraction): a share is never rounded before it is compared.
    Raises ValueError on counts that cannot be (unknown college, more votes than members).
    """
    kind = ProposalKind(kind)
    rule = charter.rule_for(kind)
    _check(charter, tally, members_at_open)
    colleges = tuple(
        _result(c, tally.get(c.name, Count()), members_at_open) for c in charter.colleges
    )
    by_name = {c.college: c for c in colleges}
    share = weighted_yes(colleges)
    reasons: list[str] = []

    def outcome(result: Result) -> Outcome:
        return Outcome(result, kind, rule_name(rule), colleges, share, tuple(reasons))

    # 1. Quorum. An empty college (no members when the vote opened, e.g. not yet staffed) has
    # no quorum to reach and is left out, except where this kind gives it a power of its own:
    # the users' veto, the operators' majority (booklet, proposition n°1). Deciding then would
    # silently strip that power, so nothing is decided.
    empty = [c.college for c in colleges if c.empty]
    if empty:
        reasons.append(f"no members, left out: {', '.join(empty)}")
    if len(empty) == len(colleges):
        reasons.append("no college has members")
        return outcome(Result.NO_QUORUM)
    short = False
    for c in colleges:
        if not c.empty and not c.quorum_reached:
            short = True
            reasons.append(
                f"{c.college}: {c.cast} of {c.members} members voted, "
                f"below its quorum of {c.quorum}"
            )
    needed = [(USERS, rule.users_veto, "veto"), (OPERATORS, rule.operators_majority, "majority")]
    for name, needs, power in needed:
        if needs and by_name[name].empty:
            short = True
            reasons.append(f"{name}: no members, and this kind needs the {name}' {power}")
    if short:
        return outcome(Result.NO_QUORUM)
    reasons.append("quorum reached in every college with members")

    # 2. Weighted majority: adopted when the share is *more than* the threshold, so an exact
    # tie (1/2 against 1/2 by default) is rejected: a change needs a majority for it.
    threshold = charter.adoption_threshold
    if share is None:
        reasons.append("no college cast a yes or a no vote")
        majority = False
    else:
        majority = share > threshold
        verb = "is more than" if majority else "is not more than"
        reasons.append(f"weighted yes share {share} {verb} {threshold}")

    # 3. Work organisation: the operators « auraient une voix majoritaire pour les questions
    # relatives à l'organisation de leur travail » (booklet, proposition n°1): more yes than no
    # in their college; a tie or an all-abstaining college is no majority.
    if rule.operators_majority:
        ops = by_name[OPERATORS]
        operators_ok = ops.yes > ops.no
        verb = "a" if operators_ok else "no"
        reasons.append(f"{OPERATORS}: {ops.yes} yes, {ops.no} no: {verb} majority of the college")
        majority = majority and operators_ok

    # 4. Users' veto on decisions about the service (booklet, proposition n°1: « un droit de veto
    # pour assurer que les décisions […] défendent l'intérêt des usagers »). Its base is the
    # college's votes cast, abstentions included ("a majority of its votes cast", issue 4): a
    # user who abstains chooses not to block. "More than" the threshold, so a tie does not veto.
    # A veto blocks an adoption; a proposal that fails anyway is "rejected", and the users' no
    # is still given among the reasons.
    veto = False
    if rule.users_veto:
        users = by_name[USERS]
        no_share = users.no_share_of_cast
        veto = no_share is not None and no_share > charter.users_veto_threshold
        verb = "is more than" if veto else "is not more than"
        reasons.append(
            f"{USERS}: {users.no} no of {users.cast} votes cast {verb} "
            f"the veto threshold of {charter.users_veto_threshold}"
        )
    if not majority:
        return outcome(Result.REJECTED)
    if veto:
        return outcome(Result.VETOED)
    return outcome(Result.ADOPTED)


def _result(college: College, count: Count, members: Mapping[str, int]) -> CollegeResult:
    return CollegeResult(
        college=college.name,
        members=members.get(college.name, 0),
        yes=count.yes,
        no=count.no,
        abstain=count.abstain,
        weight=college.weight,
        quorum=college.quorum,
    )


def _check(charter: Charter, tally: Mapping[str, Count], members: Mapping[str, int]) -> None:
    names = set(charter.college_names)
    for name in set(tally) | set(members):
        if name not in names:
            raise ValueError(f"college {name!r} is not in the charter")
    for name, n in members.items():
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"{name}: members must be an integer of 0 or more: {n!r}")
    for name, count in tally.items():
        if not isinstance(count, Count):
            raise ValueError(f"{name}: expected a Count, got {count!r}")
        if count.cast > members.get(name, 0):
            raise ValueError(
                f"{name}: {count.cast} votes cast but {members.get(name, 0)} members at opening"
            )
