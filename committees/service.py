"""Committees and memberships: create a committee from its charter, seat and unseat members."""

from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from committees import log
from committees.charter import Charter, CharterError, FieldError, charter_from_dict
from committees.errors import NotFound, Refused
from committees.tables import College, Committee, Membership
from committees.txn import writing
from regie.tables import Account

SERVICES = ("water", "electricity")


@dataclass(frozen=True)
class CommitteeInfo:
    id: int
    name: str
    service: str
    territory: str
    charter: Charter
    charter_text: str
    charter_format: str


@dataclass(frozen=True)
class Member:
    account: int
    name: str
    college: str
    starts_at: datetime
    ends_at: datetime | None


def parse_charter(text: str, fmt: str = "toml") -> Charter:
    """Read a charter file (TOML or JSON) and validate it; CharterError names every bad field."""
    try:
        if fmt == "toml":
            data: Any = tomllib.loads(text)
        elif fmt == "json":
            data = json.loads(text)
        else:
            raise CharterError([FieldError("format", f"toml or json, not {fmt!r}")])
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise CharterError([FieldError("", f"not valid {fmt.upper()}: {exc}")]) from None
    return charter_from_dict(data)


def charter_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


async def create_committee(
    name: str, service: str, territory: str, charter_text: str, *, fmt: str = "toml", now: datetime
) -> int:
    """Create a committee with the colleges of its charter; one per service and territory."""
    charter = parse_charter(charter_text, fmt)  # refuses an invalid charter before any write
    if service not in SERVICES:
        services = ", ".join(SERVICES)
        message = f"service must be one of {services}"
        raise Refused("unknown_service", message, params={"services": services})
    if not name.strip() or not territory.strip():
        raise Refused("missing_field", "a committee needs a name and a territory")
    async with writing():
        taken = await Committee.exists().where(
            (Committee.name == name)
            | ((Committee.service == service) & (Committee.territory == territory))
        )
        if taken:
            raise Refused(
                "committee_exists",
                f"a committee named {name!r}, or governing {service} in {territory}, exists",
                params={"name": repr(name), "service": service, "territory": territory},
            )
        row = Committee(
            name=name,
            service=service,
            territory=territory,
            charter_text=charter_text,
            charter_format=fmt,
            created_at=now,
        )
        await row.save()
        await College.insert(*(College(committee=row.id, name=c) for c in charter.college_names))
        payload = {
            "name": name,
            "service": service,
            "territory": territory,
            "colleges": list(charter.college_names),
            "charter_sha256": charter_sha256(charter_text),
        }
        await log.append(log.COMMITTEE_CREATED, payload, now, committee=row.id)
    return int(row.id)


def _info(row: dict[str, Any]) -> CommitteeInfo:
    return CommitteeInfo(
        id=row["id"],
        name=row["name"],
        service=row["service"],
        territory=row["territory"],
        charter=parse_charter(row["charter_text"], row["charter_format"]),
        charter_text=row["charter_text"],
        charter_format=row["charter_format"],
    )


async def get_committee(ref: int | str) -> CommitteeInfo:
    """A committee by id, or by name."""
    query = Committee.select()
    if isinstance(ref, int):
        row = await query.where(Committee.id == ref).first()
    else:
        row = await query.where(Committee.name == ref).first()
    if row is None:
        raise NotFound("no_committee", f"no committee {ref!r}", params={"committee": repr(ref)})
    return _info(row)


async def list_committees() -> list[CommitteeInfo]:
    return [_info(row) for row in await Committee.select().order_by(Committee.name)]


async def account_id(login: str) -> int:
    row = await Account.select(Account.id).where(Account.login == login).first()
    if row is None:
        message = f"no account with login {login!r}"
        raise NotFound("no_account", message, params={"account": repr(login)})
    return int(row["id"])


async def add_member(
    committee: int, account: int, college: str, *, starts_at: datetime, now: datetime
) -> int:
    """Seat an account in one college of a committee from `starts_at` (open-ended)."""
    async with writing():
        found = await Account.select(Account.name, Account.active).where(Account.id == account)
        if not found or not found[0]["active"]:
            message = f"no active account {account}"
            raise NotFound("no_account", message, params={"account": account})
        college_row = (
            await College.select(College.id)
            .where((College.committee == committee) & (College.name == college))
            .first()
        )
        if college_row is None:
            message = f"committee {committee} has no college {college!r}"
            raise NotFound("no_college", message, params={"college": repr(college)})
        # One college of a committee at a time: a member who changes college leaves first.
        overlapping = await Membership.exists().where(
            (Membership.committee == committee)
            & (Membership.account == account)
            & (Membership.ends_at.is_null() | (Membership.ends_at > starts_at))
        )
        if overlapping:
            raise Refused("already_member", "this account already sits in a college then")
        row = Membership(
            committee=committee, college=college_row["id"], account=account, starts_at=starts_at
        )
        await row.save()
        payload = {
            "account": account,
            "member": found[0]["name"],
            "college": college,
            "starts_at": log.iso(starts_at),
        }
        await log.append(log.MEMBER_JOINED, payload, now, committee=committee)
    return int(row.id)


async def end_membership(committee: int, account: int, *, ends_at: datetime, now: datetime) -> None:
    """End the account's open membership of the committee at `ends_at`."""
    async with writing():
        row = (
            await Membership.select(Membership.id, Membership.starts_at, Membership.college.name)
            .where(
                (Membership.committee == committee)
                & (Membership.account == account)
                & Membership.ends_at.is_null()
            )
            .first()
        )
        if row is None:
            raise NotFound("not_a_member", "this account has no open membership of the committee")
        if ends_at <= row["starts_at"]:
            raise Refused("bad_dates", "a membership ends after it starts")
        await Membership.update({Membership.ends_at: ends_at}).where(Membership.id == row["id"])
        payload = {"account": account, "college": row["college.name"], "ends_at": log.iso(ends_at)}
        await log.append(log.MEMBER_LEFT, payload, now, committee=committee)


def _active(at: datetime) -> Any:
    return (Membership.starts_at <= at) & (Membership.ends_at.is_null() | (Membership.ends_at > at))


async def members(committee: int, at: datetime) -> list[Member]:
    """The members of a committee at a moment, by college then name."""
    rows = (
        await Membership.select(
            Membership.account,
            Membership.account.name,
            Membership.college.name,
            Membership.starts_at,
            Membership.ends_at,
        )
        .where((Membership.committee == committee) & _active(at))
        .order_by(Membership.college.name)
        .order_by(Membership.account.name)
    )
    return [
        Member(r["account"], r["account.name"], r["college.name"], r["starts_at"], r["ends_at"])
        for r in rows
    ]


async def membership_at(committee: int, account: int, at: datetime) -> Member | None:
    for member in await members(committee, at):
        if member.account == account:
            return member
    return None
