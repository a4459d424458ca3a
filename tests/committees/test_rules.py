"""Decision rules of issue 4: a readable decision table, then properties that hold for any vote."""

from __future__ import annotations

import math
from dataclasses import replace
from fractions import Fraction

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from committees.charter import (
    OPERATORS,
    PUBLIC,
    USERS,
    Charter,
    College,
    KindRule,
    ProposalKind,
)
from committees.rules import Count, Outcome, Result, decide, rule_name

DEFAULT = Charter()  # weights 1/1/1, quorum 1/3 everywhere, adoption and veto "more than 1/2"
K = ProposalKind

# (members, yes, no, abstain) of one college
Row = tuple[int, int, int, int]


def vote(kind: ProposalKind, charter: Charter = DEFAULT, /, **colleges: Row) -> Outcome:
    tally = {name: Count(y, n, a) for name, (_, y, n, a) in colleges.items()}
    members = {name: m for name, (m, _, _, _) in colleges.items()}
    return decide(charter, kind, tally, members)


A, R, V, Q = Result.ADOPTED, Result.REJECTED, Result.VETOED, Result.NO_QUORUM
KINDS = {
    "motion": K.FREE_MOTION,
    "eval": K.EVALUATION,
    "work": K.WORK_ORGANISATION,
    "tariff": K.TARIFF_CHANGE,
    "access": K.ACCESS,
    "overuse": K.OVERCONSUMPTION_RULE,
}

# Default charter. Each college cell is "members: yes/no/abstain"; share is the weighted yes
# share (equal weights), "-" when no college cast a yes or a no.
TABLE = """
why                              | kind    | public   | operators | users        | result    | share
everyone in favour               | motion  | 10:6/0/0 | 10:4/0/0  | 30:10/0/0    | adopted   | 1
weighted tie 1/2 is rejected     | motion  | 10:4/0/0 | 10:0/4/0  | 30:5/5/0     | rejected  | 1/2
900 users do not drown 10 + 10   | motion  | 10:0/5/0 | 10:0/5/0  | 1000:900/0/0 | rejected  | 1/3
two colleges outweigh 900 users  | motion  | 10:5/0/0 | 10:5/0/0  | 1000:0/900/0 | adopted   | 2/3
but on a tariff: users' veto     | tariff  | 10:5/0/0 | 10:5/0/0  | 1000:0/900/0 | vetoed    | 2/3
users 6 no of 10 cast: veto      | tariff  | 10:5/0/0 | 10:5/0/0  | 30:4/6/0     | vetoed    | 4/5
same counts on access: veto      | access  | 10:5/0/0 | 10:5/0/0  | 30:4/6/0     | vetoed    | 4/5
same on an overconsumption rule  | overuse | 10:5/0/0 | 10:5/0/0  | 30:4/6/0     | vetoed    | 4/5
an evaluation carries no veto    | eval    | 10:5/0/0 | 10:5/0/0  | 30:4/6/0     | adopted   | 4/5
users' tie 5 no of 10: no veto   | tariff  | 10:5/0/0 | 10:5/0/0  | 30:5/5/0     | adopted   | 5/6
abstaining is casting: 6 no/12   | tariff  | 10:5/0/0 | 10:5/0/0  | 30:2/6/4     | adopted   | 3/4
6 no of 11 cast is a veto        | tariff  | 10:5/0/0 | 10:5/0/0  | 30:2/6/3     | vetoed    | 3/4
fails anyway: rejected, not veto | tariff  | 10:0/5/0 | 10:0/5/0  | 30:0/10/0    | rejected  | 0
work: operators 2 yes 3 no block | work    | 10:5/0/0 | 10:2/3/0  | 30:10/0/0    | rejected  | 4/5
work: operators tie, no majority | work    | 10:5/0/0 | 10:2/2/0  | 30:10/0/0    | rejected  | 5/6
work: operators alone not enough | work    | 10:0/5/0 | 10:5/0/0  | 30:0/10/0    | rejected  | 1/3
work: both majorities            | work    | 10:3/2/0 | 10:4/1/0  | 30:6/4/0     | adopted   | 2/3
work: users' no is no veto here  | work    | 10:5/0/0 | 10:5/0/0  | 30:0/10/0    | adopted   | 2/3
quorum exactly 3 of 9 is reached | motion  | 9:3/0/0  | 10:4/0/0  | 30:10/0/0    | adopted   | 1
2 of 9 is below a quorum of 1/3  | motion  | 9:2/0/0  | 10:4/0/0  | 30:10/0/0    | no_quorum | 1
abstaining counts towards quorum | motion  | 9:0/0/3  | 10:4/0/0  | 30:0/10/0    | rejected  | 1/2
empty public college is left out | motion  | 0:0/0/0  | 10:4/1/0  | 30:8/2/0     | adopted   | 4/5
empty users: no service decision | tariff  | 10:5/0/0 | 10:5/0/0  | 0:0/0/0      | no_quorum | 1
empty users: a motion is decided | motion  | 10:5/0/0 | 10:5/0/0  | 0:0/0/0      | adopted   | 1
empty operators: no work vote    | work    | 10:5/0/0 | 0:0/0/0   | 30:10/0/0    | no_quorum | 1
no college has members           | motion  | 0:0/0/0  | 0:0/0/0   | 0:0/0/0      | no_quorum | -
all abstain: nothing to adopt    | motion  | 10:0/0/5 | 10:0/0/5  | 30:0/0/10    | rejected  | -
users all abstain: no veto       | tariff  | 10:5/0/0 | 10:3/2/0  | 30:0/0/10    | adopted   | 4/5
"""


