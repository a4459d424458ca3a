"""Free room in meter_ingest_seq's pages (PostgreSQL), so that bumping a batch's meters is a
HOT update (a new row version in the same page, no new index entry)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-29T17:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "meter_ingest_seq fillfactor"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="metering", description=DESCRIPTION)

    async def leave_room():
        engine = engine_finder()
        if engine is not None and engine.engine_type == "postgres":
            await engine.run_ddl("ALTER TABLE meter_ingest_seq SET (fillfactor = 50)")

    manager.add_raw(leave_room)
    return manager
