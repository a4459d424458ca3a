"""Rule sets from and to their file form (a TOML or JSON document), every problem named (pure)."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, fields
from decimal import Decimal
from fractions import Fraction
from typing import Any

from metering.regulation.rules import (
    CONDITIONS,
    ESSENTIAL_FLOW_L_PER_H,
    KIND_SERVICES,
    LEVELS,
    SERVICES,
    WATER,
    Condition,
    Drought,
    ExcessPerPerson,
    ExcessVsLastYear,
    Kind,
    Level,
    Measure,
    MeasureKind,
    NightBaseLoad,
    NightFlow,
    OverPower,
    Rule,
    RuleSet,
)

_KEY = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
_MAX_DAYS = 366


@dataclass(frozen=True)
class Problem:
    field: str  # dotted path in the document, e.g. "rules.water-excess.window_days"
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class RuleSetError(ValueError):
    """A rule set that cannot be used; `problems` names every offending field."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(str(p) for p in problems))


def loads(text: str, service: str | None = None) -> RuleSet:
    """A rule set from TOML text."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise RuleSetError([Problem("(file)", f"not valid TOML: {error}")]) from None
    return parse(doc, service)


def parse(doc: Mapping[str, Any], service: str | None = None) -> RuleSet:
    """A rule set from its document; `service`, when given, must be the document's."""
    out: list[Problem] = []
    _unknown(doc, {"service", "close_after_days", "drought", "rules"}, "", out)
    svc = doc.get("service")
    if svc not in SERVICES:
        out.append(Problem("service", f"must be one of {', '.join(SERVICES)}"))
    elif service is not None and svc != service:
        out.append(Problem("service", f"this rule set is for {svc}, expected {service}"))
    close_after = _int(doc.get("close_after_days", 3), "close_after_days", out, 1, 60)
    drought = _drought(doc.get("drought"), svc, out)
    rules: list[Rule] = []
    items = doc.get("rules")
    if not isinstance(items, list) or not items:
        out.append(Problem("rules", "a list of at least one rule is needed"))
        items = []
    for i, item in enumerate(items):
        rule = _rule(item, i, svc, out)
        if rule is not None:
            if rule.key in {r.key for r in rules}:
                out.append(Problem(f"rules.{rule.key}", "key used twice"))
            rules.append(rule)
    if out:
        raise RuleSetError(out)
    return RuleSet(str(svc), tuple(rules), close_after, drought)


def document(rule_set: RuleSet) -> dict[str, Any]:
    """The canonical document of a rule set: `parse(document(r)) == r`."""
    doc: dict[str, Any] = {"service": rule_set.service}
    doc["close_after_days"] = rule_set.close_after_days
    d = rule_set.drought
    if d.factors or d.essential_per_person_per_day:
        doc["drought"] = {
            "essential_per_person_per_day": d.essential_per_person_per_day,
            "factors": {str(level): _text(f) for level, f in sorted(d.factors.items(), key=_rank)},
        }
    doc["rules"] = [_rule_document(r) for r in rule_set.rules]
    return doc


def _rank(item: tuple[Level, Fraction]) -> int:
    return LEVELS.index(item[0])


def _rule_document(rule: Rule) -> dict[str, Any]:
    out: dict[str, Any] = {"key": rule.key, "kind": str(rule.kind), "drought": rule.drought}
    for f in fields(rule.condition):
        value = getattr(rule.condition, f.name)
        out[f.name] = _text(value) if isinstance(value, Fraction) else value
    out["measures"] = [
        {"kind": str(m.kind), "by": m.by}
        | ({"keeps_l_per_h": m.keeps_l_per_h} if m.kind is MeasureKind.FLOW_LIMITER else {})
        for m in rule.measures
    ]
    return out


def _text(value: Fraction) -> str:
    # A decimal when it is one exactly ("0.9"), else a fraction ("2/3").
    den = value.denominator
    for p in (2, 5):
        while den % p == 0:
            den //= p
    if den == 1:
        return str(Decimal(value.numerator) / Decimal(value.denominator))
    return f"{value.numerator}/{value.denominator}"


