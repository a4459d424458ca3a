"""Triggers raising the data versions (regie.core.versions) of meters, and of daily usage per
month of the day changed, on SQLite and PostgreSQL."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-29T16:55:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "data version triggers of meters and daily usage"

MONTH_PG = "'daily_usage:' || to_char(day, 'YYYY-MM')"
MONTH_SQLITE = "'daily_usage:' || substr({row}.day, 1, 7)"  # days are stored as ISO text


def _pg_function(name: str, rows: str) -> str:
    # One counter update per month touched by the statement, in month order (two writers
    # touching the same months take their row locks in the same order: no deadlock).
    return (
        f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
        f" INSERT INTO data_version (name, n) SELECT {MONTH_PG}, 1 FROM ({rows}) AS t"
        " GROUP BY 1 ORDER BY 1 ON CONFLICT (name) DO UPDATE SET n = data_version.n + 1;"
        " RETURN NULL; END $$"
    )


POSTGRES = [
    _pg_function("metering_usage_inserted", "SELECT day FROM changed"),
    _pg_function("metering_usage_deleted", "SELECT day FROM gone"),
    _pg_function("metering_usage_updated", "SELECT day FROM changed UNION SELECT day FROM gone"),
    "CREATE FUNCTION metering_usage_truncated() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
    " UPDATE data_version SET n = n + 1 WHERE name LIKE 'daily_usage:%'; RETURN NULL; END $$",
    # Transition tables allow one event per trigger.
    "CREATE TRIGGER daily_usage_version_insert AFTER INSERT ON daily_usage"
    " REFERENCING NEW TABLE AS changed FOR EACH STATEMENT"
    " EXECUTE FUNCTION metering_usage_inserted()",
    "CREATE TRIGGER daily_usage_version_update AFTER UPDATE ON daily_usage"
    " REFERENCING OLD TABLE AS gone NEW TABLE AS changed FOR EACH STATEMENT"
    " EXECUTE FUNCTION metering_usage_updated()",
    "CREATE TRIGGER daily_usage_version_delete AFTER DELETE ON daily_usage"
    " REFERENCING OLD TABLE AS gone FOR EACH STATEMENT"
    " EXECUTE FUNCTION metering_usage_deleted()",
    "CREATE TRIGGER daily_usage_version_truncate AFTER TRUNCATE ON daily_usage"
    " FOR EACH STATEMENT EXECUTE FUNCTION metering_usage_truncated()",
]


def _sqlite_bump(row: str) -> str:
    month = MONTH_SQLITE.format(row=row)
    return (
        f"INSERT INTO data_version (name, n) VALUES ({month}, 1)"
        " ON CONFLICT (name) DO UPDATE SET n = n + 1;"
    )


SQLITE = [
    "CREATE TRIGGER daily_usage_version_insert AFTER INSERT ON daily_usage"
    f" BEGIN {_sqlite_bump('NEW')} END",
    "CREATE TRIGGER daily_usage_version_update AFTER UPDATE ON daily_usage"
    f" BEGIN {_sqlite_bump('NEW')} {_sqlite_bump('OLD')} END",
    "CREATE TRIGGER daily_usage_version_delete AFTER DELETE ON daily_usage"
    f" BEGIN {_sqlite_bump('OLD')} END",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="metering", description=DESCRIPTION)

    async def create_triggers():
        from regie.core import versions

        engine = engine_finder()
        if engine.engine_type == "postgres":
            statements = POSTGRES + versions.postgres_triggers("meter")
        else:
            statements = SQLITE + versions.sqlite_triggers("meter")
        for statement in statements:
            await engine.run_ddl(statement)

    manager.add_raw(create_triggers)
    return manager
