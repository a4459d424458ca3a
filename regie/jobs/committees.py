"""Scheduled jobs of `committees`: vote deadlines and enactment, and the daily email digest."""

from __future__ import annotations

from datetime import UTC, datetime

from regie.jobs.spec import JobSpec


async def deadlines() -> None:
    """Close votes whose deadline passed, enact what they adopted, remind members 24 h ahead."""
    from committees.enact import run_deadlines

    await run_deadlines(datetime.now(UTC))


async def digest() -> None:
    """Email each account its notifications of the day (when REGIE_SMTP_URL is set)."""
    from committees.notify import send_digest

    await send_digest(datetime.now(UTC))


JOBS: list[JobSpec] = [
    # Every minute, and once at start: votes whose deadline passed during downtime close then.
    JobSpec("committees.deadlines", deadlines, "interval", {"minutes": 1}, run_at_start=True),
    JobSpec("committees.digest", digest, "cron", {"hour": 7, "minute": 0}),
]
