"""Composite keys of the regulation, on SQLite and PostgreSQL alike."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-29T14:18:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique keys of rule sets, night use, power peaks; one open case per rule"

STATEMENTS = [
    "CREATE UNIQUE INDEX rule_set_version_key ON rule_set_version (territory, service, version)",
    "CREATE UNIQUE INDEX night_usage_key ON night_usage (meter, day)",
    "CREATE INDEX night_usage_day ON night_usage (day)",
    "CREATE UNIQUE INDEX power_peak_key ON power_peak (meter, day)",
    "CREATE INDEX power_peak_day ON power_peak (day)",
    # Never two open cases for one household and rule: one ongoing episode, one case, even
    # if two runs of the daily job overlap.
    "CREATE UNIQUE INDEX regulation_case_open ON regulation_case (household, rule)"
    " WHERE closed_on IS NULL",
    "CREATE INDEX regulation_case_opened ON regulation_case (opened_on)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="regulation", description=DESCRIPTION)

    async def create_keys():
        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(create_keys)
    return manager
