"""Database access shared by every package: the Piccolo engine and migrations."""

from __future__ import annotations

import contextlib
import io
import os

from piccolo.engine.base import Engine
from piccolo.engine.finder import engine_finder
from piccolo.table import Table, sort_table_classes

os.environ.setdefault("PICCOLO_CONF", "regie.piccolo_conf")

BULK_READS = "SET LOCAL work_mem = '64MB'; SET LOCAL plan_cache_mode = force_custom_plan"
"""What a PostgreSQL transaction that aggregates weeks of daily usage sets first.

Room to hash the month in memory rather than spill to disk (the default 4 MB holds a tenth
of it), and a plan made for the dates asked each time. asyncpg prepares a statement once per
connection of the app's pool, and from the sixth run on PostgreSQL may keep a generic plan
that ignores the dates: for the billing read it expected 15,000 rows of 3,000,000, hashed
them on disk, and took 1.2 s instead of 0.45 s, for every run after the fifth."""


def engine() -> Engine:
    """The engine configured in `regie.piccolo_conf` (REGIE_DATABASE_URL)."""
    found = engine_finder()
    if found is None:
        raise RuntimeError("no Piccolo engine: is PICCOLO_CONF importable?")
    return found


async def migrate() -> None:
    """Apply all migrations of every app, in dependency order."""
    from piccolo.apps.migrations.commands.forwards import run_forwards

    out = io.StringIO()
    with contextlib.redirect_stdout(out):  # Piccolo prints a banner per app
        response = await run_forwards(app_name="all", migration_id="all", fake=False)
    if not response.success:
        raise RuntimeError(f"migrations failed: {response.message}\n{out.getvalue()}")


async def truncate_all() -> None:
    """Delete every row of every table (tests only: each test starts from empty tables)."""
    from piccolo.conf.apps import Finder

    from regie.tables import DataVersion

    # Data versions are kept: counters that started again from zero could match the key of
    # a copy cached from an earlier test (regie.core.versions).
    tables = [t for t in Finder().get_table_classes() if t is not DataVersion]
    # Children before parents, so that foreign keys never block a delete.
    for table in reversed(_sorted_by_dependency(tables)):
        await table.delete(force=True)


def _sorted_by_dependency(tables: list[type[Table]]) -> list[type[Table]]:
    return sort_table_classes(tables)
