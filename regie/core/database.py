"""Database access shared by every package: the Piccolo engine and migrations."""

from __future__ import annotations

import contextlib
import io
import os

from piccolo.engine.base import Engine
from piccolo.engine.finder import engine_finder
from piccolo.table import Table, sort_table_classes

os.environ.setdefault("PICCOLO_CONF", "regie.piccolo_conf")


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
