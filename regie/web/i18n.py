"""French by default, English available: gettext catalogues read with Babel, and dates,
numbers and money formatted per locale (`1 234,56 €` in French)."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from datetime import date, datetime
from decimal import Decimal
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from babel.dates import format_date, format_datetime
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal, format_percent
from jinja2 import Environment
from markupsafe import Markup

from tariffs.model import TariffProblem

LOCALES = ("fr", "en")
DEFAULT = "fr"
LANG_COOKIE = "regie_lang"
BABEL_LOCALE = {"fr": "fr_FR", "en": "en_GB"}
CATALOGUES = Path(__file__).resolve().parent.parent / "locale"

current: ContextVar[str] = ContextVar("regie_locale", default=DEFAULT)


@cache
def catalogue(locale: str) -> dict[str, str]:
    """msgid → translation; msgids are English, so English needs no catalogue."""
    path = CATALOGUES / locale / "messages.po"
    if not path.exists():
        return {}
    with path.open("rb") as f:
        po = read_po(f, locale=locale)
    return {str(m.id): str(m.string) for m in po if m.id and m.string and not m.fuzzy}


def gettext(message: str) -> str:
    return catalogue(current.get()).get(message, message)


def template_gettext(message: str, /, **variables: Any) -> Markup:
    """`_()` in templates, as Jinja's newstyle gettext does it (the translation is safe, the
    variables are escaped into it, and it is always a format string) without its two layers
    of context-passing calls: a page says a hundred of them."""
    if not variables:
        return _translated(message, current.get())
    return _marked(message, current.get()) % variables


@lru_cache(maxsize=8192)
def _marked(message: str, lang: str) -> Markup:
    return Markup(catalogue(lang).get(message, message))  # noqa: S704 (our own catalogue)


@lru_cache(maxsize=8192)
def _translated(message: str, lang: str) -> Markup:
    return _marked(message, lang) % {}


def problem_reason(problem: TariffProblem) -> str:
    """Why a tariff file is refused, in the page's language: the domain gives its reason in
    English, and its template and values for this (a library's error among them stays as the
    library wrote it). Without a template or a translation, the English reason."""
    if not problem.template:
        return problem.reason
    return gettext(problem.template) % dict(problem.params)


def ngettext(singular: str, plural: str, n: int) -> str:
    return gettext(singular if n == 1 else plural)


def choose(cookie: str | None, accept_language: str | None) -> str:
    """The cookie's choice, else the browser's first known language, else French."""
    if cookie in LOCALES:
        return str(cookie)
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LOCALES:
            return code
    return DEFAULT


def money(value: Decimal | int | None, cents: bool = False, currency: str = "EUR") -> str:
    if value is None:
        return "—"
    amount = Decimal(value) / 100 if cents else Decimal(value)
    return _money(amount, currency, current.get())


@lru_cache(maxsize=16384)
def _money(amount: Decimal, currency: str, lang: str) -> str:
    # Equal amounts (1.5 and 1.50) print alike: the currency's digits are applied.
    return format_currency(amount, currency, locale=BABEL_LOCALE[lang])


def number(value: Any, digits: int = 0) -> str:
    if value is None:
        return "—"
    return _number(value, digits, current.get())


@lru_cache(maxsize=16384)
def _number(value: Any, digits: int, lang: str) -> str:
    # Charts format hundreds of figures a page, and Babel parses its pattern at each call.
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=BABEL_LOCALE[lang])


def rate(value: Any) -> str:
    """A rate as written in a tariff ("5.5", "20") in the locale's figures (5,5 and 20)."""
    locale = BABEL_LOCALE[current.get()]
    return format_decimal(Decimal(str(value)), format="#,##0.###", locale=locale)


def percent(value: Any) -> str:
    return format_percent(value, locale=BABEL_LOCALE[current.get()])


def day(value: date | datetime | None, style: str = "medium") -> str:
    if value is None:
        return "—"
    return _day(value, style, current.get())


@lru_cache(maxsize=4096)
def _day(value: date | datetime, style: str, lang: str) -> str:
    if isinstance(value, datetime):
        return format_datetime(value, format=style, locale=BABEL_LOCALE[lang])
    return format_date(value, format=style, locale=BABEL_LOCALE[lang])


FILTERS: dict[str, Callable[..., str]] = {
    "money": money,
    "number": number,
    "percent": percent,
    "rate": rate,
    "day": day,
}


def configure(env: Environment) -> None:
    """Install gettext and the formatting filters in the Jinja environment."""
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals.update(_=template_gettext, gettext=template_gettext)
    env.filters.update(FILTERS)
    env.globals["current_locale"] = current.get
    env.globals["problem_reason"] = problem_reason
