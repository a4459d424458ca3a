"""Overconsumption rule sets as data: conditions, measures and drought levels (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from fractions import Fraction

WATER = "water"
ELECTRICITY = "electricity"
SERVICES = (WATER, ELECTRICITY)


class Kind(StrEnum):
    """What a rule looks at (issue 5, « régulation des usages »)."""

    EXCESS_PER_PERSON = "excess_per_person"  # rolling use above an allowance per person
    EXCESS_VS_LAST_YEAR = "excess_vs_last_year"  # a multiple of its own use a year before
    NIGHT_FLOW = "night_flow"  # water: night flow never back under a floor for N nights
    NIGHT_BASE_LOAD = "night_base_load"  # electricity: night base load far above usual
    OVER_POWER = "over_power"  # electricity: peak power above the subscribed power (TIC)


KIND_SERVICES: Mapping[Kind, frozenset[str]] = {
    Kind.EXCESS_PER_PERSON: frozenset(SERVICES),
    Kind.EXCESS_VS_LAST_YEAR: frozenset(SERVICES),
    Kind.NIGHT_FLOW: frozenset({WATER}),
    Kind.NIGHT_BASE_LOAD: frozenset({ELECTRICITY}),
    Kind.OVER_POWER: frozenset({ELECTRICITY}),
}


class Level(StrEnum):
    """Drought restriction levels as French prefectures declare them (arrêtés sécheresse)."""

    VIGILANCE = "vigilance"
    ALERTE = "alerte"
    ALERTE_RENFORCEE = "alerte_renforcee"
    CRISE = "crise"


LEVELS = tuple(Level)  # in rising order of severity


class MeasureKind(StrEnum):
    NOTICE = "notice"  # information notice, with the figures and what to do
    ADVICE_VISIT = "advice_visit"  # a free visit of an adviser (leak search, savings)
    SOCIAL_REFERRAL = "social_referral"  # to the social band and the solidarity fund
    FLOW_LIMITER = "flow_limiter"  # water only; it always leaves an essential flow


# A flow limiter slows water down, it never stops it: the booklet's « accès à l'eau » and the
# issue's « never a cut-off of essential water ». 60 L/h still fills a bucket in ten minutes.
ESSENTIAL_FLOW_L_PER_H = 60


@dataclass(frozen=True)
class Measure:
    kind: MeasureKind
    by: str  # who carries it out: « régie: water adviser », « CCAS », …
    keeps_l_per_h: int = 0  # flow limiter: the flow it always leaves


@dataclass(frozen=True)
class ExcessPerPerson:
    """Use over the last `window_days` above (per household + persons × per person) a day."""

    per_person_per_day: int  # L or Wh
    per_household_per_day: int = 0
    window_days: int = 30
    min_days: int = 21  # days with data needed in the window, else nothing is said


@dataclass(frozen=True)
class ExcessVsLastYear:
    """Mean daily use over the window above `multiple` × the same 52-week-earlier window."""

    multiple: Fraction
    window_days: int = 30
    min_days: int = 21
    # Use at or under this per person and day is never chased, whatever last year was: the
    # booklet's essential volume is not what regulation is about.
    min_use_per_person_per_day: int = 0


@dataclass(frozen=True)
class NightFlow:
    """Minimum hourly flow of the night (00:00-05:00 local) at least `min_flow_per_hour`,
    `nights` nights in a row: with 1 L/h, the flow never returns to zero (a leak)."""

    min_flow_per_hour: int
    nights: int = 3


@dataclass(frozen=True)
class NightBaseLoad:
    """Night base load (lowest hourly Wh 00:00-05:00) above `factor` × its usual median and
    at least `min_excess_per_hour` above it, `nights` nights in a row."""

    factor: Fraction
    nights: int = 3
    usual_nights: int = 28
    min_usual_nights: int = 14
    min_excess_per_hour: int = 0


@dataclass(frozen=True)
class OverPower:
    """Peak power at least `ratio` × the subscribed power on `days` of the last `window_days`."""

    ratio: Fraction = Fraction(1)
    days: int = 1
    window_days: int = 7


Condition = ExcessPerPerson | ExcessVsLastYear | NightFlow | NightBaseLoad | OverPower
CONDITIONS: Mapping[Kind, type[Condition]] = {
    Kind.EXCESS_PER_PERSON: ExcessPerPerson,
    Kind.EXCESS_VS_LAST_YEAR: ExcessVsLastYear,
    Kind.NIGHT_FLOW: NightFlow,
    Kind.NIGHT_BASE_LOAD: NightBaseLoad,
    Kind.OVER_POWER: OverPower,
}


@dataclass(frozen=True)
class Rule:
    key: str  # stable name: a case belongs to (household, key) across rule-set versions
    condition: Condition
    measures: tuple[Measure, ...]
    drought: bool = False  # drought levels lower this rule's threshold

    @property
    def kind(self) -> Kind:
        return next(k for k, c in CONDITIONS.items() if isinstance(self.condition, c))


@dataclass(frozen=True)
class Drought:
    """What each restriction level does to the thresholds of the rules marked `drought`."""

    factors: Mapping[Level, Fraction] = field(default_factory=dict)  # missing level = 1
    # An allowance per person is never lowered under this: drought restrictions target
    # comfort use, not drinking and hygiene (UN, 2010: 50 to 100 L per person and day).
    essential_per_person_per_day: int = 0

    def factor(self, level: Level | None) -> Fraction:
        return Fraction(1) if level is None else self.factors.get(level, Fraction(1))


@dataclass(frozen=True)
class RuleSet:
    service: str
    rules: tuple[Rule, ...]
    close_after_days: int = 3  # a case closes after this many days clear of its condition
    drought: Drought = field(default_factory=Drought)

    def rule(self, key: str) -> Rule:
        for rule in self.rules:
            if rule.key == key:
                return rule
        raise KeyError(key)

    @property
    def keys(self) -> frozenset[str]:
        return frozenset(r.key for r in self.rules)

    def factor(self, rule: Rule, level: Level | None) -> Fraction:
        return self.drought.factor(level) if rule.drought else Fraction(1)


@dataclass(frozen=True)
class DroughtPeriod:
    """A restriction level declared for a territory from `starts_on` to `ends_on` inclusive
    (None: until lifted)."""

    level: Level
    starts_on: date
    ends_on: date | None = None

    def covers(self, day: date) -> bool:
        return self.starts_on <= day and (self.ends_on is None or day <= self.ends_on)


def level_on(periods: Iterable[DroughtPeriod], day: date) -> Level | None:
    """The most severe level in force on `day`, None when no restriction covers it."""
    found = [LEVELS.index(p.level) for p in periods if p.covers(day)]
    return LEVELS[max(found)] if found else None
