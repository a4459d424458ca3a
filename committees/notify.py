"""Notifications: in-app rows for members and households, and a daily email digest over SMTP."""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

from committees.tables import Elector, Notification, Proposal, Signature
from metering.regulation import views as regulation_views
from regie.settings import MailSettings, get_settings
from regie.tables import Account

# Kinds (issue 4): members when a vote opens and 24 hours before it closes; households when a
# proposal they filed or signed reaches the agenda or is decided.
VOTE_OPENED = "vote_opened"
VOTE_CLOSING = "vote_closing"
ON_AGENDA = "on_agenda"
DECIDED = "decided"
REMIND_BEFORE = timedelta(hours=24)

_MESSAGES = {
    VOTE_OPENED: "A vote is open until {deadline}: {title}",
    VOTE_CLOSING: "The vote closes on {deadline}: {title}",
    ON_AGENDA: "On the committee's agenda: {title}",
    DECIDED: "Decided ({result}): {title}",
}


async def _tell(accounts: Iterable[int], kind: str, proposal: int, now: datetime) -> int:
    """One notification per account, kind and proposal (unique index): repeats do nothing."""
    row = (
        await Proposal.select(Proposal.title, Proposal.deadline, Proposal.result)
        .where(Proposal.id == proposal)
        .first()
    )
    if row is None:
        return 0
    deadline = row["deadline"].isoformat(timespec="minutes") if row["deadline"] else ""
    message = _MESSAGES[kind].format(title=row["title"], deadline=deadline, result=row["result"])
    rows = [
        Notification(account=a, kind=kind, proposal=proposal, message=message, created_at=now)
        for a in sorted(set(accounts))
    ]
    if rows:
        await Notification.insert(*rows).on_conflict(action="DO NOTHING")
    return len(rows)


async def tell_electors(proposal: int, kind: str, now: datetime) -> int:
    rows = await Elector.select(Elector.account).where(Elector.proposal == proposal)
    return await _tell((r["account"] for r in rows), kind, proposal, now)


async def tell_households(proposal: int, kind: str, now: datetime) -> int:
    """Tell the active accounts of the author's household and of every co-signing household."""
    author = await Proposal.select(Proposal.household).where(Proposal.id == proposal).first()
    households = {
        r["household"]
        for r in await Signature.select(Signature.household).where(Signature.proposal == proposal)
    }
    if author and author["household"] is not None:
        households.add(author["household"])
    if not households:
        return 0
    accounts = await Account.select(Account.id).where(
        Account.household.is_in(sorted(households)) & (Account.active == True)  # noqa: E712
    )
    return await _tell((r["id"] for r in accounts), kind, proposal, now)


async def remind_closing_votes(now: datetime) -> int:
    """Tell the electorate of every vote closing within 24 hours (once: the index dedups)."""
    rows = await Proposal.select(Proposal.id).where(
        (Proposal.status == "voting")
        & (Proposal.deadline > now)
        & (Proposal.deadline <= now + REMIND_BEFORE)
    )
    return sum([await tell_electors(r["id"], VOTE_CLOSING, now) for r in rows])


@dataclass(frozen=True)
class Note:
    id: int
    kind: str
    proposal: int | None
    message: str
    created_at: datetime
    read_at: datetime | None


async def notifications(account: int, *, unread_only: bool = False) -> list[Note]:
    query = (
        Notification.select()
        .where(Notification.account == account)
        .order_by(Notification.id, ascending=False)
    )
    if unread_only:
        query = query.where(Notification.read_at.is_null())
    return [
        Note(r["id"], r["kind"], r["proposal"], r["message"], r["created_at"], r["read_at"])
        for r in await query
    ]


async def mark_read(account: int, ids: Iterable[int], now: datetime) -> None:
    await Notification.update({Notification.read_at: now}).where(
        (Notification.account == account)
        & Notification.id.is_in(list(ids) or [-1])
        & Notification.read_at.is_null()
    )


# -- the daily digest -------------------------------------------------------------------------


def _address(login: str) -> str | None:
    # Accounts have no e-mail column yet: a login that is an address is used as one.
    return login if "@" in login and " " not in login else None


async def send_digest(now: datetime, settings: MailSettings | None = None) -> int:
    """Email each account one message listing its notifications not yet emailed; returns the
    number of messages sent. A daily digest rather than a message per event (issue 4)."""
    settings = settings or get_settings().mail
    if not settings.enabled:
        return 0
    rows = (
        await Notification.select(
            Notification.id,
            Notification.account,
            Notification.message,
            Notification.account.login,
            Notification.account.name,
        )
        .where(
            Notification.emailed_at.is_null()
            & (Notification.created_at <= now)
            & (Notification.account.active == True)  # noqa: E712
        )
        .order_by(Notification.id)
    )
    by_account: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        if _address(row["account.login"]):
            by_account.setdefault(row["account"], []).append(row)
    notices = await _regulation_items(now, by_account)
    messages = [_digest(items, settings) for items in by_account.values()]
    if not messages:
        return 0
    await asyncio.to_thread(_send, settings.url, messages)
    sent = [row["id"] for items in by_account.values() for row in items if row.get("id")]
    if sent:
        await Notification.update({Notification.emailed_at: now}).where(Notification.id.is_in(sent))
    await regulation_views.mark_emailed(notices, now)
    return len(messages)


async def _regulation_items(
    now: datetime, by_account: dict[int, list[dict[str, Any]]]
) -> list[int]:
    """Add the overconsumption messages (issue 5) to the digest of each account of their
    household; returns the notices that will be sent."""
    notices = [n for n in await regulation_views.pending_emails() if n.created_at <= now]
    if not notices:
        return []
    homes = {n.household for n in notices}
    accounts = await Account.select(
        Account.id, Account.login, Account.name, Account.household
    ).where(
        Account.household.is_in(list(homes)) & (Account.active == True)  # noqa: E712
    )
    sent = []
    for notice in notices:
        for a in accounts:
            if a["household"] == notice.household and _address(a["login"]):
                by_account.setdefault(a["id"], []).append(
                    {"id": None, "account": a["id"], "message": notice.message,
                     "account.login": a["login"], "account.name": a["name"]}
                )  # fmt: skip
                sent.append(notice.id)
    return sorted(set(sent))


def _digest(items: list[dict[str, Any]], settings: MailSettings) -> EmailMessage:
    host = urlparse(settings.url).hostname or "localhost"
    message = EmailMessage()
    message["From"] = settings.sender or f"regie@{host}"
    message["To"] = items[0]["account.login"]
    message["Subject"] = f"régie: {len(items)} notification(s)"
    lines = [f"Hello {items[0]['account.name']},", ""]
    lines += [f"- {item['message']}" for item in items]
    message.set_content("\n".join(lines) + "\n")
    return message


def _send(url: str, messages: list[EmailMessage]) -> None:
    parts = urlparse(url)
    query = parse_qs(parts.query)
    host = parts.hostname or "localhost"
    smtp: smtplib.SMTP
    if parts.scheme == "smtps":
        smtp = smtplib.SMTP_SSL(host, parts.port or 465, context=ssl.create_default_context())
    elif parts.scheme == "smtp":
        smtp = smtplib.SMTP(host, parts.port or 25)
    else:
        raise ValueError(f"REGIE_SMTP_URL must start with smtp:// or smtps://, got {url!r}")
    with smtp:
        if query.get("starttls", ["0"])[0] in ("1", "true", "yes"):
            smtp.starttls(context=ssl.create_default_context())
        if parts.username:
            smtp.login(unquote(parts.username), unquote(parts.password or ""))
        for message in messages:
            smtp.send_message(message)
