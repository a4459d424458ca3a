"""Triggers raising the data versions (regie.core.versions): the function, and households."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-29T16:54:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "data version triggers of households"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="regie", description=DESCRIPTION)

    async def create_triggers():
        from regie.core import versions

        engine = engine_finder()
        if engine.engine_type == "postgres":
            statements = versions.POSTGRES_FUNCTIONS + versions.postgres_triggers("household")
        else:
            statements = versions.sqlite_triggers("household")
        for statement in statements:
            await engine.run_ddl(statement)

    manager.add_raw(create_triggers)
    return manager
