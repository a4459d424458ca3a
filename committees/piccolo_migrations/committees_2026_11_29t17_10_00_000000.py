"""Triggers raising the data versions (regie.core.versions) of committees, colleges, memberships, proposals and signatures."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-29T17:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "data version triggers of committees, colleges, memberships, proposals and signatures"
TABLES = ("committee", "college", "membership", "proposal", "signature")


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="committees", description=DESCRIPTION)

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
