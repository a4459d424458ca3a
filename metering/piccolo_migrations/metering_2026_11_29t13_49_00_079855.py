"""Unique keys that make ingest idempotent, on SQLite and PostgreSQL alike."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-29T13:49:00:079855"
VERSION = "1.38.0"
DESCRIPTION = "unique keys of readings and daily usage"

STATEMENTS = [
    # A reading is identified by (meter, register, ts): redelivery stores nothing twice.
    "CREATE UNIQUE INDEX reading_key ON reading (meter, register, ts)",
    "CREATE UNIQUE INDEX daily_usage_key ON daily_usage (meter, register, day)",
    "CREATE INDEX daily_usage_day ON daily_usage (day)",
    "CREATE INDEX rejected_reading_received ON rejected_reading (received_at)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="metering", description=DESCRIPTION)

    async def create_keys():
        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(create_keys)
    return manager
