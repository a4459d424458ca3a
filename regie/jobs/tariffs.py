"""Scheduled jobs of `tariffs`: the monthly billing run of the month before."""

from __future__ import annotations

import logging
from datetime import date, datetime
from zoneinfo import ZoneInfo

from regie.jobs.spec import JobSpec
from regie.settings import get_settings

log = logging.getLogger("regie.jobs.tariffs")

BILLING_DAY = 2
"""Bills go out on the 2nd: the last day's readings and rollups have a day to come in, since an
issued bill is never changed."""


async def monthly_billing(today: date | None = None) -> str | None:
    """Bill the month before `today` (the régie's date); the period billed, or None before the
    billing day. Idempotent: a period already billed issues nothing twice."""
    from tariffs.billing import bill_period
    from tariffs.billing_plan import previous_month

    today = today or datetime.now(ZoneInfo(get_settings().timezone)).date()
    if today.day < BILLING_DAY:
        return None
    period = previous_month(today)
    report = await bill_period(period)
    log.info(
        "billing %s: %d issued, %d already billed, %d not billed",
        period, report.issued, report.already_billed, len(report.problems),
    )  # fmt: skip
    for problem in report.problems:
        log.warning("not billed: %s", problem)
    return period


JOBS: list[JobSpec] = [
    JobSpec(
        id="tariffs.monthly_billing",
        func=monthly_billing,
        trigger="cron",
        trigger_args={"day": BILLING_DAY, "hour": 6, "minute": 0},
        run_at_start=True,  # catch up a billing day missed while the app was down
    )
]
