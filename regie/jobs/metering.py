"""Scheduled jobs of `metering`."""

from regie.jobs.spec import JobSpec

JOBS: list[JobSpec] = []
