"""One current answer per respondent of an evaluation, on SQLite and PostgreSQL alike."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-29T16:48:55:000000"
VERSION = "1.38.0"
DESCRIPTION = "one answer per account and evaluation"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="committees", description=DESCRIPTION)

    async def create_key():
        await engine_finder().run_ddl(
            "CREATE UNIQUE INDEX evaluation_answer_once ON evaluation_answer (proposal, account)"
        )

    manager.add_raw(create_key)
    return manager