def _drought(raw: Any, service: Any, out: list[Problem]) -> Drought:
    if raw is None:
        return Drought()
    if service != WATER:
        out.append(Problem("drought", "drought restrictions apply to water only"))
        return Drought()
    if not isinstance(raw, Mapping):
        out.append(Problem("drought", "must be a table"))
        return Drought()
    _unknown(raw, {"essential_per_person_per_day", "factors"}, "drought.", out)
    essential = _int(raw.get("essential_per_person_per_day", 0), "drought.essential", out, 0)
    factors: dict[Level, Fraction] = {}
    given = raw.get("factors", {})
    if not isinstance(given, Mapping):
        out.append(Problem("drought.factors", "must be a table of level = factor"))
        given = {}
    for name, value in given.items():
        where = f"drought.factors.{name}"
        if name not in {str(level) for level in LEVELS}:
            out.append(Problem(where, f"levels are {', '.join(LEVELS)}"))
            continue
        factor = _fraction(value, where, out)
        if factor is not None and not 0 < factor <= 1:
            out.append(Problem(where, "a restriction lowers thresholds: more than 0, at most 1"))
        elif factor is not None:
            factors[Level(name)] = factor
    # Each level restricts at least as much as the one below it, so that a higher level can
    # never close a case that a lower one keeps open.
    previous = Fraction(1)
    for level in LEVELS:
        factor = factors.get(level, previous)
        if factor > previous:
            out.append(Problem(f"drought.factors.{level}", "must not exceed a lower level's"))
        previous = min(previous, factor)
    return Drought(factors, essential)


def _rule(raw: Any, i: int, service: Any, out: list[Problem]) -> Rule | None:
    if not isinstance(raw, Mapping):
        out.append(Problem(f"rules[{i}]", "must be a table"))
        return None
    key = raw.get("key")
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        out.append(Problem(f"rules[{i}].key", "lowercase letters, digits, - and _, 64 at most"))
        return None
    where = f"rules.{key}"
    try:
        kind = Kind(str(raw.get("kind")))
    except ValueError:
        out.append(Problem(f"{where}.kind", f"must be one of {', '.join(Kind)}"))
        return None
    if service in SERVICES and service not in KIND_SERVICES[kind]:
        out.append(Problem(f"{where}.kind", f"{kind} does not apply to {service}"))
    cls = CONDITIONS[kind]
    names = {f.name for f in fields(cls)}
    _unknown(raw, names | {"key", "kind", "drought", "measures"}, f"{where}.", out)
    values: dict[str, Any] = {}
    before = len(out)
    for f in fields(cls):
        name = f"{where}.{f.name}"
        if f.name not in raw:
            if f.default is MISSING:
                out.append(Problem(name, "is required"))
        elif f.type == "Fraction":
            values[f.name] = _fraction(raw[f.name], name, out)
        else:
            values[f.name] = _int(raw[f.name], name, out, 0)
    condition: Condition | None = None
    if len(out) == before:
        condition = cls(**values)
        _check_condition(condition, where, out)
    drought = raw.get("drought", False)
    if not isinstance(drought, bool):
        out.append(Problem(f"{where}.drought", "must be true or false"))
    elif drought and service != WATER:
        out.append(Problem(f"{where}.drought", "drought restrictions apply to water only"))
    measures = _measures(raw.get("measures"), where, service, out)
    return None if condition is None else Rule(key, condition, measures, bool(drought))


