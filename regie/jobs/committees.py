"""Scheduled jobs of `committees`."""

from regie.jobs.spec import JobSpec

JOBS: list[JobSpec] = []
