"""Billing runs: every household of a period billed from its daily usage by the versions in
force, each bill numbered without a gap in its year; a period is never billed twice."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from regie.settings import get_settings
from tariffs import service
from tariffs.billing_plan import Pending, Problem, month_span, plan_bills, sub_spans
from tariffs.service import TariffError
from tariffs.store import session
from tariffs.tables import BillingRun

log = logging.getLogger("tariffs.billing")

BATCH = 10_000
"""Bills written per transaction: numbers are taken and bills written together, so that a
failed transaction takes no number; large batches keep a run of 100,000 bills near a second."""


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


def bill_number(year: int, seq: int) -> str:
    return f"{year}-{seq:07d}"


def numbering_year(issued_at: datetime) -> int:
    """Bill numbers run per calendar year of the régie's time zone."""
    return issued_at.astimezone(ZoneInfo(get_settings().timezone)).year


def _month(period: str) -> tuple[date, date]:
    try:
        return month_span(period)
    except ValueError as exc:
        raise BillingError(str(exc)) from None


async def plan_run(
    period: str, *, territory: str | None = None, household: int | None = None
) -> RunPlan:
    """Price the bills of `period` (YYYY-MM) for every household with a meter in service
    during it (or one household); nothing is written. Households that cannot be priced
    (no tariff in force, registers the tariff does not know…) are listed as problems."""
    start, end = _month(period)
    versions = await service.versions_until(end, territory)
    boundaries = {v.tariff.valid_from for found in versions.values() for v in found}
    spans = sub_spans(start, end, boundaries)
    async with session(write=False) as db:
        if db.postgres:
            # The run's rows come sorted by household: enough memory to sort them at once.
            await db.execute("SET LOCAL work_mem = '64MB'")
        per_span = [
            await db.accounts(first, last, start, end, territory, household)
            for first, last in spans
        ]
    bills, problems, recount = plan_bills(period, start, end, spans, versions, per_span)
    if recount:
        await _count_estimated_days(bills, recount, start, end)
    return RunPlan(period, territory, bills, problems)


async def _count_estimated_days(
    bills: list[Pending], recount: list[tuple[int, list[int]]], start: date, end: date
) -> None:
    # One estimated series (the usual case) counts its estimated days directly; where
    # several registers or meters of a household were estimated, a day counts once.
    owner = {meter: index for index, meters in recount for meter in meters}
    days: dict[int, set[date]] = defaultdict(set)
    async with session(write=False) as db:
        for meter, day in await db.estimated_days(start, end, sorted(owner)):
            days[owner[meter]].add(day)
    for index, _ in recount:
        bills[index] = bills[index]._replace(estimated_days=len(days[index]))


def bill_row(
    bill: Pending, year: int, seq: int, issued_at: datetime, run: int | None, content: int
) -> tuple[Any, ...]:
    """The stored row of a pending bill, in the order of `store.RUN_COLUMNS`."""
    return (
        bill_number(year, seq), year, seq, bill.household, bill.estimated_days, bill.usage,
        bill.persons, bill.social, *bill.shared.columns, content, issued_at, run,
    )  # fmt: skip


async def _issue(
    bills: Sequence[Pending],
    period: str,
    issued_at: datetime,
    run: int | None,
    contents: dict[str, int],
) -> tuple[list[int], int]:
    """Number and write `bills` in one transaction; (sequence numbers, already billed).

    The year's counter row is locked first: the check for bills already issued and the
    numbers taken then see every run that finished before, and a failure anywhere rolls the
    numbers back with the bills (no gap)."""
    year = numbering_year(issued_at)
    async with session(write=True) as db:
        last = await db.lock_counter(year)
        done = await db.billed(period, {b.household for b in bills})
        fresh = [b for b in bills if (b.household, b.service) not in done]
        rows = [
            bill_row(b, year, last + i, issued_at, run, contents[b.shared.priced.detail])
            for i, b in enumerate(fresh, 1)
        ]
        await db.insert_bills(rows)
        if fresh:
            await db.set_counter(year, last + len(fresh))
    return [last + i for i in range(1, len(fresh) + 1)], len(bills) - len(fresh)


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
    issued_at = now or datetime.now(UTC)
    year = numbering_year(issued_at)
    row = BillingRun(period=plan.period, territory=plan.territory, started_at=issued_at)
    await row.save()
    report = RunReport(row.id, plan.period, plan.territory, problems=list(plan.problems))
    seqs: list[int] = []
    completed = False
    try:
        async with session(write=True) as db:
            # Each distinct content once (households priced alike share it); a content whose
            # bills then fail stays, unused: contents are immutable and harmless.
            contents = await db.content_ids({b.shared.priced.detail for b in plan.bills})
        for i in range(0, len(plan.bills), batch):
            chunk = plan.bills[i : i + batch]
            try:
                numbers, skipped = await _issue(chunk, plan.period, issued_at, row.id, contents)
                seqs += numbers
                report.already_billed += skipped
            except OSError:
                raise  # the database is gone: stop, and let a re-run carry on
            except Exception:
                log.warning("batch of %d bills failed; issuing them one by one", len(chunk))
                for one in chunk:
                    try:
                        numbers, skipped = await _issue(
                            [one], plan.period, issued_at, row.id, contents
                        )
                        seqs += numbers
                        report.already_billed += skipped
                    except OSError:
                        raise
                    except Exception as exc:
                        log.exception("bill of %s %s not issued", one.reference, one.service)
                        report.problems.append(
                            Problem(one.reference, one.service, f"not issued: {exc}")
                        )
            if progress is not None:
                progress(len(chunk))
        completed = True
    finally:
        report.issued = len(seqs)
        if seqs:
            report.first_number = bill_number(year, min(seqs))
            report.last_number = bill_number(year, max(seqs))
        await _close_run(row.id, report, "done" if completed else "failed")
    return report


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


async def bill_period(
    period: str,
    *,
    territory: str | None = None,
    now: datetime | None = None,
    progress: Callable[[int], None] | None = None,
) -> RunReport:
    """Plan and issue the bills of `period`; running it again issues nothing twice."""
    plan = await plan_run(period, territory=territory)
    return await issue_run(plan, now=now, progress=progress)
