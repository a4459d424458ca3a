"""Notifications on the real database, and the daily digest sent to an in-process SMTP server."""

from __future__ import annotations

import asyncio
import email
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from email.message import EmailMessage
from email.policy import default

import pytest

from committees import notify, proposals, votes
from committees.notify import send_digest
from committees.tables import Notification
from regie.settings import MailSettings
from regie.tables import Account
from tests.committees.test_service import T0, make_world, on_agenda

pytestmark = pytest.mark.db

OPEN = T0 + timedelta(days=1)
DEADLINE = OPEN + timedelta(days=7)


@dataclass
class SmtpSink:
    """A tiny SMTP server (RFC 5321's few verbs smtplib uses) that keeps what it receives."""

    messages: list[tuple[str, list[str], EmailMessage]] = field(default_factory=list)
    port: int = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        def reply(text: str) -> None:
            writer.write(f"{text}\r\n".encode())

        reply("220 sink ESMTP")
        sender, recipients = "", []
        while line := await reader.readline():
            command = line.decode().rstrip("\r\n")
            verb = command[:4].upper()
            if verb in ("EHLO", "HELO"):
                reply("250 sink")
            elif verb == "MAIL":
                sender, recipients = command.split(":", 1)[1].strip(" <>"), []
                reply("250 OK")
            elif verb == "RCPT":
                recipients.append(command.split(":", 1)[1].strip(" <>"))
                reply("250 OK")
            elif verb == "DATA":
                reply("354 end with <CRLF>.<CRLF>")
                await writer.drain()
                lines = []
                while (data := await reader.readline()) != b".\r\n":
                    lines.append(data[1:] if data.startswith(b"..") else data)
                parsed = email.message_from_bytes(b"".join(lines), policy=default)
                assert isinstance(parsed, EmailMessage)
                self.messages.append((sender, recipients, parsed))
                reply("250 queued")
            elif verb == "QUIT":
                reply("221 bye")
                await writer.drain()
                break
            else:
                reply("250 OK")  # RSET, NOOP
            await writer.drain()
        writer.close()


@pytest.fixture
async def smtp() -> AsyncIterator[SmtpSink]:
    sink = SmtpSink()
    server = await asyncio.start_server(sink.handle, "127.0.0.1", 0)
    sink.port = server.sockets[0].getsockname()[1]
    async with server:
        yield sink


async def kinds_of(account: int) -> list[str]:
    return sorted(n.kind for n in await notify.notifications(account))


async def test_members_are_told_when_a_vote_opens_and_a_day_before_it_closes(db: str) -> None:
    world = await make_world()
    p = await on_agenda(world)
    await votes.open_vote(p, now=OPEN)
    member = world.members["users"][0]
    assert await kinds_of(member) == ["vote_opened"]
    assert await notify.remind_closing_votes(DEADLINE - timedelta(hours=25)) == 0
    assert await notify.remind_closing_votes(DEADLINE - timedelta(hours=23)) == 10
    await notify.remind_closing_votes(DEADLINE - timedelta(hours=22))  # once only
    assert await kinds_of(member) == ["vote_closing", "vote_opened"]
    assert await Notification.count().where(Notification.kind == "vote_closing") == 10
    assert await kinds_of(world.households[0]) == ["on_agenda"]  # households: not electors


async def test_households_are_told_when_their_proposal_is_on_the_agenda_and_decided(
    db: str,
) -> None:
    world = await make_world()
    p = await on_agenda(world)  # filed by household 0, signed by households 1-3
    for account in world.households[:4]:
        assert await kinds_of(account) == ["on_agenda"]
    assert await kinds_of(world.households[4]) == []
    await votes.open_vote(p, now=OPEN)
    await votes.close_due_votes(DEADLINE)
    for account in world.households[:4]:
        assert await kinds_of(account) == ["decided", "on_agenda"]
    note = (await notify.notifications(world.households[1]))[0]
    assert note.message == "Decided (no_quorum): Baisser l'eau essentielle"
    await notify.mark_read(world.households[1], [note.id], DEADLINE)
    unread = await notify.notifications(world.households[1], unread_only=True)
    assert [n.kind for n in unread] == ["on_agenda"]


async def test_the_daily_digest_sends_one_message_per_account(db: str, smtp: SmtpSink) -> None:
    world = await make_world()
    p = await on_agenda(world)
    await votes.open_vote(p, now=OPEN)
    await Account.update({Account.login: "public0"}).where(
        Account.id == world.members["public"][0]
    )  # a login that is no address gets no email
    assert await send_digest(OPEN, MailSettings(url="")) == 0  # not configured: nothing
    settings = MailSettings(url=f"smtp://127.0.0.1:{smtp.port}", sender="regie@dunkerque.fr")
    sent = await send_digest(OPEN, settings)
    # 9 members with an address (vote opened) + 4 households (on the agenda).
    assert sent == 13 and len(smtp.messages) == 13
    by_rcpt = {rcpts[0]: msg for _, rcpts, msg in smtp.messages}
    member = by_rcpt["users0@example.org"]
    assert member["From"] == "regie@dunkerque.fr" and "notification" in member["Subject"]
    assert "A vote is open until 2026-03-10T09:00" in member.get_content()
    assert "On the committee's agenda" in by_rcpt["foyer0@example.org"].get_content()
    assert "public0" not in by_rcpt
    # Emailed once: the next digest carries only what is new.
    assert await send_digest(OPEN + timedelta(days=1), settings) == 0
    await proposals.comment(world.households[4], p, "Merci", now=OPEN)  # no notification
    await notify.remind_closing_votes(DEADLINE - timedelta(hours=1))
    assert await send_digest(DEADLINE, settings) == 9
    assert len(smtp.messages) == 22
    digest = smtp.messages[-1][2].get_content()
    assert digest.count("- ") == 1 and "The vote closes on" in digest


def test_mail_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REGIE_SMTP_URL", raising=False)
    assert not MailSettings().enabled
    monkeypatch.setenv("REGIE_SMTP_URL", "smtps://u:p@mail.example.org")
    monkeypatch.setenv("REGIE_SMTP_FROM", "comites@example.org")
    assert MailSettings() == MailSettings("smtps://u:p@mail.example.org", "comites@example.org")


async def test_the_digest_carries_overconsumption_messages(db: str, smtp: SmtpSink) -> None:
    from metering.regulation.tables import RegulationNotice
    from regie.core.accounts import create_account
    from regie.tables import Household

    home = Household(reference="R-1", name="Famille R", persons=2, territory="t")
    await home.save()
    await create_account("famille.r@example.org", "Famille R", household_ref="R-1")
    await RegulationNotice(
        household=home.id, kind="case_opened", message="Fuite probable : 3 nuits sans arrêt.",
        created_at=OPEN,
    ).save()  # fmt: skip
    settings = MailSettings(url=f"smtp://127.0.0.1:{smtp.port}")
    assert await send_digest(OPEN, settings) == 1
    assert "Fuite probable" in smtp.messages[-1][2].get_content()
    emailed = await RegulationNotice.select(RegulationNotice.emailed_at).first()
    assert emailed is not None and emailed["emailed_at"] is not None
    assert await send_digest(OPEN + timedelta(days=1), settings) == 0  # sent once
