"""`regie log …` (the public decision log) and `regie committee …` (committees and members)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

import click

from regie.settings import get_settings

T = TypeVar("T")
_WHEN = click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])


def _run(job: Awaitable[T]) -> T:
    """Run a service call; its domain errors become a one-line message and exit status 1."""
    from committees.charter import CharterError
    from committees.errors import CommitteeError

    async def main() -> T:
        return await job

    try:
        return asyncio.run(main())
    except CommitteeError as exc:
        raise click.ClickException(exc.message) from None
    except CharterError as exc:
        raise click.ClickException(f"invalid charter: {exc}") from None


def _zone() -> ZoneInfo:
    return ZoneInfo(get_settings().timezone)


def _aware(moment: datetime | None) -> datetime:
    """A time given on the command line is in the régie's time zone; none means now."""
    if moment is None:
        return datetime.now(UTC)
    return moment.replace(tzinfo=_zone())


@click.group("log")
def log_group() -> None:
    """The public decision log, a hash chain of every decision event."""


@log_group.command("verify")
@click.option("--head", "published", help="A chain head copied into minutes, to check against.")
def verify(published: str | None) -> None:
    """Recompute the hash chain and every closed tally from the stored votes; report the first
    entry that does not match and exit with status 1."""
    from committees.verify import verify_log

    report = _run(verify_log(published))
    first = report.first
    if first is not None:
        click.echo(f"FAILED {first}")
        if len(report.problems) > 1:
            click.echo(f"({len(report.problems) - 1} more problem(s) after it)")
        raise SystemExit(1)
    click.echo(f"ok: {report.entries} entries, head {report.head or '(empty log)'}")


@log_group.command("head")
def head() -> None:
    """Print the chain head (seq and hash), to copy into the minutes."""
    from committees.log import head as read_head

    seq, digest = _run(read_head())
    click.echo(f"{seq} {digest}")


@log_group.command("show")
@click.option("--committee", "committee_id", type=int, help="Only this committee's entries.")
@click.option("--after", type=int, default=0, help="Entries after this seq.")
@click.option("--limit", type=int, default=50, show_default=True)
def show(committee_id: int | None, after: int, limit: int) -> None:
    """Print log entries: seq, time, kind and payload (as hashed)."""
    from committees.log import entries

    for e in _run(entries(committee=committee_id, after=after, limit=limit)):
        click.echo(f"{e.seq}\t{e.at}\t{e.kind}\t{e.payload_text}")


@click.group("committee")
def committee() -> None:
    """Committees: create one from its charter, seat and unseat members."""


@committee.command("create")
@click.option(
    "--charter",
    "charter_file",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The charter file, TOML (or JSON by its .json extension).",
)
@click.option("--name", required=True)
@click.option("--service", required=True, type=click.Choice(["water", "electricity"]))
@click.option("--territory", required=True)
def create(charter_file: Path, name: str, service: str, territory: str) -> None:
    """Create a committee with the colleges of its charter."""
    from committees.service import create_committee

    fmt = "json" if charter_file.suffix.lower() == ".json" else "toml"
    text = charter_file.read_text(encoding="utf-8")
    now = datetime.now(UTC)
    cid = _run(create_committee(name, service, territory, text, fmt=fmt, now=now))
    click.echo(f"committee {cid} created: {name} ({service}, {territory})")


@committee.command("list")
def list_() -> None:
    """List the committees, with the number of members of each college today."""
    from committees.service import list_committees, members

    async def gather() -> list[str]:
        lines = []
        now = datetime.now(UTC)
        for c in await list_committees():
            seated = await members(c.id, now)
            sizes = ", ".join(
                f"{name} {sum(m.college == name for m in seated)}"
                for name in c.charter.college_names
            )
            lines.append(f"{c.id}\t{c.name}\t{c.service}\t{c.territory}\t{sizes}")
        return lines

    for line in _run(gather()):
        click.echo(line)


@committee.command("members")
@click.argument("name")
def members_(name: str) -> None:
    """List the members of a committee today, by college."""
    from committees.service import get_committee, members

    async def gather() -> list[str]:
        info = await get_committee(name)
        return [
            f"{m.college}\t{m.name}\tsince {m.starts_at.astimezone(_zone()):%Y-%m-%d}"
            for m in await members(info.id, datetime.now(UTC))
        ]

    for line in _run(gather()):
        click.echo(line)


@committee.command("add-member")
@click.argument("name")
@click.option("--login", required=True, help="The account's login.")
@click.option("--college", required=True)
@click.option("--from", "start", type=_WHEN, help="Start of the membership (default: now).")
def add_member(name: str, login: str, college: str, start: datetime | None) -> None:
    """Seat an account in a college of the committee NAME."""
    from committees.service import account_id, add_member, get_committee

    async def seat() -> int:
        info = await get_committee(name)
        now = datetime.now(UTC)
        return await add_member(
            info.id,
            await account_id(login),
            college,
            starts_at=_aware(start) if start else now,
            now=now,
        )

    _run(seat())
    click.echo(f"{login} sits in the {college} college of {name}")


@committee.command("end-member")
@click.argument("name")
@click.option("--login", required=True, help="The account's login.")
@click.option("--at", "end", type=_WHEN, help="End of the membership (default: now).")
def end_member(name: str, login: str, end: datetime | None) -> None:
    """End an account's membership of the committee NAME."""
    from committees.service import account_id, end_membership, get_committee

    async def unseat() -> None:
        info = await get_committee(name)
        now = datetime.now(UTC)
        await end_membership(
            info.id, await account_id(login), ends_at=_aware(end) if end else now, now=now
        )

    _run(unseat())
    click.echo(f"{login} no longer sits in {name}")


@committee.command("open-vote")
@click.argument("proposal", type=int)
@click.option("--until", "deadline", type=_WHEN, help="Deadline (default: the charter's duration).")
def open_vote(proposal: int, deadline: datetime | None) -> None:
    """Put PROPOSAL, on the agenda, to the vote: the members of this moment make its electorate."""
    from committees.votes import open_vote as run

    until = _run(
        run(proposal, now=datetime.now(UTC), deadline=_aware(deadline) if deadline else None)
    )
    click.echo(f"vote on proposal {proposal} open until {until.astimezone(_zone()):%Y-%m-%d %H:%M}")


@committee.command("deadlines")
def deadlines() -> None:
    """Close the votes whose deadline passed and enact what they adopted (as the scheduler)."""
    from committees.enact import run_deadlines

    run = _run(run_deadlines(datetime.now(UTC)))
    click.echo(f"closed {len(run.closed)}, enacted {len(run.enacted)}, reminded {run.reminded}")


COMMANDS: list[click.Command] = [log_group, committee]
