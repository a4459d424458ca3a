"""Raw SQL reads of the daily run: windows of daily use and nights, per meter, in one grouped
read each (arrays on PostgreSQL; rows grouped in Python on SQLite)."""

# Piccolo keeps the schema and every other query. The daily run reads about sixty days of
# use and a month of nights for every meter; as Piccolo dicts, one row per meter and day,
# that read alone took longer than the whole detection (bench/regulation.py).

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from typing import Any

from regie.core.database import BULK_READS, engine

_PARAM = re.compile(r"\$(\d+)")
Window = tuple[int, list[int], list[list[Any]]]
"""A meter, its days as days before the evaluated day (0 for that day), and one list of
values per column, in the order of those days."""


class Reads:
    """One transaction's connection and the two grouped reads of the daily run."""

    def __init__(self, connection: Any, postgres: bool) -> None:
        self.connection = connection
        self.postgres = postgres

    async def daily(self, day: date, spans: list[tuple[date, date]]) -> list[Window]:
        """Daily use per meter on the days of `spans` (first, last): one window per meter, or
        per meter and register (a meter may come twice: its windows add up)."""
        where = " OR ".join(
            f"(day >= ${2 * i + 2} AND day <= ${2 * i + 3})" for i in range(len(spans))
        )
        args = [day, *(d for span in spans for d in span)]
        if self.postgres:
            # One array per meter and register: no day-by-day aggregate to hash on the server
            # (three times slower); a second register's days are added up by the caller.
            return await self._arrays(
                "SELECT meter, array_agg($1::date - day), array_agg(consumption)"
                f" FROM daily_usage WHERE {where} GROUP BY meter, register",
                args,
            )
        return await self._grouped(
            f"SELECT meter, day, SUM(consumption) FROM daily_usage WHERE {where}"
            " GROUP BY meter, day",
            args,
            columns=1,
        )

    async def nights(self, day: date, first: date) -> list[Window]:
        """Nights per meter from `first` to `day`: lowest hour, total, hours, complete."""
        if self.postgres:
            return await self._arrays(
                "SELECT meter, array_agg($1::date - day), array_agg(min_hour), array_agg(total),"
                " array_agg(hours), array_agg(complete) FROM night_usage"
                " WHERE day >= $2 AND day <= $1 GROUP BY meter",
                [day, first],
            )
        windows = await self._grouped(
            "SELECT meter, day, min_hour, total, hours, complete FROM night_usage"
            " WHERE day >= $2 AND day <= $1",
            [day, first],
            columns=4,
        )
        for _, _, values in windows:
            values[3] = [bool(c) for c in values[3]]  # SQLite keeps booleans as 0 and 1
        return windows

    async def _arrays(self, sql: str, args: list[Any]) -> list[Window]:
        rows = await self.connection.fetch(sql, *args)
        return [(r[0], r[1], list(r[2:])) for r in rows]

    async def _grouped(self, sql: str, args: list[Any], *, columns: int) -> list[Window]:
        cursor = await self.connection.execute(_PARAM.sub(r"?\1", sql), args)
        day = args[0]
        grouped: dict[int, tuple[list[int], list[list[Any]]]] = defaultdict(
            lambda: ([], [[] for _ in range(columns)])
        )
        for meter, d, *values in await cursor.fetchall():
            back, lists = grouped[meter]
            back.append((day - date.fromisoformat(str(d)[:10])).days)
            for column, value in zip(lists, values, strict=True):
                column.append(value)
        return [(meter, back, lists) for meter, (back, lists) in grouped.items()]


@asynccontextmanager
async def reads() -> AsyncIterator[Reads]:
    """A read transaction; on PostgreSQL with room to aggregate in memory and a plan for the
    days asked (`regie.core.database.BULK_READS`: the default 4 MB of work_mem holds a tenth
    of the month's arrays)."""
    db = engine()
    postgres = db.engine_type == "postgres"
    async with db.transaction() as txn:
        connection = txn.connection
        if postgres:
            await connection.execute(BULK_READS)
            yield Reads(connection, True)
            return
        factory = connection.row_factory
        connection.row_factory = None  # plain tuples, not Piccolo's dicts
        try:
            yield Reads(connection, False)
        finally:
            connection.row_factory = factory
