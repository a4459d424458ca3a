"""Triggers raising the data version (regie.core.versions) of the régie's cost lines."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-29T18:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "data version triggers of cost lines"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="tariffs", description=DESCRIPTION)

    async def create_triggers():
        from regie.core import versions

        engine = engine_finder()
        triggers = (
            versions.postgres_triggers
            if engine.engine_type == "postgres"
            else versions.sqlite_triggers
        )
        for statement in triggers("cost_line"):
            await engine.run_ddl(statement)

    manager.add_raw(create_triggers)
    return manager