def cell(text: str) -> Row:
    members, _, votes = text.partition(":")
    yes, no, abstain = (int(x) for x in votes.split("/"))
    return (int(members), yes, no, abstain)


CASES = [[part.strip() for part in line.split("|")] for line in TABLE.strip().splitlines()[1:]]


@pytest.mark.parametrize(
    ("kind", "public", "operators", "users", "result", "share"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_decision_table(
    kind: str, public: str, operators: str, users: str, result: str, share: str
) -> None:
    outcome = vote(KINDS[kind], public=cell(public), operators=cell(operators), users=cell(users))
    assert outcome.result == result, outcome.reasons
    assert outcome.weighted_yes_text == (None if share == "-" else share)
    assert outcome.reasons


def test_outcome_records_counts_rule_and_reasons() -> None:
    outcome = vote(
        K.TARIFF_CHANGE, public=(10, 5, 0, 0), operators=(10, 5, 0, 0), users=(30, 4, 6, 0)
    )
    assert outcome.kind is K.TARIFF_CHANGE
    assert outcome.rule == "weighted_majority+users_veto"
    assert [c.college for c in outcome.colleges] == [PUBLIC, OPERATORS, USERS]
    users = outcome.college(USERS)
    assert (users.members, users.yes, users.no, users.abstain) == (30, 4, 6, 0)
    assert users.turnout == Fraction(1, 3) and users.yes_share == Fraction(2, 5)
    assert users.no_share_of_cast == Fraction(3, 5)
    assert outcome.weighted_yes == Fraction(4, 5)
    assert outcome.reasons == (
        "quorum reached in every college with members",
        "weighted yes share 4/5 is more than 1/2",
        "users: 6 no of 10 votes cast is more than the veto threshold of 1/2",
    )


def test_no_quorum_names_the_college_short_of_it() -> None:
    outcome = vote(K.EVALUATION, public=(9, 2, 0, 0), operators=(10, 4, 0, 0), users=(30, 0, 0, 0))
    assert outcome.result is Q
    assert "public: 2 of 9 members voted, below its quorum of 1/3" in outcome.reasons
    assert "users: 0 of 30 members voted, below its quorum of 1/3" in outcome.reasons


def test_rule_names() -> None:
    assert rule_name(DEFAULT.rule_for(K.FREE_MOTION)) == "weighted_majority"
    assert rule_name(DEFAULT.rule_for(K.WORK_ORGANISATION)) == (
        "weighted_majority+operators_majority"
    )
    both = KindRule(K.EVALUATION, users_veto=True, operators_majority=True)
    assert rule_name(both) == "weighted_majority+operators_majority+users_veto"


def test_weights_change_the_outcome() -> None:
    """The same counts, adopted with equal weights, rejected when the public college weighs 3."""
    rows = {"public": (10, 0, 5, 0), "operators": (10, 5, 0, 0), "users": (30, 10, 0, 0)}
    assert vote(K.FREE_MOTION, **rows).weighted_yes == Fraction(2, 3)
    heavy = replace(DEFAULT, colleges=(College(PUBLIC, Fraction(3)), *DEFAULT.colleges[1:]))
    outcome = vote(K.FREE_MOTION, heavy, **rows)
    assert outcome.result is R and outcome.weighted_yes == Fraction(2, 5)


def test_a_fourth_college_takes_part() -> None:
    four = replace(DEFAULT, colleges=(*DEFAULT.colleges, College("associations", Fraction(1, 2))))
    outcome = vote(
        K.FREE_MOTION,
        four,
        public=(10, 5, 0, 0),
        operators=(10, 0, 5, 0),
        users=(30, 5, 5, 0),
        associations=(4, 0, 2, 0),
    )
    # (1 + 0 + 1/2 + 1/2 × 0) / 3.5 = 3/7
    assert outcome.weighted_yes == Fraction(3, 7) and outcome.result is R


def test_a_charter_can_extend_the_veto_and_thresholds() -> None:
    rules = tuple(
        KindRule(K.EVALUATION, users_veto=True) if r.kind is K.EVALUATION else r
        for r in DEFAULT.rules
    )
    strict = replace(DEFAULT, rules=rules, users_veto_threshold=Fraction(1, 3))
    rows = {"public": (10, 5, 0, 0), "operators": (10, 5, 0, 0), "users": (30, 6, 4, 0)}
    assert vote(K.EVALUATION, **rows).result is A
    assert vote(K.EVALUATION, strict, **rows).result is V  # 4/10 is more than 1/3
    assert vote(K.FREE_MOTION, strict, **rows).result is A


def test_quorum_zero_and_one() -> None:
    zero = replace(
        DEFAULT, colleges=tuple(replace(c, quorum=Fraction(0)) for c in DEFAULT.colleges)
    )
    rows = {"public": (10, 0, 0, 0), "operators": (10, 1, 0, 0), "users": (30, 0, 0, 0)}
    assert vote(K.FREE_MOTION, zero, **rows).result is A  # only the operator who voted counts
    everyone = replace(
        DEFAULT, colleges=tuple(replace(c, quorum=Fraction(1)) for c in DEFAULT.colleges)
    )
    full = {"public": (3, 3, 0, 0), "operators": (3, 2, 0, 1), "users": (5, 5, 0, 0)}
    assert vote(K.FREE_MOTION, everyone, **full).result is A
    full["users"] = (5, 4, 0, 0)
    assert vote(K.FREE_MOTION, everyone, **full).result is Q


def test_kind_given_as_text() -> None:
    rows = {"public": (10, 5, 0, 0), "operators": (10, 5, 0, 0), "users": (30, 0, 10, 0)}
    assert vote("tariff_change", **rows).result is V  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("tally", "members", "message"),
    [
        ({"board": Count(1)}, {"board": 3}, "'board' is not in the charter"),
        ({USERS: Count(2, 1, 1)}, {USERS: 3}, "4 votes cast but 3 members"),
        ({USERS: Count(1)}, {}, "1 votes cast but 0 members"),
        ({}, {USERS: -1}, "members must be an integer"),
        ({USERS: (1, 0, 0)}, {USERS: 3}, "expected a Count"),
    ],
)
def test_impossible_counts_are_refused(tally: dict, members: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        decide(DEFAULT, K.FREE_MOTION, tally, members)


@pytest.mark.parametrize("bad", [{"yes": -1}, {"no": True}, {"abstain": 1.0}])
def test_count_holds_non_negative_integers(bad: dict) -> None:
    with pytest.raises(ValueError):
        Count(**bad)


# -- properties ----------------------------------------------------------------------------

RANK = {Q: 0, R: 1, V: 2, A: 3}
SHARES = st.sampled_from([Fraction(0), Fraction(1, 4), Fraction(1, 3), Fraction(1, 2)])
EXTENDABLE = (K.EVALUATION, K.FREE_MOTION)  # kinds whose rule a charter may freely set


@st.composite
def charters(draw: st.DrawFn) -> Charter:
    names = [PUBLIC, OPERATORS, USERS] + (["associations"] if draw(st.booleans()) else [])
    colleges = tuple(
        College(
            name,
            weight=Fraction(draw(st.integers(1, 6)), draw(st.integers(1, 3))),
            quorum=draw(SHARES),  # a quorum of 1: test_quorum_zero_and_one
        )
        for name in names
    )
    rules = tuple(
        KindRule(r.kind, users_veto=draw(st.booleans()), operators_majority=draw(st.booleans()))
        if r.kind in EXTENDABLE
        else r
        for r in DEFAULT.rules
    )
    return Charter(
        colleges=colleges,
        rules=rules,
        adoption_threshold=draw(SHARES | st.just(Fraction(2, 3))),
        users_veto_threshold=draw(SHARES | st.just(Fraction(2, 3))),
    )


@st.composite
def rows(draw: st.DrawFn, most: int = 12) -> Row:
    """One college; its turnout is often high, so that many votes reach every quorum."""
    members = max(0, draw(st.integers(-2, most)))  # empty about one time in seven
    cast = members - draw(st.just(0) | st.integers(0, members // 2) | st.integers(0, members))
    yes = draw(st.integers(0, cast))
    no = draw(st.integers(0, cast - yes))
    return (members, yes, no, cast - yes - no)


@st.composite
def votes(draw: st.DrawFn) -> tuple[Charter, ProposalKind, dict[str, Row]]:
    charter = draw(charters())
    kind = draw(st.sampled_from(list(ProposalKind)))
    return charter, kind, {name: draw(rows()) for name in charter.college_names}


@st.composite
def decided_votes(draw: st.DrawFn) -> tuple[Charter, ProposalKind, dict[str, Row]]:
    """Votes where every college has members, reaches its quorum and has one member left."""
    charter = draw(charters())
    kind = draw(st.sampled_from(list(ProposalKind)))
    table = {}
    for college in charter.colleges:
        members = draw(st.integers(2, 12))
        least = math.ceil(college.quorum * members)
        cast = draw(st.integers(least, members - 1))
        yes = draw(st.integers(0, cast))
        no = draw(st.integers(0, cast - yes))
        table[college.name] = (members, yes, no, cast - yes - no)
    return charter, kind, table


def run(charter: Charter, kind: ProposalKind, table: dict[str, Row]) -> Outcome:
    return vote(kind, charter, **table)


@given(votes() | decided_votes(), st.data())
def test_one_more_yes_never_lowers_the_outcome(v: tuple, data: st.DataObject) -> None:
    """Exact property: in the order no_quorum < rejected < vetoed < adopted, one more yes
    (a member who had not voted, or a no or an abstention changed to yes) never lowers the
    outcome. So adopted stays adopted; a yes can lift a veto or reach a quorum, and can turn
    rejected into vetoed (the weighted majority is now there, and the users block it)."""
    charter, kind, table = v
    name = data.draw(st.sampled_from(charter.college_names))
    m, y, n, a = table[name]
    moves = [(m, y + 1, n, a)] if y + n + a < m else []
    moves += [(m, y + 1, n - 1, a)] if n else []
    moves += [(m, y + 1, n, a - 1)] if a else []
    assume(moves)
    before = run(charter, kind, table).result
    after = run(charter, kind, {**table, name: data.draw(st.sampled_from(moves))}).result
    assert RANK[after] >= RANK[before]


@given(decided_votes(), st.data())
def test_one_more_no_never_raises_a_decided_outcome(v: tuple, data: st.DataObject) -> None:
    """Once quorum is reached, a member who had not voted and now votes no never raises the
    outcome (it may create a veto, never lift one)."""
    charter, kind, table = v
    name = data.draw(st.sampled_from(charter.college_names))
    m, y, n, a = table[name]
    before = run(charter, kind, table).result
    assert before is not Q
    after = run(charter, kind, {**table, name: (m, y, n + 1, a)}).result
    assert RANK[after] <= RANK[before]


@given(votes() | decided_votes())
def test_veto_applies_exactly_when_the_charter_says(v: tuple) -> None:
    """Vetoed ⇔ the kind's rule gives the veto, the same vote without the veto would be adopted,
    and the users' no is more than the threshold of their votes cast. Otherwise the veto
    changes nothing, but for an empty users' college, where it makes the vote no_quorum."""
    charter, kind, table = v
    rule = charter.rule_for(kind)
    without = KindRule(K.EVALUATION, users_veto=False, operators_majority=rule.operators_majority)
    bare = replace(
        charter, rules=tuple(without if r.kind is K.EVALUATION else r for r in charter.rules)
    )
    would_adopt = run(bare, K.EVALUATION, table).result is A
    no = table[USERS][2]
    cast = sum(table[USERS][1:])
    users_block = cast > 0 and Fraction(no, cast) > charter.users_veto_threshold
    outcome = run(charter, kind, table)
    assert (outcome.result is V) == (rule.users_veto and would_adopt and users_block)
    if rule.users_veto and table[USERS][0] == 0:
        assert outcome.result is Q  # no users to hold the veto: no service decision
    elif outcome.result is not V:
        assert outcome.result is run(bare, K.EVALUATION, table).result


@given(votes())
def test_no_quorum_exactly_when_a_college_falls_short(v: tuple) -> None:
    charter, kind, table = v
    rule = charter.rule_for(kind)
    short = any(
        m > 0 and Fraction(y + n + a, m) < charter.college(name).quorum
        for name, (m, y, n, a) in table.items()
    )
    all_empty = all(m == 0 for m, *_ in table.values())
    powers_missing = (rule.users_veto and table[USERS][0] == 0) or (
        rule.operators_majority and table[OPERATORS][0] == 0
    )
    expected = short or all_empty or powers_missing
    assert (run(charter, kind, table).result is Q) == expected


@given(votes(), st.data())
def test_head_count_does_not_matter(v: tuple, data: st.DataObject) -> None:
    """Multiplying one college's members and votes by k changes nothing: colleges count by
    their weight, so a large college does not drown the others."""
    charter, kind, table = v
    name = data.draw(st.sampled_from(charter.college_names))
    k = data.draw(st.integers(2, 50))
    m, y, n, a = table[name]
    scaled = {**table, name: (k * m, k * y, k * n, k * a)}
    before, after = run(charter, kind, table), run(charter, kind, scaled)
    assert (after.result, after.weighted_yes) == (before.result, before.weighted_yes)


@given(votes(), st.integers(2, 9))
def test_only_relative_weights_matter(v: tuple, k: int) -> None:
    charter, kind, table = v
    heavier = replace(
        charter, colleges=tuple(replace(c, weight=c.weight * k) for c in charter.colleges)
    )
    before, after = run(charter, kind, table), run(heavier, kind, table)
    assert (after.result, after.weighted_yes) == (before.result, before.weighted_yes)


@given(votes())
def test_a_proposal_and_its_mirror_are_not_both_adopted(v: tuple) -> None:
    """Swapping yes and no in every college turns the weighted share s into 1 - s."""
    charter, kind, table = v
    mirror = {name: (m, n, y, a) for name, (m, y, n, a) in table.items()}
    here, there = run(charter, kind, table), run(charter, kind, mirror)
    if here.weighted_yes is not None:
        assert there.weighted_yes == 1 - here.weighted_yes
    if charter.adoption_threshold >= Fraction(1, 2):
        assert not (here.result is A and there.result is A)


@given(votes())
def test_weighted_share_lies_between_the_colleges_shares(v: tuple) -> None:
    charter, kind, table = v
    outcome = run(charter, kind, table)
    shares = [c.yes_share for c in outcome.colleges if c.yes_share is not None]
    if not shares:
        assert outcome.weighted_yes is None
    else:
        assert outcome.weighted_yes is not None
        assert min(shares) <= outcome.weighted_yes <= max(shares)
    assert [(c.members, c.yes, c.no, c.abstain) for c in outcome.colleges] == list(table.values())
