"""Accounts: creation, Argon2id passwords, invitations, and who may see what."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from regie.tables import Account, Household, Invitation

_HASHER = PasswordHasher()  # Argon2id with the library's current recommended parameters
# Verifying against this when the login is unknown costs the same time as a real check, so
# that response times do not tell which logins exist.
_DUMMY_HASH = _HASHER.hash("not a password")
MIN_PASSWORD = 10
INVITATION_DAYS = 14


class AccountError(ValueError):
    """A request about an account that cannot be honoured; the message says why."""


@dataclass(frozen=True, slots=True)
class Identity:
    """Who is logged in, as pages need it."""

    id: int
    login: str
    name: str
    household_id: int | None
    is_operator: bool
    is_admin: bool


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password must have at least {MIN_PASSWORD} characters")
    return _HASHER.hash(password)


async def create_account(
    login: str,
    name: str,
    *,
    household_ref: str | None = None,
    operator: bool = False,
    admin: bool = False,
    password: str | None = None,
) -> Account:
    login = login.strip().lower()
    if not login or len(login) > 120:
        raise AccountError("a login has 1 to 120 characters")
    if await Account.exists().where(Account.login == login):
        raise AccountError(f"the login {login!r} is taken")
    household_id = None
    if household_ref:
        row = (
            await Household.select(Household.id).where(Household.reference == household_ref).first()
        )
        if row is None:
            raise AccountError(f"no household with reference {household_ref!r}")
        household_id = row["id"]
    account = Account(
        login=login,
        name=name,
        household=household_id,
        is_operator=operator or admin,
        is_admin=admin,
        password_hash=hash_password(password) if password else "",
        created_at=datetime.now(UTC),
    )
    await account.save()
    return account


async def invite(account_id: int, now: datetime | None = None) -> str:
    """A new one-time token for the account to set its password; only its hash is stored."""
    now = now or datetime.now(UTC)
    token = secrets.token_urlsafe(32)
    await Invitation(
        token_hash=token_hash(token),
        account=account_id,
        expires_at=now + timedelta(days=INVITATION_DAYS),
    ).save()
    return token


async def accept_invitation(token: str, password: str, now: datetime | None = None) -> int:
    """Set the password of the invited account; the link works once. Returns the account id."""
    now = now or datetime.now(UTC)
    row = await Invitation.select().where(Invitation.token_hash == token_hash(token)).first()
    if row is None or row["used_at"] is not None or row["expires_at"] < now:
        raise AccountError("this invitation link is invalid, used or expired")
    hashed = hash_password(password)
    async with Invitation._meta.db.transaction():
        used = (
            await Invitation.update({Invitation.used_at: now})
            .where((Invitation.id == row["id"]) & Invitation.used_at.is_null())
            .returning(Invitation.id)
        )
        if not used:
            raise AccountError("this invitation link is invalid, used or expired")
        await Account.update({Account.password_hash: hashed}).where(Account.id == row["account"])
    return int(row["account"])


async def authenticate(login: str, password: str) -> Identity | None:
    """The identity for a login and password, or None; takes the same time either way."""
    row = await Account.select().where(Account.login == login.strip().lower()).first()
    stored = row["password_hash"] if row and row["active"] else ""
    try:
        _HASHER.verify(stored or _DUMMY_HASH, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if not stored or row is None:
        return None
    if _HASHER.check_needs_rehash(stored):
        await Account.update({Account.password_hash: _HASHER.hash(password)}).where(
            Account.id == row["id"]
        )
    return identity_of(row)


async def identity(account_id: int) -> Identity | None:
    row = await Account.select().where(Account.id == account_id).first()
    return identity_of(row) if row and row["active"] else None


IDENTITY_COLUMNS = ("login", "name", "household", "is_operator", "is_admin")


def identity_of(row: dict[str, Any]) -> Identity:
    return Identity(
        id=row["id"],
        login=row["login"],
        name=row["name"],
        household_id=row["household"],
        is_operator=bool(row["is_operator"]),  # SQLite's raw rows give 0 or 1
        is_admin=bool(row["is_admin"]),
    )
