"""Raw SQL of billing on SQLite and PostgreSQL: grouped reads of daily usage, bill numbers
taken under a lock, bulk writes of bills (COPY on PostgreSQL, executemany on SQLite)."""

# Piccolo keeps the schema and every other query; a billing run of 100,000 households needs
# one grouped read of the month and bulk writes, which its query builder does not offer.
# Everything here runs inside a Piccolo transaction, on that transaction's connection.

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import date
from typing import Any

from piccolo.engine.sqlite import TransactionType

from regie.core.database import BULK_READS, engine

RUN_COLUMNS = (
    # of each household
    "number", "year", "seq", "household", "estimated_days", "usage", "persons", "social",
    # shared by the households priced alike (billing_plan.Shared)
    "service", "territory", "period", "span_start", "span_end", "days", "tariff_versions",
    "currency", "total_excl_vat_cents", "total_vat_cents", "total_cents",
    # of the content and the run
    "content", "issued_at", "run",
)  # fmt: skip
"""The columns a billing run writes; the others keep their defaults (kind "bill", no
cancelled or replaced bill, no reason): fewer values to send for 100,000 bills."""
BILL_COLUMNS = (*RUN_COLUMNS, "kind", "cancels", "replaces", "reason")
"""Every column of a bill, for credit notes and corrected bills."""
_PARAM = re.compile(r"\$(\d+)")


