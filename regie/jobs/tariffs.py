"""Scheduled jobs of `tariffs`."""

from regie.jobs.spec import JobSpec

JOBS: list[JobSpec] = []
