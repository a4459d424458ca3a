"""Rule-set documents: the shipped defaults, round trips, and every problem named."""

from __future__ import annotations

import tomllib
from fractions import Fraction
from typing import Any

import pytest

from metering.regulation import rule_file
from metering.regulation.defaults import DEFAULTS, default_rule_set
from metering.regulation.rules import (
    ESSENTIAL_FLOW_L_PER_H,
    ExcessVsLastYear,
    Kind,
    Level,
    MeasureKind,
)

NOTICE = {"kind": "notice", "by": "régie"}


def problems(doc: dict[str, Any], service: str | None = None) -> list[str]:
    with pytest.raises(rule_file.RuleSetError) as caught:
        rule_file.parse(doc, service)
    return [str(p) for p in caught.value.problems]


def water(*rules: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"service": "water", "rules": list(rules), **extra}


def leak(**changes: Any) -> dict[str, Any]:
    return {"key": "leak", "kind": "night_flow", "min_flow_per_hour": 1, "measures": [NOTICE]} | (
        changes
    )


def test_the_shipped_defaults_parse_and_round_trip() -> None:
    with DEFAULTS.open("rb") as f:
        doc = tomllib.load(f)
    for service in ("water", "electricity"):
        rule_set = default_rule_set(service)
        assert rule_set == rule_file.parse(doc[service], service)
        assert rule_file.parse(rule_file.document(rule_set)) == rule_set
        assert all(r.measures[0].kind is MeasureKind.NOTICE for r in rule_set.rules)
    assert default_rule_set("water").drought.factors[Level.CRISE] == Fraction(7, 10)
    vs = default_rule_set("water").rule("water-vs-last-year").condition
    assert isinstance(vs, ExcessVsLastYear) and vs.multiple == Fraction(3, 2)


def test_toml_text_is_accepted() -> None:
    text = """service = "water"
[[rules]]
key = "leak"
kind = "night_flow"
min_flow_per_hour = 2
nights = 4
measures = [{ kind = "notice", by = "régie" }]
"""
    rule_set = rule_file.loads(text, "water")
    assert rule_set.rule("leak").kind is Kind.NIGHT_FLOW
    assert rule_file.document(rule_set)["rules"][0]["nights"] == 4


def test_never_a_cut_off() -> None:
    doc = water(leak(measures=[NOTICE, {"kind": "cut_off", "by": "régie"}]))
    assert problems(doc) == [
        "rules.leak.measures[1].kind: never a cut-off of essential water or power"
    ]


def test_a_flow_limiter_always_leaves_an_essential_flow() -> None:
    limiter = {"kind": "flow_limiter", "by": "régie: network technician"}
    assert problems(water(leak(measures=[NOTICE, limiter | {"keeps_l_per_h": 10}]))) == [
        f"rules.leak.measures[1].keeps_l_per_h: a limiter always leaves at least "
        f"{ESSENTIAL_FLOW_L_PER_H} L/h"
    ]
    ok = rule_file.parse(water(leak(measures=[NOTICE, limiter | {"keeps_l_per_h": 120}])))
    assert ok.rule("leak").measures[1].keeps_l_per_h == 120
    elec = {
        "service": "electricity",
        "rules": [
            {
                "key": "base",
                "kind": "night_base_load",
                "factor": "2",
                "measures": [NOTICE, limiter | {"keeps_l_per_h": 120}],
            }
        ],
    }
    assert problems(elec) == ["rules.base.measures[1].kind: a flow limiter is for water only"]


def test_the_household_is_told_first() -> None:
    visit = {"kind": "advice_visit", "by": "régie"}
    assert problems(water(leak(measures=[visit, NOTICE]))) == [
        "rules.leak.measures: the first measure is an information notice"
    ]


def test_drought_factors_lower_and_rise_with_the_level() -> None:
    doc = water(leak(), drought={"factors": {"alerte": "0.8", "crise": "0.9", "vigilance": 2}})
    assert problems(doc) == [
        "drought.factors.vigilance: a restriction lowers thresholds: more than 0, at most 1",
        "drought.factors.crise: must not exceed a lower level's",
    ]
    assert problems(water(leak(), drought={"factors": {"alerte": 0.8}})) == [
        'drought.factors.alerte: an exact number, as a string such as "1.5" or "3/2"'
    ]


def test_drought_is_for_water() -> None:
    doc = {
        "service": "electricity",
        "drought": {"factors": {"crise": "0.5"}},
        "rules": [
            {"key": "x", "kind": "excess_per_person", "per_person_per_day": 1, "drought": True}
            | {"measures": [NOTICE]}
        ],
    }
    assert problems(doc) == [
        "drought: drought restrictions apply to water only",
        "rules.x.drought: drought restrictions apply to water only",
    ]


def test_every_problem_is_named() -> None:
    doc = water(
        leak(nights=0, colour="blue"),
        leak(),
        {"key": "Bad Key", "kind": "night_flow"},
        {"key": "base", "kind": "night_base_load", "factor": "1", "measures": [NOTICE]},
        {"key": "vs", "kind": "excess_vs_last_year", "multiple": "1.5", "min_days": 40}
        | {"measures": [NOTICE]},
    )
    assert problems(doc, "water") == [
        "rules.leak.colour: unknown setting",
        "rules.leak.nights: from 1 to 366",
        "rules.leak: key used twice",
        "rules[2].key: lowercase letters, digits, - and _, 64 at most",
        "rules.base.kind: night_base_load does not apply to water",
        "rules.base.factor: more than 1",
        "rules.vs.min_days: from 1 to window_days",
    ]


def test_a_rule_set_is_for_the_service_it_says() -> None:
    assert problems(water(leak()), "electricity") == [
        "service: this rule set is for water, expected electricity"
    ]


def test_an_empty_rule_set_and_bad_toml() -> None:
    assert problems({"service": "gas"}) == [
        "service: must be one of water, electricity",
        "rules: a list of at least one rule is needed",
    ]
    with pytest.raises(rule_file.RuleSetError, match="not valid TOML"):
        rule_file.loads("service = ")
