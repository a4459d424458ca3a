"""The charter model and its loading from a TOML-shaped dict, with errors that name the field."""

from __future__ import annotations

import dataclasses
import tomllib
from fractions import Fraction
from typing import Any

import pytest

from committees.charter import (
    OPERATORS,
    PUBLIC,
    SERVICE_KINDS,
    USERS,
    Charter,
    CharterError,
    College,
    KindRule,
    ProposalKind,
    Secrecy,
    charter_from_dict,
)

K = ProposalKind

EXAMPLE = """
adoption_threshold = "1/2"
users_veto_threshold = "1/2"
quorum = "1/4"
vote_duration_days = 21
co_signatures = 30
secrecy = "named"

[colleges.public]
weight = 1
quorum = "1/2"

[colleges.operators]
weight = "1"

[colleges.users]
weight = 2
quorum = "0.1"

[colleges.associations]
weight = "1/2"

[kinds.evaluation]
users_veto = true
"""


def errors(data: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(CharterError) as caught:
        charter_from_dict(data)
    return {e.field: e.message for e in caught.value.errors}


def test_defaults_follow_the_booklet() -> None:
    charter = Charter()
    assert charter.college_names == (PUBLIC, OPERATORS, USERS)
    assert all(c.weight == 1 and c.quorum == Fraction(1, 3) for c in charter.colleges)
    assert charter.adoption_threshold == Fraction(1, 2)
    assert charter.users_veto_threshold == Fraction(1, 2)
    assert (charter.vote_duration_days, charter.co_signatures) == (14, 10)
    assert charter.secrecy is Secrecy.SECRET
    vetoed = {k for k in ProposalKind if charter.rule_for(k).users_veto}
    assert vetoed == SERVICE_KINDS == {K.TARIFF_CHANGE, K.ACCESS, K.OVERCONSUMPTION_RULE}
    majority = {k for k in ProposalKind if charter.rule_for(k).operators_majority}
    assert majority == {K.WORK_ORGANISATION}


def test_empty_dict_is_the_default_charter() -> None:
    assert charter_from_dict({}) == Charter()


def test_load_a_toml_charter() -> None:
    charter = charter_from_dict(tomllib.loads(EXAMPLE))
    assert charter.college_names == (PUBLIC, OPERATORS, USERS, "associations")
    assert charter.college(PUBLIC) == College(PUBLIC, Fraction(1), Fraction(1, 2))
    assert charter.college(OPERATORS).quorum == Fraction(1, 4)  # the top-level default
    assert charter.college(USERS) == College(USERS, Fraction(2), Fraction(1, 10))
    assert charter.college("associations").weight == Fraction(1, 2)
    assert charter.rule_for("evaluation") == KindRule(K.EVALUATION, users_veto=True)
    assert charter.rule_for(K.TARIFF_CHANGE).users_veto  # untouched kinds keep their rule
    assert (charter.vote_duration_days, charter.co_signatures) == (21, 30)
    assert charter.secrecy is Secrecy.NAMED


def test_a_charter_is_frozen() -> None:
    charter = Charter()
    with pytest.raises(dataclasses.FrozenInstanceError):
        charter.adoption_threshold = Fraction(0)  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        charter.colleges[0].weight = Fraction(5)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1/3", Fraction(1, 3)), ("0.25", Fraction(1, 4)), (" 2/4 ", Fraction(1, 2)), (0, 0)],
)
def test_fractions_are_read_exactly(text: Any, expected: Fraction) -> None:
    assert charter_from_dict({"quorum": text}).college(USERS).quorum == expected


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"quorum": 0.25}, "quorum", 'as a string such as "1/3"'),
        ({"quorum": True}, "quorum", 'as a string such as "1/3"'),
        ({"quorum": "a third"}, "quorum", "not a fraction"),
        ({"quorum": "1/0"}, "quorum", "not a fraction"),
        ({"quorum": "NaN"}, "quorum", "not a fraction"),
        ({"quorum": "3/2"}, "colleges.public.quorum", "between 0 and 1"),
        ({"adoption_threshold": "1"}, "adoption_threshold", "less than 1"),
        ({"users_veto_threshold": "-1/2"}, "users_veto_threshold", "at least 0"),
        ({"vote_duration_days": 0}, "vote_duration_days", "at least 1"),
        ({"vote_duration_days": "7"}, "vote_duration_days", "must be an integer"),
        ({"co_signatures": -1}, "co_signatures", "0 or more"),
        ({"secrecy": "open"}, "secrecy", "one of 'secret', 'named'"),
        ({"tresholds": 1}, "tresholds", "unknown field"),
        ({"colleges": []}, "colleges", "must be a table"),
        ({"colleges": {"users": {}}}, "colleges.public", "this college is required"),
        ({"colleges": {"Users": {}}}, "colleges.Users", "lowercase"),
        ({"colleges": {"public": {"weight": 0}}}, "colleges.public.weight", "more than 0"),
        ({"colleges": {"public": {"wieght": 2}}}, "colleges.public.wieght", "unknown field"),
        ({"colleges": {"public": 1}}, "colleges.public", "must be a table"),
        ({"kinds": {"budget": {}}}, "kinds.budget", "unknown field"),
        ({"kinds": {"access": {"users_veto": "yes"}}}, "kinds.access.users_veto", "true or false"),
        (
            {"kinds": {"tariff_change": {"users_veto": False}}},
            "kinds.tariff_change.users_veto",
            "keeps its veto",
        ),
        (
            {"kinds": {"work_organisation": {"operators_majority": False}}},
            "kinds.work_organisation.operators_majority",
            "keeps the majority",
        ),
    ],
)
def test_errors_name_the_field(data: dict[str, Any], field: str, message: str) -> None:
    found = errors(data)
    assert field in found, found
    assert message in found[field]


def test_every_error_is_reported_at_once() -> None:
    found = errors(
        {
            "quorum": 0.5,
            "secrecy": "whispered",
            "colleges": {"public": {"weight": -1}, "users": {}},
            "kinds": {"access": {"users_veto": False}},
        }
    )
    assert set(found) == {
        "quorum",
        "secrecy",
        "colleges.public.weight",
        "colleges.operators",
        "kinds.access.users_veto",
    }


def test_error_message_lists_the_fields() -> None:
    with pytest.raises(CharterError, match=r"co_signatures: must be 0 or more"):
        charter_from_dict({"co_signatures": -3})


def test_a_charter_may_extend_the_founding_rules() -> None:
    charter = charter_from_dict(
        {"kinds": {"free_motion": {"users_veto": True, "operators_majority": True}}}
    )
    assert charter.rule_for(K.FREE_MOTION) == KindRule(K.FREE_MOTION, True, True)


def test_direct_construction_is_checked_too() -> None:
    with pytest.raises(CharterError, match=r"colleges\.users: this college is required"):
        Charter(colleges=(College(PUBLIC), College(OPERATORS)))
    with pytest.raises(CharterError, match="college listed twice"):
        Charter(colleges=(College(PUBLIC), College(OPERATORS), College(USERS), College(USERS)))
    with pytest.raises(CharterError, match=r"kinds\.access: each kind needs exactly one rule"):
        Charter(rules=tuple(r for r in Charter().rules if r.kind is not K.ACCESS))


def test_lookups() -> None:
    charter = Charter()
    with pytest.raises(KeyError):
        charter.college("board")
    with pytest.raises(ValueError):
        charter.rule_for("budget")
