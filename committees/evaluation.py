"""Evaluations of a provider or of the service: a scored questionnaire and its summary (pure).

The booklet asks that users take part in *evaluating* the providers of a public service, not
only in being consulted. An evaluation proposal carries a questionnaire (the subject, a score
scale and the criteria); households of the territory and members of the committee answer it
while it is on the agenda; the committee then votes on the proposal with the summary in view.

A questionnaire is stored in the proposal's `details`, so that its text is hashed into the
decision log when filed and cannot change after:

    {"subject": "Relève des compteurs (prestataire X)", "scale": 5,
     "criteria": [{"label": "Ponctualité", "question": "Les relevés sont-ils faits à temps ?",
                   "weight": "2"}, {"label": "Accueil"}]}

An answer is one score per criterion, in order, each from 1 to the scale or `None` for "no
opinion"; at least one criterion must be scored.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

DEFAULT_SCALE = 5
MIN_SCALE, MAX_SCALE = 3, 10
MAX_CRITERIA = 20
MAX_SUBJECT, MAX_LABEL, MAX_QUESTION = 200, 120, 500

# Who answered, for the summary: a college of the committee, or a household of the territory.
HOUSEHOLDS = "households"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a questionnaire: the field, a stable code for pages to word it in
    their language, its figures, and the sentence in English."""

    field: str  # "subject", "criteria[2].label"…
    code: str
    text: str
    params: tuple[tuple[str, Any], ...] = ()

    def __str__(self) -> str:
        return f"{self.field}: {self.text}"


class QuestionnaireError(ValueError):
    """A questionnaire that cannot be used; `problems` names every offending field."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(map(str, problems)))


class AnswerError(ValueError):
    """An answer that does not fit its questionnaire; `reason` is a stable code, and `params`
    the values its English message names."""

    def __init__(self, reason: str, message: str, params: Mapping[str, object] | None = None):
        self.reason = reason
        self.params = dict(params or {})
        super().__init__(message)


@dataclass(frozen=True)
class Criterion:
    label: str
    question: str = ""
    weight: Decimal = Decimal(1)


@dataclass(frozen=True)
class Questionnaire:
    subject: str
    scale: int
    criteria: tuple[Criterion, ...]

    def as_details(self) -> dict[str, Any]:
        """The canonical form stored with the proposal (weights as strings: no floats)."""
        return {
            "subject": self.subject,
            "scale": self.scale,
            "criteria": [
                {"label": c.label, "question": c.question, "weight": str(c.weight)}
                for c in self.criteria
            ],
        }


def parse(details: Mapping[str, Any]) -> Questionnaire:
    """The questionnaire of a proposal's details, or QuestionnaireError naming each problem."""
    problems: list[Problem] = []
    subject = details.get("subject")
    if not isinstance(subject, str) or not subject.strip():
        problems.append(
            Problem("subject", "subject_missing", "name the provider or service evaluated")
        )
        subject = ""
    elif len(subject) > MAX_SUBJECT:
        problems.append(_too_long("subject", MAX_SUBJECT))
    scale = details.get("scale", DEFAULT_SCALE)
    if isinstance(scale, bool) or not isinstance(scale, int) or not MIN_SCALE <= scale <= MAX_SCALE:
        problems.append(
            Problem(
                "scale",
                "scale",
                f"a whole number from {MIN_SCALE} to {MAX_SCALE}, not {scale!r}",
                (("min", MIN_SCALE), ("max", MAX_SCALE)),
            )
        )
        scale = DEFAULT_SCALE
    raw = details.get("criteria")
    criteria: list[Criterion] = []
    if not isinstance(raw, list) or not raw:
        problems.append(Problem("criteria", "no_criteria", "at least one criterion"))
        raw = []
    elif len(raw) > MAX_CRITERIA:
        problems.append(
            Problem(
                "criteria", "many_criteria", f"at most {MAX_CRITERIA}", (("max", MAX_CRITERIA),)
            )
        )
    seen: set[str] = set()
    for n, item in enumerate(raw, start=1):
        where = f"criteria[{n}]"
        if not isinstance(item, Mapping):
            problems.append(Problem(where, "not_a_table", "a table with a label"))
            continue
        unknown = set(item) - {"label", "question", "weight"}
        if unknown:
            problems.append(_unknown(where, unknown))
        label, question = item.get("label"), item.get("question", "")
        if not isinstance(label, str) or not label.strip():
            problems.append(Problem(f"{where}.label", "no_label", "a criterion needs a label"))
            continue
        label = label.strip()
        if len(label) > MAX_LABEL:
            problems.append(_too_long(f"{where}.label", MAX_LABEL))
        if label.casefold() in seen:
            problems.append(
                Problem(f"{where}.label", "twice", f"{label!r} appears twice", (("label", label),))
            )
        seen.add(label.casefold())
        if not isinstance(question, str) or len(question) > MAX_QUESTION:
            problems.append(_too_long(f"{where}.question", MAX_QUESTION))
            question = ""
        weight = _weight(item.get("weight", "1"), where, problems)
        criteria.append(Criterion(label, question.strip(), weight))
    unknown = set(details) - {"subject", "scale", "criteria"}
    if unknown:
        problems.append(_unknown("details", unknown))
    if problems:
        raise QuestionnaireError(problems)
    return Questionnaire(subject.strip(), scale, tuple(criteria))


