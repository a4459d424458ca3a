"""Issuing bills: numbers taken without a gap in the same transaction as the bills they
number, each distinct bill content stored once, batches that fail written one by one."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from operator import itemgetter
from typing import Any
from zoneinfo import ZoneInfo

from regie.settings import get_settings
from tariffs.billing_plan import Pending, Problem
from tariffs.store import session

log = logging.getLogger("tariffs.billing")

_shared_of = itemgetter(6)  # Pending.shared


def bill_number(year: int, seq: int) -> str:
    return f"{year}-{seq:07d}"


def numbering_year(issued_at: datetime) -> int:
    """Bill numbers run per calendar year of the régie's time zone."""
    return issued_at.astimezone(ZoneInfo(get_settings().timezone)).year


def bill_row(
    bill: Pending, year: int, seq: int, issued_at: datetime, run: int | None, content: int
) -> tuple[Any, ...]:
    """The stored row of a pending bill, in the order of `store.RUN_COLUMNS`."""
    return bill_rows([bill], year, seq, issued_at, run, {bill.shared.priced.detail: content})[0]


def bill_rows(
    bills: Sequence[Pending],
    year: int,
    first: int,
    issued_at: datetime,
    run: int | None,
    contents: Mapping[str, int],
) -> list[tuple[Any, ...]]:
    """The stored rows of `bills` numbered from `first` on, in the order of
    `store.RUN_COLUMNS`; what households priced alike share is put together once."""
    tails: dict[int, tuple[Any, ...]] = {}  # by Shared (its id: hashing it reads it all)
    rows = []
    for seq, (household, _, estimated, usage, persons, social, shared) in enumerate(bills, first):
        tail = tails.get(id(shared))
        if tail is None:
            content = contents[shared.priced.detail]
            tail = tails[id(shared)] = (*shared.columns, content, issued_at, run)
        # (bill_number written out: this runs 100,000 times a run.)
        number = f"{year}-{seq:07d}"
        rows.append((number, year, seq, household, estimated, usage, persons, social, *tail))
    return rows


async def issue(
    bills: Sequence[Pending],
    period: str,
    issued_at: datetime,
    run: int | None,
    stored: dict[str, int],
    connection: Any = None,
) -> tuple[list[int], int, dict[str, int]]:
    """Number and write `bills` in one transaction, with the contents not `stored` yet;
    (sequence numbers, already billed, contents stored).

    The year's counter row is locked first: the check for bills already issued and the
    numbers taken then see every run that finished before, and a failure anywhere rolls the
    numbers back with the bills (no gap)."""
    year = numbering_year(issued_at)
    async with session(write=True, connection=connection) as db:
        last = await db.lock_counter(year)
        done = await db.billed(period, {b.household for b in bills})
        fresh = [b for b in bills if (b.household, b.service) not in done] if done else bills
        # Each distinct content once (households priced alike share it).
        shared = {id(s): s for s in map(_shared_of, fresh)}
        new = {s.priced.detail for s in shared.values()} - stored.keys()
        contents = await db.content_ids(new)
        ids = stored | contents if contents else stored
        await db.insert_bills(bill_rows(fresh, year, last + 1, issued_at, run, ids))
        if fresh:
            await db.set_counter(year, last + len(fresh))
    return [last + i for i in range(1, len(fresh) + 1)], len(bills) - len(fresh), contents


class Writer:
    """Writes batches of bills of a run, each in its own transaction (see `issue`); a batch
    that fails is written again one bill per transaction, so that only the failing
    households are left out (as problems, with no number taken)."""

    def __init__(
        self,
        period: str,
        issued_at: datetime,
        run: int,
        problems: list[Problem],
        progress: Callable[[int], None] | None,
        connection: Any = None,
    ) -> None:
        self.period, self.issued_at, self.run = period, issued_at, run
        self.connection = connection  # store.connection(): one for every batch
        self.problems, self.progress = problems, progress
        self.contents: dict[str, int] = {}  # contents stored by this run
        self.seqs: list[int] = []
        self.already_billed = 0

    async def write(self, chunk: list[Pending]) -> None:
        try:
            await self._issue(chunk)
        except OSError:
            raise  # the database is gone: stop, and let a re-run carry on
        except Exception:
            log.warning("batch of %d bills failed; issuing them one by one", len(chunk))
            for one in chunk:
                try:
                    await self._issue([one])
                except OSError:
                    raise
                except Exception as exc:
                    log.exception("bill of %s %s not issued", one.reference, one.service)
                    problem = Problem(one.reference, one.service, f"not issued: {exc}")
                    self.problems.append(problem)
        if self.progress is not None:
            self.progress(len(chunk))

    async def _issue(self, bills: Sequence[Pending]) -> None:
        numbers, skipped, contents = await issue(
            bills, self.period, self.issued_at, self.run, self.contents, self.connection
        )
        self.seqs += numbers
        self.already_billed += skipped
        self.contents.update(contents)  # committed with the bills
