"""Tables of tariffs: tariff versions and drafts, billing runs, bill numbers and issued bills."""

from piccolo.columns import (
    BigInt,
    Boolean,
    Date,
    Integer,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table


class TariffVersion(Table):
    """A tariff in force for one service of one territory from `valid_from` until the next
    version's date. Never edited (an UPDATE trigger refuses it); unique per (service,
    territory, valid_from) and per decision_ref through indexes created in a migration."""

    id: Serial

    service = Varchar(length=16)  # water | electricity, as parsed from the file
    territory = Varchar(length=64)
    valid_from = Date()
    name = Varchar(length=200)
    unit = Varchar(length=32)
    period = Varchar(length=16)
    currency = Varchar(length=3)
    toml = Text()  # the tariff file as adopted, byte for byte
    origin = Varchar(length=16)  # setup | decision
    decision_ref = Varchar(length=128, null=True, default=None)
    created_at = Timestamptz()


class TariffDraft(Table):
    """An operator's draft tariff: editable, any number of them, never used for billing."""

    id: Serial

    service = Varchar(length=16)
    territory = Varchar(length=64, index=True)
    name = Varchar(length=200)
    valid_from = Date()
    toml = Text()
    author = Varchar(length=120, default="")
    created_at = Timestamptz()
    updated_at = Timestamptz()


class BillingRun(Table):
    """One billing run of a period: what it issued, skipped and could not bill."""

    id: Serial

    period = Varchar(length=7)  # YYYY-MM
    territory = Varchar(length=64, null=True, default=None)  # None: every territory
    started_at = Timestamptz()
    finished_at = Timestamptz(null=True, default=None)
    status = Varchar(length=16, default="running")  # running | done | failed
    issued = Integer(default=0)
    already_billed = Integer(default=0)
    problems = Text(default="")  # one "reference service: reason" per line


class BillCounter(Table):
    """The last bill number issued in a year; locked while numbers are taken so that bill
    numbers run on without a gap (one series per year, bills and credit notes alike)."""

    id: Serial

    year = Integer(unique=True)
    last_seq = Integer(default=0)


class BillContent(Table):
    """The priced content of a bill (lines, VAT and totals as JSON, amounts as strings), stored
    once per run for all the bills that share it: households with the same tariff, span,
    status and use get the very same bill. Immutable like the bills (an UPDATE trigger
    refuses changes)."""

    id: Serial

    detail = Text()


class Bill(Table):
    """An issued bill or credit note: immutable once written (an UPDATE trigger refuses any
    change). Money in integer cents; use in integer base units (L, Wh) as JSON text; the
    lines in `content`.

    Unique (household, service, period) for original bills through a partial index created
    in a migration; a correction is a credit note (`cancels`) plus a new bill (`replaces`).
    """

    id: Serial

    number = Varchar(length=32, unique=True)  # "2026-0000042": year and seq
    year = Integer()
    seq = Integer()
    kind = Varchar(length=16, default="bill")  # bill | credit_note
    household = Integer()  # the Household billed (see below why not a foreign key)
    service = Varchar(length=16)
    territory = Varchar(length=64)
    period = Varchar(length=7)  # YYYY-MM
    span_start = Date()  # first and last day billed, both inclusive (move in/out prorated)
    span_end = Date()
    days = Integer()
    estimated_days = Integer(default=0)
    usage = Text()  # {"register": base units} over the span, e.g. {"total": 6664}
    persons = Integer()
    social = Boolean()
    tariff_versions = Varchar(length=200)  # ids of the versions that priced it: "3" or "3,4"
    currency = Varchar(length=3)
    total_excl_vat_cents = BigInt()
    total_vat_cents = BigInt()
    total_cents = BigInt()
    # `household` and the ids below are plain integers, not foreign keys: PostgreSQL checks
    # each foreign key of each row inserted with a trigger (even a NULL one), which made a
    # run of 100,000 bills a third slower. The rows they point to exist before the bills:
    # a run bills the households it has just read with their meters, and a household with
    # meters cannot be deleted (meter.household is RESTRICT); contents, runs and corrected
    # bills are written first, in the same or an earlier transaction (`tariffs.issuing`,
    # `tariffs.bills` are the only writers); no bill, content or run is ever deleted.
    content = Integer()  # its BillContent
    issued_at = Timestamptz()
    run = Integer(null=True, default=None)  # the BillingRun that issued it
    cancels = Integer(null=True, default=None)  # a credit note: the bill it cancels
    replaces = Integer(null=True, default=None)  # a corrected bill: the bill it replaces
    reason = Text(default="")  # why a credit note or a replacement was issued


class CostLine(Table):
    """A line of the régie's costs (tariffs.costs): an amount excl. VAT for one service of one
    territory over a span of days, recorded by an operator. Never edited: a mistaken line is
    withdrawn (kept, with who withdrew it and when) and recorded again."""

    id: Serial

    service = Varchar(length=16)
    territory = Varchar(length=64, index=True)
    starts_on = Date()
    ends_on = Date()  # the last day covered
    category = Varchar(length=32)
    label = Varchar(length=200)
    amount_cents = BigInt()
    currency = Varchar(length=3)
    recorded_by = Varchar(length=200)
    recorded_at = Timestamptz()
    withdrawn_by = Varchar(length=200, null=True, default=None)
    withdrawn_at = Timestamptz(null=True, default=None)
