"""A committee's charter: its colleges, quorums, thresholds and the rule for each proposal kind."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import Any, TypeVar

T = TypeVar("T")

# Booklet, proposition n°1, « Associer les usagers… »: governance integrates « a minima trois
# collèges »: public actors, operators (mostly the workers who produce the service) and the
# citizens concerned (users, associations). A charter may add more colleges, never fewer.
PUBLIC = "public"
OPERATORS = "operators"
USERS = "users"
REQUIRED_COLLEGES = (PUBLIC, OPERATORS, USERS)


class ProposalKind(StrEnum):
    TARIFF_CHANGE = "tariff_change"
    OVERCONSUMPTION_RULE = "overconsumption_rule"
    EVALUATION = "evaluation"
    WORK_ORGANISATION = "work_organisation"
    FREE_MOTION = "free_motion"
    ACCESS = "access"


# Decisions "about the service" (prices, access, rules of use): the users' college may veto them
# (booklet, proposition n°1: « un droit de veto pour assurer que les décisions relatives aux
# services publics de réseaux défendent l'intérêt des usagers »).
SERVICE_KINDS = frozenset(
    {ProposalKind.TARIFF_CHANGE, ProposalKind.ACCESS, ProposalKind.OVERCONSUMPTION_RULE}
)


class Secrecy(StrEnum):
    # The log and pages show counts per college, never who voted what.
    SECRET = "secret"  # noqa: S105 (a ballot setting, not a credential)
    NAMED = "named"  # each vote is published with the voter's name


@dataclass(frozen=True)
class FieldError:
    field: str  # dotted path in the charter file, e.g. "colleges.users.quorum"
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class CharterError(ValueError):
    """A charter that cannot be used; `errors` names every offending field."""

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = tuple(errors)
        super().__init__("; ".join(str(e) for e in errors))


@dataclass(frozen=True)
class College:
    name: str
    weight: Fraction = Fraction(1)  # its share in the weighted majority, whatever its size
    # Share of its members who must vote, abstaining included: by default a third, low enough
    # for a college of volunteers, high enough that a handful of members cannot decide alone.
    quorum: Fraction = Fraction(1, 3)


@dataclass(frozen=True)
class KindRule:
    kind: ProposalKind
    users_veto: bool = False  # the users' college may block an adoption
    operators_majority: bool = False  # adoption also needs a yes majority of the operators


def _default_rule(kind: ProposalKind) -> KindRule:
    # Booklet, proposition n°1: the operators « auraient une voix majoritaire pour les questions
    # relatives à l'organisation de leur travail »; the users may veto service decisions.
    return KindRule(
        kind,
        users_veto=kind in SERVICE_KINDS,
        operators_majority=kind is ProposalKind.WORK_ORGANISATION,
    )


DEFAULT_COLLEGES = tuple(College(name) for name in REQUIRED_COLLEGES)
DEFAULT_RULES = tuple(_default_rule(kind) for kind in ProposalKind)


@dataclass(frozen=True)
class Charter:
    colleges: tuple[College, ...] = DEFAULT_COLLEGES
    rules: tuple[KindRule, ...] = DEFAULT_RULES
    # Adoption when the weighted yes share is *more than* this (so a tie is rejected).
    adoption_threshold: Fraction = Fraction(1, 2)
    # Veto when the users' no votes are *more than* this share of the users' votes cast
    # (yes + no + abstain); the default is "a majority of its votes cast" (issue 4).
    users_veto_threshold: Fraction = Fraction(1, 2)
    vote_duration_days: int = 14
    co_signatures: int = 10  # households of the territory needed to put a proposal on the agenda
    secrecy: Secrecy = Secrecy.SECRET

    def __post_init__(self) -> None:
        errors = _invariant_errors(self)
        if errors:
            raise CharterError(errors)

    def college(self, name: str) -> College:
        for college in self.colleges:
            if college.name == name:
                return college
        raise KeyError(name)

    @property
    def college_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.colleges)

    def rule_for(self, kind: ProposalKind | str) -> KindRule:
        kind = ProposalKind(kind)
        for rule in self.rules:
            if rule.kind is kind:
                return rule
        raise KeyError(kind)


_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def _invariant_errors(charter: Charter) -> list[FieldError]:
    errors: list[FieldError] = []
    names = [c.name for c in charter.colleges]
    for name in REQUIRED_COLLEGES:
        if name not in names:
            errors.append(FieldError(f"colleges.{name}", "this college is required"))
    for i, c in enumerate(charter.colleges):
        where = f"colleges.{c.name}"
        if not _NAME.match(c.name):
            errors.append(FieldError(where, "a college name is lowercase letters, digits, _"))
        if c.name in names[:i]:
            errors.append(FieldError(where, "college listed twice"))
        if c.weight <= 0:
            errors.append(FieldError(f"{where}.weight", "must be more than 0"))
        if not 0 <= c.quorum <= 1:
            errors.append(FieldError(f"{where}.quorum", "must be between 0 and 1"))
    kinds = [r.kind for r in charter.rules]
    for kind in ProposalKind:
        if kinds.count(kind) != 1:
            errors.append(FieldError(f"kinds.{kind}", "each kind needs exactly one rule"))
    for rule in charter.rules:
        # The founding guarantees are a floor: a charter may extend them, not remove them.
        if rule.kind in SERVICE_KINDS and not rule.users_veto:
            errors.append(
                FieldError(
                    f"kinds.{rule.kind}.users_veto",
                    "the users' college keeps its veto on decisions about the service",
                )
            )
        if rule.kind is ProposalKind.WORK_ORGANISATION and not rule.operators_majority:
            errors.append(
                FieldError(
                    f"kinds.{rule.kind}.operators_majority",
                    "the operators' college keeps the majority on work organisation",
                )
            )
    # "More than 1" can never be reached, so thresholds stay below 1.
    for name in ("adoption_threshold", "users_veto_threshold"):
        if not 0 <= getattr(charter, name) < 1:
            errors.append(FieldError(name, "must be at least 0 and less than 1"))
    if charter.vote_duration_days < 1:
        errors.append(FieldError("vote_duration_days", "must be at least 1"))
    if charter.co_signatures < 0:
        errors.append(FieldError("co_signatures", "must be 0 or more"))
    return errors


# -- loading from a dict (the shape of a TOML charter file) ---------------------------------


def _fraction(value: Any) -> Fraction:
    # Exact numbers only, built from strings or integers, never floats (house style, as in
    # beancount): "1/3" cannot be written exactly as a float.
    if isinstance(value, bool | float):
        raise ValueError('write it as a string such as "1/3" or "0.25", or an integer')
    if isinstance(value, int | Fraction):
        return Fraction(value)
    if isinstance(value, Decimal | str):
        text = str(value).strip()
        try:
            if "/" in text:
                num, _, den = text.partition("/")
                return Fraction(int(num), int(den))
            return Fraction(Decimal(text))
        except (ValueError, ArithmeticError):  # InvalidOperation, ZeroDivision, Overflow
            pass
    raise ValueError(f"not a fraction: {value!r}")


def _integer(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"must be an integer, not {value!r}")
    return value


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"must be true or false, not {value!r}")
    return value


class _Reader:
    """Reads fields, collecting one error per bad field and falling back to the default."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def table(self, data: Any, where: str, known: set[str]) -> Mapping[str, Any]:
        if not isinstance(data, Mapping):
            self.errors.append(FieldError(where, "must be a table"))
            return {}
        for key in data:
            if key not in known:
                self.errors.append(FieldError(f"{where}.{key}".lstrip("."), "unknown field"))
        return data

    def get(
        self, data: Mapping[str, Any], key: str, where: str, parse: Callable[[Any], T], default: T
    ) -> T:
        if key not in data:
            return default
        try:
            return parse(data[key])
        except ValueError as exc:
            self.errors.append(FieldError(f"{where}.{key}".lstrip("."), str(exc)))
            return default


