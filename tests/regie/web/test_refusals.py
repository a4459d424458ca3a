"""Every refusal the committees raise, and every error of the quote calculator and of a draft,
has a wording in the page's language that names only values the domain gives."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

from committees.errors import Refused
from regie.web import committees_proposals, evaluations, households, i18n, refusals
from tariffs import engine, impact
from tariffs import service as tariff_service
from tariffs.engine import PricingError, parse_quantity

ROOT = Path(__file__).resolve().parents[3]
ERRORS = {"CommitteeError", "Refused", "VoteRefused", "NotFound", "AnswerError"}
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def raises() -> Iterator[tuple[str, ast.Call]]:
    """Each construction of a committees error in the committees package and the web."""
    files = [*(ROOT / "committees").glob("*.py"), *(ROOT / "regie" / "web").glob("*.py")]
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if name in ERRORS and node.args:
                    yield path.relative_to(ROOT).as_posix(), node


def reasons() -> dict[str, set[str]]:
    """Reason code → the values given at every place it is raised (their intersection). An
    answer's reasons reach the pages through `Refused(exc.reason, …, params=exc.params)`."""
    found: dict[str, set[str]] = {}
    passed_on = []
    for path, call in raises():
        reason = call.args[0]
        if not isinstance(reason, ast.Constant):
            passed_on.append((path, ast.unparse(reason)))
            continue
        given: set[str] = set()
        params = [k.value for k in call.keywords if k.arg == "params"]
        params += call.args[2:3] if path == "committees/evaluation.py" else []
        for value in params:
            assert isinstance(value, ast.Dict), (path, reason.value)
            given |= {k.value for k in value.keys if isinstance(k, ast.Constant)}
        found[reason.value] = found.get(reason.value, given) & given
    assert passed_on == [("committees/evaluations.py", "exc.reason")]
    return found


def test_every_reason_the_committees_raise_is_worded_in_french_and_english() -> None:
    found = reasons()
    assert {"deadline_passed", "wrong_service", "bad_score", "too_long"} <= set(found)
    assert sorted(set(found) - set(refusals.WORDINGS)) == []
    assert sorted(set(refusals.WORDINGS) - set(found)) == []  # no wording of nothing
    french = i18n.catalogue("fr")
    pages = [households.WORDED, committees_proposals.WORDED, evaluations.WORDED]
    worded = [*refusals.WORDINGS.items(), *(i for page in pages for i in page.items())]
    for reason, template in worded:
        names = set(PLACEHOLDER.findall(template))
        assert names <= found[reason], (reason, template, found[reason])
        assert template in french, template
        assert set(PLACEHOLDER.findall(french[template])) == names, template
        for words in (template, french[template]):
            assert words % {name: "x" for name in names}  # no stray %


def test_a_refusal_names_its_values_in_the_page_language() -> None:
    wrong = Refused("wrong_service", "this committee governs water", params={"service": "water"})
    late = Refused("unheard_of", "a reason no page knows")
    token = i18n.current.set("fr")
    try:
        assert refusals.refusal(wrong) == "Ce tarif n'est pas celui du service de ce comité (Eau)."
        assert refusals.refusal(late) == "Refusé : a reason no page knows"
    finally:
        i18n.current.reset(token)
    token = i18n.current.set("en")
    try:
        assert refusals.refusal(wrong) == "This tariff is not for this committee's service (Water)."
    finally:
        i18n.current.reset(token)


def test_every_pricing_and_draft_error_has_a_french_template_with_the_same_values() -> None:
    french = i18n.catalogue("fr")
    reasons = [*engine.REASONS.values(), *tariff_service.REASONS.values(), *impact.REASONS.values()]
    for template in reasons:
        assert template in french, template
        names = set(PLACEHOLDER.findall(template))
        assert set(PLACEHOLDER.findall(french[template])) == names, template
        assert french[template] % {name: "x" for name in names}


def test_a_pricing_error_keeps_its_english_message_and_is_told_in_french() -> None:
    try:
        parse_quantity("12 potatoes", "water", "m^3")
    except PricingError as error:
        unknown = error
    assert str(unknown) == "unknown unit 'potatoes'"  # as the command line says it
    token = i18n.current.set("fr")
    try:
        assert refusals.worded(unknown) == "unité inconnue 'potatoes'"
    finally:
        i18n.current.reset(token)
