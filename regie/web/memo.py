"""Small in-process caches of computed read models, keyed on everything they depend on (the
day, the data versions of regie.core.versions): an entry is never stale, it is only no longer
asked for, and the oldest go when a cache is full. Concurrent misses of one key share one
computation, so that twenty requests arriving on a cold cache compute it once."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, Generic, TypeVar

from litestar import Request

from regie.core.versions import data_versions

V = TypeVar("V")

_ALL: list[Memo[object]] = []


class Memo(Generic[V]):
    def __init__(self, size: int) -> None:
        self.size = size
        self._done: OrderedDict[Hashable, V] = OrderedDict()
        self._running: dict[Hashable, asyncio.Task[V]] = {}
        _ALL.append(self)  # type: ignore[arg-type]

    async def get(self, key: Hashable, compute: Callable[[], Awaitable[V]]) -> V:
        if key in self._done:
            self._done.move_to_end(key)
            return self._done[key]
        task = self._running.get(key)
        if task is None or task.get_loop() is not asyncio.get_running_loop():
            task = asyncio.ensure_future(compute())
            self._running[key] = task
            task.add_done_callback(lambda done: self._settle(key, done))
        return await asyncio.shield(task)

    def _settle(self, key: Hashable, task: asyncio.Task[V]) -> None:
        if self._running.get(key) is task:
            del self._running[key]
        if task.cancelled() or task.exception() is not None:
            return  # not kept: the next request computes again (and sees the error itself)
        self._done[key] = task.result()
        self._done.move_to_end(key)
        while len(self._done) > self.size:
            self._done.popitem(last=False)

    def clear(self) -> None:
        self._done.clear()


async def versions_of(request: Request[Any, Any, Any]) -> dict[str, int]:
    """The data versions, read once per request, before any data they guard (a handler that
    changed data sets `request.state.data_versions` to None to have them read again)."""
    found: dict[str, int] | None = getattr(request.state, "data_versions", None)
    if found is None:
        found = request.state.data_versions = await data_versions()
    return found


def forget_all() -> None:
    """Empty every cache (tests that want to see a computation happen)."""
    for memo in _ALL:
        memo.clear()
