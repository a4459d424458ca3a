"""Readings and daily usage without a per-row foreign key check on PostgreSQL (a meter with
readings or usage still cannot be deleted: a trigger refuses it)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-29T18:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "readings, daily usage: the meter kept by a delete trigger, not foreign keys"

POSTGRES = [
    # PostgreSQL checks a foreign key with a trigger per inserted row: about a third of a
    # COPY of readings, the bulk of ingest's writes. Readings and daily usage are only
    # written by ingest and imports, for meters they have just looked up; what the keys
    # protected against is a meter deleted from under its data, which this trigger refuses.
    "ALTER TABLE reading DROP CONSTRAINT IF EXISTS reading_meter_fkey",
    "ALTER TABLE daily_usage DROP CONSTRAINT IF EXISTS daily_usage_meter_fkey",
    "CREATE FUNCTION metering_meter_keeps_readings() RETURNS trigger LANGUAGE plpgsql AS $$"
    " BEGIN IF EXISTS (SELECT 1 FROM reading WHERE meter = OLD.id)"
    " OR EXISTS (SELECT 1 FROM daily_usage WHERE meter = OLD.id) THEN"
    " RAISE EXCEPTION 'meter % has readings: it cannot be deleted', OLD.id"
    " USING ERRCODE = 'foreign_key_violation'; END IF; RETURN OLD; END $$",
    "CREATE TRIGGER meter_keeps_readings BEFORE DELETE ON meter FOR EACH ROW"
    " EXECUTE FUNCTION metering_meter_keeps_readings()",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="metering", description=DESCRIPTION)

    async def replace_key():
        engine = engine_finder()
        if engine.engine_type == "postgres":
            for statement in POSTGRES:
                await engine.run_ddl(statement)

    manager.add_raw(replace_key)
    return manager