# The file's top-level keys: the charter's fields, with "kinds" for the rules and a default quorum.
_TOP = {f.name for f in fields(Charter)} - {"rules"} | {"kinds", "quorum"}


def charter_from_dict(data: Mapping[str, Any]) -> Charter:
    """Build a charter from a TOML-shaped dict; raise CharterError naming every bad field.

    Missing fields take the defaults of `Charter`; `quorum` at the top is the default quorum
    of colleges that do not set their own; missing colleges section means the three required
    colleges with weight 1; missing kinds keep their founding rule.
    """
    r = _Reader()
    top = r.table(data, "", _TOP)
    base = Charter()
    quorum = r.get(top, "quorum", "", _fraction, College(PUBLIC).quorum)
    colleges: list[College] = []
    raw = top.get("colleges", {})
    raw_colleges = r.table(raw, "colleges", set(raw) if isinstance(raw, Mapping) else set())
    for name, table in raw_colleges.items():
        where = f"colleges.{name}"
        spec = r.table(table, where, {"weight", "quorum"})
        weight = r.get(spec, "weight", where, _fraction, Fraction(1))
        colleges.append(College(str(name), weight, r.get(spec, "quorum", where, _fraction, quorum)))
    if not raw_colleges:
        colleges = [College(name, Fraction(1), quorum) for name in REQUIRED_COLLEGES]
    rules = {rule.kind: rule for rule in DEFAULT_RULES}
    raw_kinds = r.table(top.get("kinds", {}), "kinds", {str(k) for k in ProposalKind})
    for name, table in raw_kinds.items():
        if name not in rules:
            continue  # already reported as an unknown field
        kind, where = ProposalKind(name), f"kinds.{name}"
        spec = r.table(table, where, {"users_veto", "operators_majority"})
        default = rules[kind]
        rules[kind] = KindRule(
            kind,
            users_veto=r.get(spec, "users_veto", where, _boolean, default.users_veto),
            operators_majority=r.get(
                spec, "operators_majority", where, _boolean, default.operators_majority
            ),
        )
    try:
        charter = Charter(
            colleges=tuple(colleges),
            rules=tuple(rules[kind] for kind in ProposalKind),
            adoption_threshold=r.get(
                top, "adoption_threshold", "", _fraction, base.adoption_threshold
            ),
            users_veto_threshold=r.get(
                top, "users_veto_threshold", "", _fraction, base.users_veto_threshold
            ),
            vote_duration_days=r.get(
                top, "vote_duration_days", "", _integer, base.vote_duration_days
            ),
            co_signatures=r.get(top, "co_signatures", "", _integer, base.co_signatures),
            secrecy=r.get(top, "secrecy", "", _secrecy, base.secrecy),
        )
    except CharterError as exc:
        r.errors.extend(exc.errors)
    if r.errors:
        raise CharterError(r.errors)
    return charter


def _secrecy(value: Any) -> Secrecy:
    try:
        return Secrecy(value)
    except ValueError:
        choices = ", ".join(repr(s.value) for s in Secrecy)
        raise ValueError(f"must be one of {choices}, not {value!r}") from None
