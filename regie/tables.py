"""régie's own tables: the households served and the accounts of the people who log in."""

from piccolo.columns import BigInt, Boolean, ForeignKey, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table


class Household(Table):
    """A household (abonné): the unit that is billed and that may file proposals."""

    id: Serial

    reference = Varchar(length=64, unique=True, index=True)
    name = Varchar(length=200)
    address = Text(default="")
    persons = Integer(default=1)
    social = Boolean(default=False)  # eligible for the social band (e.g. CSS in France)
    territory = Varchar(length=64, index=True)


class Account(Table):
    """A person who logs in. Roles add up: a household's account may also sit in a committee
    (through a membership), an operator may be an administrator too."""

    id: Serial
    login = Varchar(length=120, unique=True, index=True)
    name = Varchar(length=200)
    household = ForeignKey(references=Household, on_delete=OnDelete.restrict, null=True)
    is_operator = Boolean(default=False)
    is_admin = Boolean(default=False)
    password_hash = Text(default="")  # Argon2id; empty until the invitation is used
    active = Boolean(default=True)
    created_at = Timestamptz()


class WebSession(Table):
    """A browser session, kept on the server: the cookie holds a random id whose SHA-256 is
    stored here, so that a leaked table gives no usable cookie. Anonymous sessions carry only
    the CSRF token of the login form; logging in replaces the session with a new id."""

    id: Serial
    key_hash = Varchar(length=64, unique=True, index=True)
    account = ForeignKey(references=Account, on_delete=OnDelete.cascade, null=True)
    csrf_token = Varchar(length=64)
    created_at = Timestamptz()
    last_seen_at = Timestamptz()


class Invitation(Table):
    """A one-time link with which a person sets their own password (households are invited)."""

    id: Serial
    token_hash = Varchar(length=64, unique=True, index=True)
    account = ForeignKey(references=Account, on_delete=OnDelete.cascade)
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)


class DataVersion(Table):
    """A counter per kind of data, raised by database triggers in the same transaction as
    every change to that data (`regie.core.versions`): a cached page keyed on the counters it
    read is never served after a change. Rows are never deleted, so a counter never repeats."""

    id: Serial
    name = Varchar(length=64, unique=True)  # a table, or `daily_usage:YYYY-MM`
    n = BigInt(default=0)
