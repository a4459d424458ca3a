"""Server-side browser sessions: created, rotated at login, ended at logout or when idle."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from regie.core.accounts import IDENTITY_COLUMNS, Identity, identity_of, token_hash
from regie.tables import Account, WebSession

TOUCH_EVERY = timedelta(minutes=1)  # last_seen_at is written at most this often


@dataclass(frozen=True, slots=True)
class Session:
    id: int
    account_id: int | None
    csrf_token: str


async def open_session(account_id: int | None, now: datetime | None = None) -> tuple[str, Session]:
    """A new session with a new random key (returned for the cookie) and a new CSRF token."""
    now = now or datetime.now(UTC)
    key = secrets.token_urlsafe(32)
    row = WebSession(
        key_hash=token_hash(key),
        account=account_id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        last_seen_at=now,
    )
    await row.save()
    return key, Session(row.id, account_id, row.csrf_token)


async def find_session(key: str, idle: timedelta, now: datetime | None = None) -> Session | None:
    """The live session of a cookie key; an idle one is deleted and counts as none."""
    now = now or datetime.now(UTC)
    row = await WebSession.select().where(WebSession.key_hash == token_hash(key)).first()
    if row is None:
        return None
    if now - row["last_seen_at"] > idle:
        await WebSession.delete().where(WebSession.id == row["id"])
        return None
    if now - row["last_seen_at"] > TOUCH_EVERY:
        await WebSession.update({WebSession.last_seen_at: now}).where(WebSession.id == row["id"])
    return Session(row["id"], row["account"], row["csrf_token"])


async def find_session_identity(
    key: str, idle: timedelta, now: datetime | None = None
) -> tuple[Session | None, Identity | None]:
    """`find_session` and the identity of its account (None: anonymous, or the account is
    inactive) in one query: every page pays it."""
    now = now or datetime.now(UTC)
    rows = await WebSession.raw(SESSION_IDENTITY, token_hash(key))
    row = rows[0] if rows else None
    if row is None:
        return None, None
    seen = row["last_seen_at"]
    if now - seen > idle:
        await WebSession.delete().where(WebSession.id == row["id"])
        return None, None
    if now - seen > TOUCH_EVERY:
        await WebSession.update({WebSession.last_seen_at: now}).where(WebSession.id == row["id"])
    session = Session(row["id"], row["account"], row["csrf_token"])
    if row["account"] is None or not row["active"]:
        return session, None
    who = identity_of({**{k: row[k] for k in IDENTITY_COLUMNS}, "id": row["account"]})
    return session, who


# Every page pays this lookup: written out once rather than built by the query builder at
# each request (a tenth of a trivial page's time).
SESSION_IDENTITY = (
    "SELECT s.id, s.account, s.csrf_token, s.last_seen_at, "
    + ", ".join(f"a.{c}" for c in (*IDENTITY_COLUMNS, "active"))
    + f" FROM {WebSession._meta.tablename} s"
    f" LEFT JOIN {Account._meta.tablename} a ON a.id = s.account WHERE s.key_hash = {{}}"
)


async def close_session(session_id: int) -> None:
    await WebSession.delete().where(WebSession.id == session_id)
