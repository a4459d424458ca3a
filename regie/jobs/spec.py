"""What a scheduled job is: an id, an APScheduler trigger and an async function."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class JobSpec:
    id: str
    func: Callable[[], Awaitable[Any]]
    trigger: str  # "cron" | "interval"
    trigger_args: dict[str, Any]
    run_at_start: bool = False  # catch up after downtime (e.g. votes whose deadline passed)