def _too_long(field: str, most: int) -> Problem:
    return Problem(field, "too_long", f"at most {most} characters", (("max", most),))


def _unknown(field: str, names: set[str]) -> Problem:
    listed = ", ".join(sorted(names))
    return Problem(field, "unknown", f"unknown field(s) {listed}", (("names", listed),))


def _weight(value: Any, where: str, problems: list[Problem]) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int):
        problems.append(
            Problem(f"{where}.weight", "weight", 'a number written as text, such as "2"')
        )
        return Decimal(1)
    try:
        weight = Decimal(str(value))
    except InvalidOperation:
        problems.append(Problem(f"{where}.weight", "weight", f"{value!r} is not a number"))
        return Decimal(1)
    if not weight.is_finite() or weight <= 0 or weight > 100:
        problems.append(
            Problem(f"{where}.weight", "weight", f"above 0 and at most 100, not {value}")
        )
        return Decimal(1)
    return weight


def from_lines(subject: str, lines: str, scale: int | str = DEFAULT_SCALE) -> Questionnaire:
    """A questionnaire from a form: one criterion per line, `label: question` or `label`."""
    criteria = []
    for line in lines.splitlines():
        label, _, question = line.partition(":")
        if label.strip():
            criteria.append({"label": label.strip(), "question": question.strip()})
    try:
        scale = int(scale)
    except (TypeError, ValueError):
        text = f"a whole number from {MIN_SCALE} to {MAX_SCALE}, not {scale!r}"
        params = (("min", MIN_SCALE), ("max", MAX_SCALE))
        raise QuestionnaireError([Problem("scale", "scale", text, params)]) from None
    return parse({"subject": subject, "scale": scale, "criteria": criteria})


def check_scores(q: Questionnaire, raw: Sequence[Any]) -> tuple[int | None, ...]:
    """An answer's scores, one per criterion in order: a whole number from 1 to the scale, or
    None (no opinion); form values ("3", "") are accepted. At least one must be given."""
    if len(raw) != len(q.criteria):
        raise AnswerError(
            "wrong_length",
            f"one score per criterion: {len(q.criteria)}, not {len(raw)}",
            {"criteria": len(q.criteria), "scores": len(raw)},
        )
    scores: list[int | None] = []
    for criterion, value in zip(q.criteria, raw, strict=True):
        if value is None or value == "":
            scores.append(None)
            continue
        try:
            score = int(value) if not isinstance(value, bool) else None
        except (TypeError, ValueError):
            score = None
        if score is None or str(score) != str(value).strip() or not 1 <= score <= q.scale:
            raise AnswerError(
                "bad_score",
                f"{criterion.label}: a score from 1 to {q.scale}, not {value!r}",
                {"criterion": criterion.label, "scale": q.scale, "value": repr(value)},
            )
        scores.append(score)
    if all(s is None for s in scores):
        raise AnswerError("no_score", "score at least one criterion")
    return tuple(scores)


@dataclass(frozen=True)
class CriterionSummary:
    label: str
    weight: Decimal
    answered: int
    mean: Fraction | None  # None when nobody scored it
    counts: tuple[int, ...]  # how many gave 1, 2, … scale
    by_group: Mapping[str, Fraction]  # mean per college / households, where some scored it


@dataclass(frozen=True)
class Summary:
    subject: str
    scale: int
    respondents: int
    by_group: Mapping[str, int]  # respondents per college / households
    criteria: tuple[CriterionSummary, ...]
    overall: Fraction | None  # weighted mean of the criteria's means, over those scored

    def share(self, mean: Fraction | None) -> float:
        """Where a mean stands on the scale, 0 at 1 and 1 at the top (for bars)."""
        return 0.0 if mean is None else float((mean - 1) / (self.scale - 1))


def summarise(q: Questionnaire, answers: Iterable[tuple[str, Sequence[int | None]]]) -> Summary:
    """The summary of answers given as (group, scores): exact means (fractions), the count of
    each score, and means per group, so that no college's view is hidden in the total."""
    answers = list(answers)
    groups = Counter(group for group, _ in answers)
    criteria = []
    for i, criterion in enumerate(q.criteria):
        given: list[int] = []
        per_group: dict[str, list[int]] = defaultdict(list)
        for group, scores in answers:
            score = scores[i]
            if score is not None:
                given.append(score)
                per_group[group].append(score)
        counts = Counter(given)
        criteria.append(
            CriterionSummary(
                label=criterion.label,
                weight=criterion.weight,
                answered=len(given),
                mean=Fraction(sum(given), len(given)) if given else None,
                counts=tuple(counts.get(n, 0) for n in range(1, q.scale + 1)),
                by_group={g: Fraction(sum(v), len(v)) for g, v in sorted(per_group.items())},
            )
        )
    scored = [(Fraction(c.weight), c.mean) for c in criteria if c.mean is not None]
    overall: Fraction | None = None
    if scored:
        overall = sum((w * m for w, m in scored), Fraction(0)) / sum(
            (w for w, _ in scored), Fraction(0)
        )
    return Summary(
        q.subject, q.scale, len(answers), dict(sorted(groups.items())), tuple(criteria), overall
    )
