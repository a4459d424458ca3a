"""Data versions: a counter per kind of data, raised by database triggers in the same
transaction as every change to it (table `data_version`), so that a cache keyed on the
counters it read is never served after a change, whoever made it (ingest, an import, a
billing run, a test inserting rows by hand). Migrations create the triggers: the function
and the households' in regie's, daily usage and meters in metering's, tariff versions and
bills in tariffs'.

Daily usage counts per month of the day changed (`daily_usage:YYYY-MM`): live readings of
today leave alone what covers whole past months. Read the counters *before* the data they
guard: a change committed in between then only makes the cached copy newer than its key.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

from regie.tables import DataVersion

USAGE = "daily_usage:"

# PostgreSQL: statement-level triggers (one counter update per statement, a COPY included).
# Two writers of the same data queue on the counter's row lock until the first commits, so
# the counters rise in commit order.
POSTGRES_FUNCTIONS = [
    "CREATE FUNCTION regie_bump_version() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
    " INSERT INTO data_version (name, n) VALUES (TG_ARGV[0], 1)"
    " ON CONFLICT (name) DO UPDATE SET n = data_version.n + 1; RETURN NULL; END $$",
]


def postgres_triggers(table: str) -> list[str]:
    """Every insert, update, delete or truncate of `table` raises the counter `table`."""
    return [
        f"CREATE TRIGGER {table}_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE"
        f" ON {table} FOR EACH STATEMENT EXECUTE FUNCTION regie_bump_version('{table}')"
    ]


def sqlite_triggers(table: str) -> list[str]:
    """SQLite has row-level triggers only: each row changed raises the counter."""
    return [
        f"CREATE TRIGGER {table}_version_{event.lower()} AFTER {event} ON {table} BEGIN"
        f" INSERT INTO data_version (name, n) VALUES ('{table}', 1)"
        " ON CONFLICT (name) DO UPDATE SET n = n + 1; END"
        for event in ("INSERT", "UPDATE", "DELETE")
    ]


async def data_versions() -> dict[str, int]:
    """Every counter (one row per table and per month of usage ever changed: a few dozen)."""
    rows = await DataVersion.raw(f"SELECT name, n FROM {DataVersion._meta.tablename}")
    return {r["name"]: int(r["n"]) for r in rows}


def month_names(start: date, end: date) -> list[str]:
    """The counters of daily usage over the months from `start` to `end`."""
    names, year, month = [], start.year, start.month
    while (year, month) <= (end.year, end.month):
        names.append(f"{USAGE}{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return names


def pick(versions: Mapping[str, int], names: Iterable[str]) -> tuple[tuple[str, int], ...]:
    """The counters `names` as part of a cache key (0: never raised yet)."""
    return tuple((name, versions.get(name, 0)) for name in names)
