"""The scheduler (APScheduler 3.x): rollups, overconsumption checks, vote deadlines and
billing runs, gathered from `regie.jobs.*`. Jobs are idempotent, so that a job that runs
twice, or late after downtime, does no harm."""

from __future__ import annotations

import logging

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from regie.jobs import committees, metering, tariffs
from regie.jobs.spec import JobSpec
from regie.settings import get_settings

log = logging.getLogger("regie.scheduler")


def all_jobs() -> list[JobSpec]:
    return [*metering.JOBS, *tariffs.JOBS, *committees.JOBS]


def build_scheduler() -> AsyncIOScheduler:
    """A scheduler with every job, in the régie's time zone; the caller starts it."""
    scheduler = AsyncIOScheduler(timezone=get_settings().timezone)
    for job in all_jobs():
        scheduler.add_job(
            job.func,
            job.trigger,
            id=job.id,
            replace_existing=True,
            coalesce=True,  # several missed runs collapse into one
            max_instances=1,
            misfire_grace_time=3600,
            **job.trigger_args,
        )
    return scheduler


async def run_catch_up() -> None:
    """Run once, at start, the jobs that must catch up after downtime."""
    for job in all_jobs():
        if job.run_at_start:
            try:
                await job.func()
            except Exception:
                log.exception("catch-up of job %s failed", job.id)
