"""régie's own tables: the households served (accounts come with the web front end)."""

from piccolo.columns import Boolean, Integer, Serial, Text, Varchar
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
