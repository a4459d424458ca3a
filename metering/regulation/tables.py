"""Tables of the regulation: rule-set versions, drought levels, night use, cases and notices.

Composite unique keys (one night per meter and day, one open case per household and rule…)
are created by a raw-SQL migration, since Piccolo declares only single-column ones.
"""

from piccolo.columns import (
    JSON,
    BigInt,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from metering.tables import Meter
from regie.tables import Household


class RuleSetVersion(Table):
    """A rule set in force for one service of one territory from `effective_on`, with the
    committee decision that adopted it (e.g. "proposal:42"; null for operator imports)."""

    id: Serial
    territory = Varchar(length=64, index=True)
    service = Varchar(length=16)  # water | electricity
    version = Integer()  # 1, 2, … per (territory, service)
    document = JSON()  # the canonical rule set (rule_file.document)
    effective_on = Date()
    decision_ref = Varchar(length=64, null=True, default=None)
    adopted_at = Timestamptz()


class DroughtRestriction(Table):
    """A drought level declared for a territory over a date range by the committee or an
    operator; lifted early by setting `ends_on`, withdrawn (a mistake) by `withdrawn_at`."""

    id: Serial
    territory = Varchar(length=64, index=True)
    level = Varchar(length=24)  # rules.Level
    starts_on = Date()
    ends_on = Date(null=True, default=None)
    declared_by = Varchar(length=64)  # "operator:<account id>" | "committee"
    decision_ref = Varchar(length=64, null=True, default=None)
    created_at = Timestamptz()
    withdrawn_at = Timestamptz(null=True, default=None)


class NightUsage(Table):
    """Use of one meter in the night of one day (00:00-05:00 local), all registers added:
    the lowest hour and the total, rolled up from readings by the daily job."""

    id: Serial
    meter = ForeignKey(references=Meter, on_delete=OnDelete.restrict, index=False)
    day = Date()
    min_hour = BigInt()  # L or Wh; an upper bound of the true minimum when not complete
    total = BigInt()
    hours = Integer()  # hours known
    complete = Boolean()


class PowerPeak(Table):
    """One meter's highest apparent power of a local day and its subscribed power, in VA (TIC
    SMAXSN and PREF, or PAPP and ISOUSC × 200 in history mode): a running maximum kept by
    ingest (metering.store `upsert_peaks`)."""

    id: Serial
    meter = ForeignKey(references=Meter, on_delete=OnDelete.restrict, index=False)
    day = Date()
    max_va = Integer()
    subscribed_va = Integer()


class RegulationCase(Table):
    """One episode of one rule for one household: open → (exempted) → closed."""

    id: Serial
    household = ForeignKey(references=Household, on_delete=OnDelete.restrict, index=True)
    territory = Varchar(length=64, index=True)
    service = Varchar(length=16)
    rule = Varchar(length=64)  # the rule's key
    kind = Varchar(length=32)  # rules.Kind
    rule_set = ForeignKey(references=RuleSetVersion, on_delete=OnDelete.restrict, null=True)
    status = Varchar(length=16, default="open", index=True)  # open | exempted | closed
    opened_on = Date()
    last_active = Date()
    clear_since = Date(null=True, default=None)
    closed_on = Date(null=True, default=None)
    outcome = Varchar(length=32, null=True, default=None)  # episodes.ENDED, …
    figures = JSON(default="{}")  # the latest figures of the condition
    volume = BigInt(default=0)  # L or Wh involved over the episode (estimate)
    created_at = Timestamptz()


class RegulationCaseEvent(Table):
    """A case's history: opened, measure taken, household's reply, exemption, outcome, closed."""

    id: Serial
    case = ForeignKey(references=RegulationCase, on_delete=OnDelete.cascade, index=True)
    at = Timestamptz()
    kind = Varchar(length=16)  # opened | measure | reply | exemption | outcome | closed | resumed
    actor = Varchar(length=64)  # system | household | operator:<id> | committee
    text = Text(default="")
    data = JSON(default="{}")


class RegulationExemption(Table):
    """A committee's exemption of a household from one rule, until a date or for good."""

    id: Serial
    household = ForeignKey(references=Household, on_delete=OnDelete.restrict, index=True)
    rule = Varchar(length=64)
    until = Date(null=True, default=None)  # inclusive; null: until revoked
    reason = Text(default="")
    decision_ref = Varchar(length=64, null=True, default=None)
    case = ForeignKey(references=RegulationCase, on_delete=OnDelete.set_null, null=True)
    granted_at = Timestamptz()


class RegulationNotice(Table):
    """An in-app message to a household; `emailed_at` is set by whoever sends it by email."""

    id: Serial
    household = ForeignKey(references=Household, on_delete=OnDelete.restrict, index=True)
    case = ForeignKey(references=RegulationCase, on_delete=OnDelete.cascade, null=True)
    kind = Varchar(length=16)  # case_opened | case_closed | drought
    message = Text()  # in French, the users' language; figures let a page render it again
    figures = JSON(default="{}")
    created_at = Timestamptz()
    read_at = Timestamptz(null=True, default=None)
    emailed_at = Timestamptz(null=True, default=None)


class RegulationRun(Table):
    """The daily job's runs: the last day evaluated, so that a catch-up never goes back."""

    id: Serial
    day = Date(unique=True)
    started_at = Timestamptz()
    finished_at = Timestamptz(null=True, default=None)
    counts = JSON(default="{}")
