"""Billing runs: every household of a period billed from its daily usage by the versions in
force, each bill numbered without a gap in its year; a period is never billed twice."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from tariffs import service, store
from tariffs.biller import bill_chunks
from tariffs.billing_plan import (
    Pending,
    Problem,
    Row,
    household_of,
    join_usage,
    month_span,
    sub_spans,
    to_recount,
)
from tariffs.issuing import Writer, bill_number, numbering_year
from tariffs.pricer import Version
from tariffs.service import TariffError
from tariffs.store import session
from tariffs.tables import BillingRun

log = logging.getLogger("tariffs.billing")

BATCH = 10_000
"""Bills written per transaction: numbers are taken and bills written together, so that a
failed transaction takes no number; a run of 100,000 bills commits ten times."""


CHUNK = 50
"""Households priced between two turns of the event loop, in which the writer sends a batch.
Each step of the writer (a query, a part of a COPY) waits for the chunk being priced: with
200 households a chunk, pricing waited 0.16 s of a run for batches still being written, and
with 1,000, 0.85 s; with 50, it hardly waits (2,000 turns of the loop cost about 20 ms)."""


class BillingError(TariffError):
    """A billing request the régie refuses (a malformed period…)."""


@dataclass
class RunPlan:
    period: str
    territory: str | None
    bills: list[Pending]
    problems: list[Problem] = field(default_factory=list)


@dataclass
class RunReport:
    run: int
    period: str
    territory: str | None
    issued: int = 0
    already_billed: int = 0
    problems: list[Problem] = field(default_factory=list)
    first_number: str | None = None
    last_number: str | None = None


_paused = 0  # runs under way with the cyclic garbage collector paused


@contextmanager
def _without_cyclic_gc() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for the duration of a run.

    A run of 100,000 households allocates a few hundred thousand rows, bills and tuples,
    none of them in a cycle: reference counting frees them all the same, but the cyclic
    collector walks them again and again as they pile up, which measured a fifth of the
    run (0.3 to 0.5 s of 2.7 s). It resumes when the last run under way ends, and only if
    it was on."""
    global _paused
    if _paused == 0 and not gc.isenabled():
        yield  # someone else turned it off: leave it so
        return
    _paused += 1
    gc.disable()
    try:
        yield
    finally:
        _paused -= 1
        if _paused == 0:
            gc.enable()


def _month(period: str) -> tuple[date, date]:
    try:
        return month_span(period)
    except ValueError as exc:
        raise BillingError(str(exc)) from None


@dataclass
class _Gathered:
    """What a run read: its versions, the sub-spans where they change, the rows of each."""

    start: date
    end: date
    spans: list[tuple[date, date]]
    versions: dict[tuple[str, str], list[Version]]
    per_span: Sequence[Sequence[Row]]
    recounted: dict[tuple[int, str], int]

    def chunks(self, period: str, size: int = 500) -> Iterator[tuple[list[Pending], list[Problem]]]:
        args = (self.start, self.end, self.spans, self.versions, self.per_span, self.recounted)
        return bill_chunks(period, *args, size=size)

    @property
    def households(self) -> int:
        """Households and services to bill (a count for progress bars)."""
        return len(dict.fromkeys(map(household_of, self.per_span[0]))) if self.per_span else 0


async def _gather(period: str, territory: str | None, household: int | None) -> _Gathered:
    start, end = _month(period)
    versions = await service.versions_until(end, territory)
    boundaries = {v.tariff.valid_from for found in versions.values() for v in found}
    spans = sub_spans(start, end, boundaries)
    async with session(write=False) as db:
        # (Reading the meters while the usage is summed gains nothing: the sum already keeps
        # both processors of the database busy.)
        meters = await db.meters(start, end, territory, household)
        first_usage = await db.usage(*spans[0], territory, household)
        estimated: dict[tuple[int, str], list[int]] = {}
        per_span = [join_usage(meters, first_usage, estimated)]
        for first, last in spans[1:]:
            use = await db.usage(first, last, territory, household)
            per_span.append(join_usage(meters, use, estimated))
        # Where several registers or meters of a household were estimated, a day counts once.
        owner = to_recount(estimated)
        days: dict[tuple[int, str], set[date]] = defaultdict(set)
        if owner:
            for meter, day in await db.estimated_days(start, end, sorted(owner)):
                days[owner[meter]].add(day)
    recounted = {key: len(found) for key, found in days.items()}
    return _Gathered(start, end, spans, versions, per_span, recounted)


