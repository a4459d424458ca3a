"""régie's own tables: the households served and the accounts of the people who log in."""

from piccolo.columns import Boolean, ForeignKey, Integer, Serial, Text, Timestamptz, Varchar
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
