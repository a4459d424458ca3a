"""Triggers raising the data versions (regie.core.versions) of overconsumption cases, their events, notices and drought restrictions."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-29T17:11:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "data version triggers of overconsumption cases, their events, notices and drought restrictions"
TABLES = ("regulation_case", "regulation_case_event", "regulation_notice", "drought_restriction")


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="regulation", description=DESCRIPTION)

    async def create_triggers():
        from regie.core import versions

        engine = engine_finder()
        triggers = (
            versions.postgres_triggers
            if engine.engine_type == "postgres"
            else versions.sqlite_triggers
        )
        for table in TABLES:
            for statement in triggers(table):
                await engine.run_ddl(statement)

    manager.add_raw(create_triggers)
    return manager
