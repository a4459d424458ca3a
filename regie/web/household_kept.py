"""What the household page keeps between requests, per household and the data versions it
read (regie.core.versions): the household and its meters, the tariffs in force, its latest
bills, its alerts and its committees' proposals. Any change to what an entry was read from
raises a counter of its key, so that an entry is never served stale; a household's entries
are keyed by its id, which comes from the identity of the request (never from the request's
parameters)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from regie.core.versions import month_names, pick
from regie.web import household_data as hd
from regie.web import household_usage as hu
from regie.web.memo import Memo

HOMES: Memo[hd.Home] = Memo(size=4096)
TARIFFS: Memo[dict[str, list[hd.Version]]] = Memo(size=256)
BILLS: Memo[list[dict[str, Any]]] = Memo(size=4096)
ALERTS: Memo[hd.Alerts] = Memo(size=4096)
PROPOSALS: Memo[list[hd.CommitteeProposals]] = Memo(size=4096)
MONTHS: Memo[hu.Months] = Memo(size=4096)

HOME_TABLES = ("household", "meter")
ALERT_TABLES = (
    "regulation_case", "regulation_case_event", "regulation_notice", "drought_restriction",
)  # fmt: skip
PROPOSAL_TABLES = ("committee", "college", "proposal", "signature")


async def home_of(household: int, versions: Mapping[str, int]) -> hd.Home:
    key = (household, pick(versions, HOME_TABLES))
    return await HOMES.get(key, lambda: hd.home_of(household))


async def tariffs_in_force(
    home: hd.Home, today: date, versions: Mapping[str, int]
) -> dict[str, list[hd.Version]]:
    key = (home.territory, today, pick(versions, ("tariff_version",)))
    return await TARIFFS.get(key, lambda: hd.tariffs_in_force(home, today))


async def latest_bills(home: hd.Home, versions: Mapping[str, int]) -> list[dict[str, Any]]:
    key = (home.id, pick(versions, ("bill",)))
    return await BILLS.get(key, lambda: hd.latest_bills(home, 3))


async def alerts_of(home: hd.Home, today: date, versions: Mapping[str, int]) -> hd.Alerts:
    key = (home.id, home.territory, today, pick(versions, ALERT_TABLES))
    return await ALERTS.get(key, lambda: hd.alerts_of(home, today))


async def proposals_of(home: hd.Home, versions: Mapping[str, int]) -> list[hd.CommitteeProposals]:
    key = (home.id, home.territory, pick(versions, PROPOSAL_TABLES))
    return await PROPOSALS.get(key, lambda: hd.proposals_of(home))


async def months_of(
    home: hd.Home, first_month: date, this_month: date, versions: Mapping[str, int]
) -> hu.Months:
    """The whole months before this one: their usage counters change only when a late or
    corrected reading lands in them."""
    last = this_month - timedelta(days=1)
    key = (
        home.id, tuple(sorted(home.meters.items())), first_month, this_month,
        pick(versions, month_names(first_month, last)),
    )  # fmt: skip
    return await MONTHS.get(key, lambda: hu.read_months(home, first_month, this_month))
