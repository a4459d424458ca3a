"""The scored questionnaire of an evaluation (pure): checking it, checking answers, summaries."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from committees import evaluation
from committees.evaluation import AnswerError, QuestionnaireError

DETAILS = {
    "subject": "Relève des compteurs (prestataire X)",
    "scale": 5,
    "criteria": [
        {"label": "Ponctualité", "question": "Les relevés sont-ils faits à temps ?", "weight": "2"},
        {"label": "Accueil"},
    ],
}


def test_a_questionnaire_parses_and_keeps_its_canonical_form() -> None:
    q = evaluation.parse(DETAILS)
    assert q.subject == "Relève des compteurs (prestataire X)" and q.scale == 5
    assert [c.label for c in q.criteria] == ["Ponctualité", "Accueil"]
    assert q.criteria[0].weight == Decimal(2) and q.criteria[1].weight == Decimal(1)
    assert evaluation.parse(q.as_details()) == q


@pytest.mark.parametrize(
    ("details", "problem"),
    [
        ({**DETAILS, "subject": " "}, "subject: name the provider"),
        ({**DETAILS, "scale": 2}, "scale: a whole number from 3 to 10"),
        ({**DETAILS, "scale": True}, "scale: a whole number"),
        ({**DETAILS, "criteria": []}, "criteria: at least one criterion"),
        ({**DETAILS, "criteria": [{"label": "A"}, {"label": "a"}]}, "'a' appears twice"),
        ({**DETAILS, "criteria": [{"label": "A", "weight": 1.5}]}, "criteria[1].weight: a number"),
        ({**DETAILS, "criteria": [{"label": "A", "weight": "-1"}]}, "above 0"),
        ({**DETAILS, "criteria": [{"label": "A", "weight": "x"}]}, "'x' is not a number"),
        ({**DETAILS, "criteria": [{"question": "?"}]}, "criteria[1].label: a criterion needs"),
        ({**DETAILS, "criteria": ["A"]}, "criteria[1]: a table with a label"),
        ({**DETAILS, "criteria": [{"label": "A", "colour": "red"}]}, "unknown field(s) colour"),
        ({**DETAILS, "comment": "x"}, "unknown field(s) comment"),
        ({**DETAILS, "criteria": [{"label": f"C{i}"} for i in range(21)]}, "at most 20"),
    ],
)
def test_a_bad_questionnaire_is_refused_naming_the_field(details: dict, problem: str) -> None:
    with pytest.raises(QuestionnaireError) as refused:
        evaluation.parse(details)
    assert any(problem in str(p) for p in refused.value.problems), refused.value.problems


def test_every_problem_is_reported_at_once_with_its_code() -> None:
    with pytest.raises(QuestionnaireError) as refused:
        evaluation.parse({"subject": "", "scale": 11, "criteria": "A"})
    assert [(p.field, p.code) for p in refused.value.problems] == [
        ("subject", "subject_missing"), ("scale", "scale"), ("criteria", "no_criteria"),
    ]  # fmt: skip
    assert dict(refused.value.problems[1].params) == {"min": 3, "max": 10}


def test_a_form_gives_one_criterion_per_line() -> None:
    q = evaluation.from_lines("Accueil", "Délais: Répond-on vite ?\n\n  Courtoisie  \n", "4")
    assert q.scale == 4
    assert [(c.label, c.question) for c in q.criteria] == [
        ("Délais", "Répond-on vite ?"),
        ("Courtoisie", ""),
    ]
    with pytest.raises(QuestionnaireError):
        evaluation.from_lines("Accueil", "Délais", "cinq")


def test_answers_take_form_values_and_no_opinion() -> None:
    q = evaluation.parse(DETAILS)
    assert evaluation.check_scores(q, ["4", ""]) == (4, None)
    assert evaluation.check_scores(q, [1, 5]) == (1, 5)
    for raw, reason in [
        (["6", "1"], "bad_score"),
        (["0", "1"], "bad_score"),
        (["2.5", "1"], "bad_score"),
        (["x", "1"], "bad_score"),
        ([True, "1"], "bad_score"),
        (["", ""], "no_score"),
        (["1"], "wrong_length"),
    ]:
        with pytest.raises(AnswerError) as refused:
            evaluation.check_scores(q, raw)
        assert refused.value.reason == reason, raw


def test_a_summary_by_hand() -> None:
    q = evaluation.parse(DETAILS)
    summary = evaluation.summarise(
        q, [("users", (5, 2)), ("households", (3, None)), ("households", (4, 4))]
    )
    assert summary.respondents == 3 and summary.by_group == {"households": 2, "users": 1}
    first, second = summary.criteria
    assert first.mean == 4 and first.counts == (0, 0, 1, 1, 1) and first.answered == 3
    assert first.by_group == {"households": Fraction(7, 2), "users": 5}
    assert second.mean == 3 and second.answered == 2
    assert summary.overall == Fraction(2 * 4 + 1 * 3, 3)  # weights 2 and 1
    assert summary.share(Fraction(3)) == 0.5


def test_an_empty_summary_has_no_means() -> None:
    summary = evaluation.summarise(evaluation.parse(DETAILS), [])
    assert summary.respondents == 0 and summary.overall is None
    assert all(c.mean is None and sum(c.counts) == 0 for c in summary.criteria)


score = st.one_of(st.none(), st.integers(1, 5))
answers = st.lists(
    st.tuples(st.sampled_from(["users", "public", "households"]), st.tuples(score, score)),
    max_size=30,
).map(lambda rows: [(g, s) for g, s in rows if s != (None, None)])


@given(answers)
def test_summary_invariants(rows: list) -> None:
    q = evaluation.parse(DETAILS)
    summary = evaluation.summarise(q, rows)
    assert summary.respondents == len(rows) == sum(summary.by_group.values())
    for i, c in enumerate(summary.criteria):
        given_scores = [s[i] for _, s in rows if s[i] is not None]
        assert sum(c.counts) == c.answered == len(given_scores)
        if given_scores:
            assert c.mean is not None and 1 <= c.mean <= 5
            assert min(c.by_group.values()) <= c.mean <= max(c.by_group.values())
    if summary.overall is not None:
        assert 1 <= summary.overall <= 5
    assert evaluation.summarise(q, list(reversed(rows))) == summary  # order does not matter


@given(answers)
def test_a_top_answer_never_lowers_a_mean(rows: list) -> None:
    q = evaluation.parse(DETAILS)
    before = evaluation.summarise(q, rows)
    after = evaluation.summarise(q, [*rows, ("users", (5, 5))])
    for old, new in zip(before.criteria, after.criteria, strict=True):
        assert new.mean is not None and (old.mean is None or new.mean >= old.mean)