async def plan_run(
    period: str, *, territory: str | None = None, household: int | None = None
) -> RunPlan:
    """Price the bills of `period` (YYYY-MM) for every household with a meter in service
    during it (or one household); nothing is written. Households that cannot be priced
    (no tariff in force, registers the tariff does not know…) are listed as problems."""
    with _without_cyclic_gc():
        gathered = await _gather(period, territory, household)
        plan = RunPlan(period, territory, [])
        for bills, problems in gathered.chunks(period):
            plan.bills += bills
            plan.problems += problems
    return plan


async def issue_run(
    plan: RunPlan,
    *,
    now: datetime | None = None,
    batch: int = BATCH,
    progress: Callable[[int], None] | None = None,
) -> RunReport:
    """Issue the bills of a plan, in batches; `progress` gets the count of each batch done.

    A batch that fails is retried one bill per transaction, so that only the failing
    households are left out (as problems, with no number taken); a re-run bills them."""

    async def batches() -> AsyncIterator[list[Pending]]:
        for i in range(0, len(plan.bills), batch):
            yield plan.bills[i : i + batch]

    problems = list(plan.problems)
    with _without_cyclic_gc():
        return await _issue_all(plan.period, plan.territory, problems, batches(), now, progress)


async def bill_period(
    period: str,
    *,
    territory: str | None = None,
    now: datetime | None = None,
    progress: Callable[[int], None] | None = None,
    started: Callable[[int], None] | None = None,
) -> RunReport:
    """Bill `period`: running it again issues nothing twice. `started` gets the number of
    households and services to bill, `progress` the count of each batch written.

    Pricing and writing overlap: while the database writes a batch, the next is priced."""
    with _without_cyclic_gc():
        return await _bill_period(period, territory, now, progress, started)


async def _bill_period(
    period: str,
    territory: str | None,
    now: datetime | None,
    progress: Callable[[int], None] | None,
    started: Callable[[int], None] | None,
) -> RunReport:
    gathered = await _gather(period, territory, None)
    if started is not None:
        started(gathered.households)
    problems: list[Problem] = []

    async def batches() -> AsyncIterator[list[Pending]]:
        ready: list[Pending] = []
        for bills, found in gathered.chunks(period, CHUNK):
            ready += bills
            problems.extend(found)
            if len(ready) >= BATCH:
                yield ready
                ready = []
            await asyncio.sleep(0)  # the writer sends its batch between two chunks
        if ready:
            yield ready

    return await _issue_all(period, territory, problems, batches(), now, progress)


async def _issue_all(
    period: str,
    territory: str | None,
    problems: list[Problem],
    batches: AsyncIterator[list[Pending]],
    now: datetime | None,
    progress: Callable[[int], None] | None,
) -> RunReport:
    """Write batches of bills as they come, one batch in flight at a time, and record the
    run (`problems` may still grow while batches come: pricing problems)."""
    issued_at = now or datetime.now(UTC)
    year = numbering_year(issued_at)
    row = BillingRun(period=period, territory=territory, started_at=issued_at)
    await row.save()
    report = RunReport(row.id, period, territory, problems=problems)
    async with store.connection() as connection:
        writer = Writer(period, issued_at, row.id, problems, progress, connection)
        completed = False
        try:
            await _write_all(batches, writer)
            completed = True
        finally:
            report.issued = len(writer.seqs)
            report.already_billed = writer.already_billed
            if writer.seqs:
                report.first_number = bill_number(year, min(writer.seqs))
                report.last_number = bill_number(year, max(writer.seqs))
            await _close_run(row.id, report, "done" if completed else "failed")
    return report


async def _write_all(batches: AsyncIterator[list[Pending]], writer: Writer) -> None:
    """Each batch as it comes, while the next is made; one batch in flight at a time."""
    flight: asyncio.Task[None] | None = None
    try:
        async for chunk in batches:
            if flight is not None:
                await flight
            flight = asyncio.create_task(writer.write(chunk))
        if flight is not None:
            await flight
    finally:
        if flight is not None:
            # Pricing failed while a batch was being written: let that batch commit or roll
            # back on its own before the run is recorded.
            await asyncio.wait([flight])
            if not flight.cancelled():
                flight.exception()  # retrieved: it was raised above, or the run failed anyway


async def _close_run(run: int, report: RunReport, status: str) -> None:
    await BillingRun.update(
        {
            BillingRun.finished_at: datetime.now(UTC),
            BillingRun.status: status,
            BillingRun.issued: report.issued,
            BillingRun.already_billed: report.already_billed,
            BillingRun.problems: "\n".join(str(p) for p in report.problems),
        }
    ).where(BillingRun.id == run)
