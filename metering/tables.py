"""Tables of metering: meters, readings, rejected readings and daily usage."""

from piccolo.columns import (
    JSON,
    BigInt,
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

from regie.tables import Household


class Meter(Table):
    """A physical meter at a household; a replacement is a new meter pointing at the old one."""

    id: Serial

    serial = Varchar(length=64, unique=True, index=True)
    service = Varchar(length=16)  # water | electricity
    household = ForeignKey(references=Household, on_delete=OnDelete.restrict, null=True)
    registers = JSON(default="[]")  # register names the meter reports; [] = any
    digits = Integer(default=0)  # digits of the index display; 0 = no rollover
    unit = Varchar(length=32, default="")  # unit the device speaks when a payload has none
    max_rate = BigInt(default=0)  # max plausible flow (L/h) or power (W); 0 = service default
    dev_eui = Varchar(length=32, null=True, default=None, index=True)
    installed_on = Date(null=True, default=None)
    removed_on = Date(null=True, default=None)
    replaces: ForeignKey = ForeignKey(references="self", on_delete=OnDelete.set_null, null=True)


class Reading(Table):
    """One register index at one instant, in base units (Wh or litres); unique per
    (meter, ts, register) through an index created in the migration."""

    id: Serial

    meter = ForeignKey(references=Meter, on_delete=OnDelete.restrict, index=False)
    ts = Timestamptz()
    register = Varchar(length=32, default="total")
    value = BigInt()
    quality = Varchar(length=16, default="measured")  # measured | estimated | edited
    flag = Varchar(length=16, null=True, default=None)  # negative | spike: kept, not used
    received_at = Timestamptz()
    source = Varchar(length=16, default="native")  # native | teleinfo | chirpstack | import


class RejectedReading(Table):
    """A payload that could not be accepted, with the reason; ingest carries on."""

    id: Serial

    topic = Text()
    payload = Text()  # truncated to a bound, invalid UTF-8 escaped
    reason = Varchar(length=64, index=True)
    detail = Text(default="")
    received_at = Timestamptz()


class DailyUsage(Table):
    """Consumption of one register of one meter over one local day, in base units; unique per
    (meter, day, register) through an index created in the migration."""

    id: Serial

    meter = ForeignKey(references=Meter, on_delete=OnDelete.restrict, index=False)
    day = Date()
    register = Varchar(length=32, default="total")
    consumption = BigInt()
    quality = Varchar(length=16, default="measured")  # measured | estimated


class IngestStatus(Table):
    """Counters of one ingest worker, written periodically so that the app can show them."""

    id: Serial

    worker = Varchar(length=128, unique=True)
    updated_at = Timestamptz()
    counters = JSON(default="{}")


class MeterIngestSeq(Table):
    """Per meter, bumped by each ingest batch that writes its readings (in the statement that
    locks the meter): a worker whose last write left n and finds n + 1 knows that no other
    worker wrote the meter meanwhile, and keeps using its cached series state."""

    id: Serial
    meter = ForeignKey(references=Meter, on_delete=OnDelete.cascade, null=False, unique=True)
    seq = BigInt(default=0)