def _check_condition(c: Condition, where: str, out: list[Problem]) -> None:
    def need(ok: bool, name: str, message: str) -> None:
        if not ok:
            out.append(Problem(f"{where}.{name}", message))

    for name in ("window_days", "nights", "usual_nights", "days"):
        if hasattr(c, name):
            need(1 <= getattr(c, name) <= _MAX_DAYS, name, f"from 1 to {_MAX_DAYS}")
    if isinstance(c, ExcessPerPerson | ExcessVsLastYear):
        need(1 <= c.min_days <= c.window_days, "min_days", "from 1 to window_days")
    if isinstance(c, ExcessPerPerson):
        need(
            c.per_person_per_day + c.per_household_per_day > 0,
            "per_person_per_day",
            "or per household: more than 0",
        )
    elif isinstance(c, ExcessVsLastYear):
        need(c.multiple > 1, "multiple", "a multiple of last year's use is more than 1")
    elif isinstance(c, NightFlow):
        need(c.min_flow_per_hour >= 1, "min_flow_per_hour", "at least 1 (a flow, not zero)")
    elif isinstance(c, NightBaseLoad):
        need(c.factor > 1, "factor", "more than 1")
        need(1 <= c.min_usual_nights <= c.usual_nights, "min_usual_nights", "1 to usual_nights")
    elif isinstance(c, OverPower):
        need(c.ratio > 0, "ratio", "more than 0")
        need(c.days <= c.window_days, "days", "at most window_days")


def _measures(raw: Any, where: str, service: Any, out: list[Problem]) -> tuple[Measure, ...]:
    if not isinstance(raw, list) or not raw:
        out.append(Problem(f"{where}.measures", "a list of at least one measure is needed"))
        return ()
    measures: list[Measure] = []
    for j, item in enumerate(raw):
        at = f"{where}.measures[{j}]"
        if not isinstance(item, Mapping):
            out.append(Problem(at, "must be a table with kind and by"))
            continue
        _unknown(item, {"kind", "by", "keeps_l_per_h"}, f"{at}.", out)
        if str(item.get("kind", "")).replace("-", "_") in {"cut_off", "cutoff", "disconnection"}:
            out.append(Problem(f"{at}.kind", "never a cut-off of essential water or power"))
            continue
        try:
            kind = MeasureKind(str(item.get("kind")))
        except ValueError:
            out.append(Problem(f"{at}.kind", f"must be one of {', '.join(MeasureKind)}"))
            continue
        by = item.get("by")
        if not isinstance(by, str) or not by.strip() or len(by) > 200:
            out.append(Problem(f"{at}.by", "who carries it out (1 to 200 characters)"))
            continue
        keeps = 0
        if kind is MeasureKind.FLOW_LIMITER:
            if service != WATER:
                out.append(Problem(f"{at}.kind", "a flow limiter is for water only"))
            keeps = _int(item.get("keeps_l_per_h", 0), f"{at}.keeps_l_per_h", out, 0)
            least = f"a limiter always leaves at least {ESSENTIAL_FLOW_L_PER_H} L/h"
            if keeps < ESSENTIAL_FLOW_L_PER_H:
                out.append(Problem(f"{at}.keeps_l_per_h", least))
        elif "keeps_l_per_h" in item:
            out.append(Problem(f"{at}.keeps_l_per_h", "only for a flow limiter"))
        if kind in {m.kind for m in measures}:
            out.append(Problem(f"{at}.kind", "measure listed twice"))
        measures.append(Measure(kind, by.strip(), keeps))
    # Inform before acting: the household is told first, with its figures.
    if measures and measures[0].kind is not MeasureKind.NOTICE:
        out.append(Problem(f"{where}.measures", "the first measure is an information notice"))
    return tuple(measures)


def _unknown(raw: Mapping[str, Any], known: set[str], prefix: str, out: list[Problem]) -> None:
    for name in raw:
        if name not in known:
            out.append(Problem(f"{prefix}{name}", "unknown setting"))


def _int(value: Any, where: str, out: list[Problem], low: int, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        out.append(Problem(where, "must be a whole number"))
        return low
    if value < low or (high is not None and value > high):
        out.append(Problem(where, f"must be from {low}" + (f" to {high}" if high else " up")))
    return value


def _fraction(value: Any, where: str, out: list[Problem]) -> Fraction | None:
    # Exact numbers from strings or integers, never floats (house style, as in the charter).
    if isinstance(value, int) and not isinstance(value, bool):
        return Fraction(value)
    if isinstance(value, str):
        text = value.strip()
        try:
            if "/" in text:
                num, _, den = text.partition("/")
                return Fraction(int(num), int(den))
            return Fraction(Decimal(text))
        except (ValueError, ArithmeticError):
            pass
    out.append(Problem(where, 'an exact number, as a string such as "1.5" or "3/2"'))
    return None
