"""Write transactions of committees that serialise with each other on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any, TypeVar

from piccolo.engine.base import BaseTransaction
from piccolo.engine.sqlite import TransactionType
from piccolo.query.methods.select import Select

from committees.tables import Committee

Q = TypeVar("Q", bound=Select)


def is_postgres() -> bool:
    return bool(Committee._meta.db.engine_type == "postgres")


def writing() -> BaseTransaction:
    """A transaction for a change. On SQLite `BEGIN IMMEDIATE` takes the database's write lock at
    once, so two writers never interleave; on PostgreSQL each change locks the rows it depends on
    with `locked()` (the proposal, then the log head: always in that order, so no deadlock).
    Nested inside another `writing()`, it joins the outer transaction."""
    engine: Any = Committee._meta.db
    if engine.engine_type == "sqlite":
        return engine.transaction(transaction_type=TransactionType.immediate)
    return engine.transaction()


def locked(query: Q) -> Q:
    """`SELECT … FOR UPDATE` on PostgreSQL; SQLite's write lock already covers the whole file."""
    return query.lock_rows() if is_postgres() else query
