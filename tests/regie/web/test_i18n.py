"""Every interface string has its French translation; numbers and money follow the locale."""

from __future__ import annotations

import ast
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

from regie.web import i18n
from tariffs.model import TariffProblem
from tariffs.tariff_file import REASONS, parse_tariff

ROOT = Path(__file__).resolve().parents[3]
PATTERNS = [  # in templates
    re.compile(r"""\b_\(\s*"((?:[^"\\]|\\.)+)"\s*[,)]"""),
    re.compile(r"""\b_\(\s*'((?:[^'\\]|\\.)+)'\s*[,)]"""),
    re.compile(r"""\bgettext\(\s*"((?:[^"\\]|\\.)+)"\s*[,)]"""),
]
MARKERS = {"_", "gettext", "ngettext"}  # in Python: by name, or as i18n.gettext


def template_strings() -> set[str]:
    found: set[str] = set()
    for path in (ROOT / "templates").rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        for pattern in PATTERNS:
            found.update(m.replace('\\"', '"').replace("\\'", "'") for m in pattern.findall(text))
    return found


def python_strings() -> set[str]:
    """The literal messages given to `_`, `gettext` or `ngettext` in the web layer, read from
    the syntax tree: single or double quotes, split over several lines, all of them."""
    found: set[str] = set()
    for path in (ROOT / "regie" / "web").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name not in MARKERS:
                continue
            given = node.args[:2] if name == "ngettext" else node.args[:1]
            found.update(
                a.value for a in given if isinstance(a, ast.Constant) and isinstance(a.value, str)
            )
    return found


def interface_strings() -> set[str]:
    return template_strings() | python_strings()


def test_every_string_has_a_french_translation() -> None:
    strings = interface_strings()
    assert len(strings) > 20
    french = i18n.catalogue("fr")
    missing = sorted(s for s in strings if s not in french)
    assert missing == []


def test_every_tariff_problem_has_a_french_template_with_the_same_values() -> None:
    """A problem is shown in French by filling the French template with the problem's values:
    it must name exactly the English template's values, or formatting fails or drops one."""
    french = i18n.catalogue("fr")
    placeholder = re.compile(r"%\((\w+)\)s")
    for template in REASONS.values():
        assert template in french, template
        names = set(placeholder.findall(template))
        assert set(placeholder.findall(french[template])) == names, template
        assert french[template] % {name: "x" for name in names}  # no stray %


def test_a_tariff_problem_is_told_in_the_page_language() -> None:
    _, problems = parse_tariff('[tariff]\nname = "x"\ncurrency = "euro"\n', "draft")
    currency = next(p for p in problems if p.field == "tariff.currency")
    token = i18n.current.set("fr")
    try:
        french = i18n.problem_reason(currency)
        assert french == "'euro' n'est pas un code ISO 4217 comme \"EUR\"", french
        plain = TariffProblem("draft", "", "The tariff is too long.")  # no template: as it is
        assert i18n.problem_reason(plain) == "The tariff is too long."
    finally:
        i18n.current.reset(token)
    token = i18n.current.set("en")
    try:
        assert i18n.problem_reason(currency) == currency.reason
    finally:
        i18n.current.reset(token)


def test_formats_follow_the_locale() -> None:
    token = i18n.current.set("fr")
    try:
        assert (
            i18n.money(Decimal("1234.56")).replace("\u202f", " ").replace("\xa0", " ")
            == "1 234,56 €"
        )
        assert (
            i18n.money(123456, cents=True).replace("\u202f", " ").replace("\xa0", " ")
            == "1 234,56 €"
        )
        assert i18n.day(date(2026, 3, 1)) == "1 mars 2026"
        assert i18n.gettext("Log in") == "Se connecter"
    finally:
        i18n.current.reset(token)
    token = i18n.current.set("en")
    try:
        assert i18n.money(Decimal("1234.56")) == "€1,234.56"
        assert i18n.gettext("Log in") == "Log in"
    finally:
        i18n.current.reset(token)


def test_language_choice() -> None:
    assert i18n.choose(None, None) == "fr"
    assert i18n.choose(None, "en-GB,en;q=0.9") == "en"
    assert i18n.choose("fr", "en-GB") == "fr"
    assert i18n.choose("xx", "de-DE") == "fr"