def as_date(value: Any) -> date | None:
    """A date read back from either engine (SQLite hands computed columns back as text)."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def ints(values: Iterable[int]) -> str:
    """An SQL list of integers, inlined (they are ids, checked to be ints)."""
    return "(" + ",".join(str(int(v)) for v in values) + ")"


def _scope(args: list[Any], territory: str | None, household: int | None) -> str:
    """Conditions on `h` (household) for a territory and/or a household; their values go
    to `args`."""
    sql = ""
    if territory is not None:
        args.append(territory)
        sql += f" AND h.territory = ${len(args)}"
    if household is not None:
        args.append(household)
        sql += f" AND h.id = ${len(args)}"
    return sql


class Session:
    """One transaction's connection, with the few statements billing needs."""

    def __init__(self, connection: Any, postgres: bool) -> None:
        self.connection = connection
        self.postgres = postgres

    async def fetch(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        """Rows as tuples; `$1`-style parameters on both engines."""
        if self.postgres:
            return await self.connection.fetch(sql, *args)  # Records unpack like tuples
        factory = self.connection.row_factory
        self.connection.row_factory = None  # plain tuples, not Piccolo's dicts
        try:
            cursor = await self.connection.execute(_PARAM.sub(r"?\1", sql), args)
            return list(await cursor.fetchall())
        finally:
            self.connection.row_factory = factory

    async def execute(self, sql: str, *args: Any) -> None:
        if self.postgres:
            await self.connection.execute(sql, *args)
        else:
            await self.connection.execute(_PARAM.sub(r"?\1", sql), args)

    async def lock_counter(self, year: int) -> int:
        """The last bill number of `year`, its row locked until the transaction ends (on
        SQLite the immediate transaction already holds the only write lock)."""
        lock = " FOR UPDATE" if self.postgres else ""
        query = f"SELECT last_seq FROM bill_counter WHERE year = $1{lock}"
        rows = await self.fetch(query, year)
        if not rows:
            await self.execute(
                "INSERT INTO bill_counter (year, last_seq) VALUES ($1, 0) "
                "ON CONFLICT (year) DO NOTHING",
                year,
            )
            rows = await self.fetch(query, year)
        return int(rows[0][0])

    async def set_counter(self, year: int, last_seq: int) -> None:
        await self.execute("UPDATE bill_counter SET last_seq = $1 WHERE year = $2", last_seq, year)

    async def billed(self, period: str, households: Iterable[int]) -> set[tuple[int, str]]:
        """(household, service) of the original bills of `period` among `households` (and
        maybe others: a range of the period's key is read, which batches of consecutive
        households make short)."""
        ids = list(households)
        if not ids:
            return set()
        rows = await self.fetch(
            "SELECT household, service FROM bill WHERE period = $1 AND kind = 'bill'"
            " AND replaces IS NULL AND household >= $2 AND household <= $3",
            period,
            min(ids),
            max(ids),
        )
        return {(int(h), str(s)) for h, s in rows}

    async def insert_bills(
        self, rows: Sequence[tuple[Any, ...]], columns: tuple[str, ...] = RUN_COLUMNS
    ) -> None:
        """Rows in the order of `columns` (RUN_COLUMNS or BILL_COLUMNS)."""
        if not rows:
            return
        if self.postgres:
            await self.connection.copy_records_to_table("bill", records=rows, columns=columns)
        else:
            marks = ", ".join("?" for _ in columns)
            sql = f"INSERT INTO bill ({', '.join(columns)}) VALUES ({marks})"
            await self.connection.executemany(sql, rows)

    async def content_ids(self, details: Iterable[str]) -> dict[str, int]:
        """Store each distinct bill content once and return its id, keyed by the text. The ids
        are taken first (a sequence on PostgreSQL; under SQLite's write lock, after the
        largest), so that the contents go in with one COPY."""
        texts = list(dict.fromkeys(details))
        if not texts:
            return {}
        if self.postgres:
            rows = await self.fetch(
                "SELECT nextval(pg_get_serial_sequence('bill_content', 'id'))"
                " FROM generate_series(1, $1)",
                len(texts),
            )
            ids = [int(r[0]) for r in rows]
            records = list(zip(ids, texts, strict=True))
            await self.connection.copy_records_to_table(
                "bill_content", records=records, columns=("id", "detail")
            )
        else:
            top = (await self.fetch("SELECT COALESCE(MAX(id), 0) FROM bill_content"))[0][0]
            ids = list(range(top + 1, top + 1 + len(texts)))
            rows = list(zip(ids, texts, strict=True))
            await self.connection.executemany(
                "INSERT INTO bill_content (id, detail) VALUES (?, ?)", rows
            )
        return dict(zip(texts, ids, strict=True))

    async def meters(
        self, start: date, end: date, territory: str | None, household: int | None = None
    ) -> Sequence[tuple[Any, ...]]:
        """Meters in service on some day of `start`..`end`, with their household, by
        household: (household, service, meter, installed_on, removed_on, reference, persons,
        social, territory)."""
        args: list[Any] = [start, end]
        sql = (
            "SELECT m.household, m.service, m.id, m.installed_on, m.removed_on, h.reference,"
            " h.persons, h.social, h.territory"
            " FROM meter m JOIN household h ON h.id = m.household"
            " WHERE (m.installed_on IS NULL OR m.installed_on <= $2)"
            " AND (m.removed_on IS NULL OR m.removed_on >= $1)"
        )
        sql += _scope(args, territory, household)
        rows = await self.fetch(sql + " ORDER BY m.household, m.service, m.id", *args)
        if self.postgres:
            return rows
        # SQLite hands dates back as text where it cannot tell the column's type.
        return [(*r[:3], as_date(r[3]), as_date(r[4]), *r[5:]) for r in rows]

    async def usage(
        self, start: date, end: date, territory: str | None = None, household: int | None = None
    ) -> Sequence[tuple[Any, ...]]:
        """(meter, register, consumption, estimated days) summed over `start`..`end`: the
        grouped read of a run, one pass over the daily usage. Grouped by register first, so
        that PostgreSQL hashes a sequential scan rather than walk the (meter, register, day)
        index."""
        args: list[Any] = [start, end]
        scope = _scope(args, territory, household)
        only = (
            f" AND meter IN (SELECT m.id FROM meter m JOIN household h ON h.id = m.household"
            f" WHERE TRUE{scope})"
            if scope
            else ""
        )
        # CAST: PostgreSQL sums a bigint into a numeric (a Decimal in Python).
        return await self.fetch(
            "SELECT meter, register, CAST(SUM(consumption) AS BIGINT),"
            " COUNT(*) FILTER (WHERE quality = 'estimated')"
            f" FROM daily_usage WHERE day >= $1 AND day <= $2{only}"
            " GROUP BY register, meter",
            *args,
        )

    async def estimated_days(
        self, start: date, end: date, meters: Sequence[int]
    ) -> list[tuple[int, date]]:
        """(meter, day) of every estimated day of `meters` (when several registers or meters
        of one household are estimated, a day counts once)."""
        rows = await self.fetch(
            "SELECT DISTINCT meter, day FROM daily_usage WHERE quality = 'estimated'"
            f" AND day >= $1 AND day <= $2 AND meter IN {ints(meters)}",
            start,
            end,
        )
        return [(int(m), as_date(d) or start) for m, d in rows]


@asynccontextmanager
async def session(*, write: bool, connection: Any = None) -> AsyncIterator[Session]:
    """A transaction: writers take SQLite's write lock at once (BEGIN IMMEDIATE), so that the
    bill counter is read and advanced by one writer at a time. On PostgreSQL, readers (a
    run's or an impact's grouped reads) get `regie.core.database.BULK_READS`, and
    `connection` (from `connection()`) serves many transactions in turn; Piccolo's queries
    do not run in such a transaction, only this module's."""
    if connection is not None:
        async with connection.transaction():
            yield Session(connection, True)
        return
    db = engine()
    postgres = db.engine_type == "postgres"
    if postgres:
        transaction = db.transaction()
    else:
        kind = TransactionType.immediate if write else TransactionType.deferred
        transaction = db.transaction(transaction_type=kind)
    async with transaction as txn:
        if postgres and not write:
            await txn.connection.execute(BULK_READS)  # the reads of a run or an impact
        yield Session(txn.connection, postgres)


@asynccontextmanager
async def connection() -> AsyncIterator[Any]:
    """One PostgreSQL connection for the transactions of a billing run's batches (opening one
    per batch costs more than writing a small one); None on SQLite."""
    db = engine()
    if db.engine_type != "postgres":
        yield None
        return
    opened = await db.get_new_connection()  # type: ignore[attr-defined]
    try:
        yield opened
    finally:
        await opened.close()
