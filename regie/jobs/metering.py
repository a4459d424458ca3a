"""Scheduled jobs of `metering`: the daily regulation run (night use, rules, cases)."""

from __future__ import annotations

from metering.regulation.daily import DayReport, run_daily
from regie.jobs.spec import JobSpec


async def regulation_daily() -> list[DayReport]:
    """Evaluate the overconsumption rules for yesterday (and days missed while down)."""
    return await run_daily()


JOBS: list[JobSpec] = [
    JobSpec(
        id="metering.regulation_daily",
        func=regulation_daily,
        trigger="cron",
        # After midnight's rollups and once the night's last readings have come in; in the
        # scheduler's time zone (REGIE_TIMEZONE).
        trigger_args={"hour": 6, "minute": 30},
        run_at_start=True,  # catch up days missed while the app was down (idempotent)
    )
]
