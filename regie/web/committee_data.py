"""What the committee and public pages read: the committees where a member sits, a
committee's consumption dashboard, a proposal as its members see it (their ballot, the
turnout while the vote is open, the counts per college once closed, the impact of a tariff
draft), and the public decisions. Web-side read models; no household name or address."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from piccolo.query.functions.aggregate import Count

from committees.errors import NotFound
from committees.lifecycle import DECIDED, Status
from committees.proposals import ProposalView, get_proposal, list_proposals
from committees.service import CommitteeInfo, get_committee, list_committees
from committees.tables import CollegeTally, Elector, Membership, Proposal, Vote
from metering.regulation.views import QueueRow, committee_queue
from metering.regulation.views import dashboard as regulation_dashboard
from regie.web import committees_usage as usage
from regie.web.memo import Memo
from regie.web.refusals import worded
from tariffs import costs_store
from tariffs import service as tariff_service
from tariffs.costs import CostSummary
from tariffs.impact import ImpactSummary, draft_impact, last_twelve_months

PUBLISHED = frozenset({*DECIDED, Status.ENACTED})  # what the public pages show


@dataclass(frozen=True)
class Seat:
    committee: CommitteeInfo
    college: str
    since: datetime


def _sitting(at: datetime) -> Any:
    return (Membership.starts_at <= at) & (Membership.ends_at.is_null() | (Membership.ends_at > at))


async def seats_of(account: int, now: datetime) -> list[Seat]:
    """The committees where the account sits now, with its college, by committee name."""
    rows = await Membership.select(
        Membership.committee, Membership.college.name, Membership.starts_at
    ).where((Membership.account == account) & _sitting(now))
    found = {r["committee"]: r for r in rows}
    return [
        Seat(c, found[c.id]["college.name"], found[c.id]["starts_at"])
        for c in await list_committees()
        if c.id in found
    ]


async def seat_in(
    committee: int, account: int, now: datetime, versions: Mapping[str, int] | None = None
) -> Seat | None:
    """The account's seat in this committee now; None when it does not sit there (or the
    committee does not exist: the two are not told apart). With `versions`, the account's
    memberships of the committee and the committee itself (its charter parsed) are kept per
    versions of committees, colleges and memberships; who sits *now* is decided at each call."""
    if versions is None:
        terms = await _terms(committee, account)
    else:
        terms = await _TERMS.get(
            (committee, account, usage.versions.pick(versions, SEAT_TABLES)),
            lambda: _terms(committee, account),
        )
    sitting = [t for t in terms if t[1] <= now and (t[2] is None or t[2] > now)]
    if not sitting:
        return None
    college, starts_at, _ = min(sitting)  # as `membership_at` finds it, without the others
    try:
        if versions is None:
            info = await get_committee(committee)
        else:
            key = (committee, usage.versions.pick(versions, ("committee", "college")))
            info = await _COMMITTEES.get(key, lambda: get_committee(committee))
        return Seat(info, college, starts_at)
    except NotFound:
        return None


Term = tuple[str, datetime, datetime | None]  # college, starts at, ends at (None: open)
SEAT_TABLES = ("committee", "college", "membership")


async def _terms(committee: int, account: int) -> list[Term]:
    """Every membership of the account in the committee, past, present and future."""
    rows = await Membership.select(
        Membership.college.name, Membership.starts_at, Membership.ends_at
    ).where((Membership.committee == committee) & (Membership.account == account))
    return [(r["college.name"], r["starts_at"], r["ends_at"]) for r in rows]


async def proposal_of(committee: int, proposal: int) -> ProposalView | None:
    """The proposal if it belongs to this committee (another committee's is not found)."""
    try:
        found = await get_proposal(proposal)
    except NotFound:
        return None
    return found if found.committee == committee else None


# -- the dashboard -------------------------------------------------------------------------


def ratio(part: int, whole: int) -> Decimal | None:
    """part / whole to four places (a percentage to two), None when whole is 0."""
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"), ROUND_HALF_EVEN)


@dataclass(frozen=True)
class Dashboard:
    """A committee's year: the twelve whole months before this one, against the year before."""

    service: str
    territory: str
    start: date
    end: date
    tariff: str | None  # the name of the tariff in force at the end
    households: int
    social: int
    distribution: usage.Distribution
    months: tuple[usage.MonthUse, ...]
    last_year: tuple[usage.MonthUse, ...]  # the same months a year earlier
    social_use: int  # base units, social households together
    other_use: int
    revenue_cents: int  # bills less credit notes, excl. VAT: what the régie receives
    revenue_last_year_cents: int
    currency: str

    @property
    def total(self) -> int:
        return sum(m.use for m in self.months)

    @property
    def last_total(self) -> int:
        return sum(m.use for m in self.last_year)

    @property
    def trend(self) -> Decimal | None:
        """The change against the year before (0.05: 5 % more); None without a year before."""
        return ratio(self.total - self.last_total, self.last_total)

    @property
    def estimated_share(self) -> Decimal | None:
        """The share of the year's use estimated for days without readings."""
        return ratio(sum(m.estimated for m in self.months), self.total)

    def block_share(self, row: usage.BlockRow) -> Decimal | None:
        """The share of all use that falls in this block."""
        return ratio(row.use, sum(b.use for b in self.distribution.blocks))

    @property
    def social_average(self) -> int | None:
        return self.social_use // self.social if self.social else None

    @property
    def other_average(self) -> int | None:
        others = self.households - self.social
        return self.other_use // others if others else None


async def dashboard(
    info: CommitteeInfo, today: date, versions: Mapping[str, int] | None = None
) -> Dashboard:
    """Kept per committee, day and data versions (read here unless given): computed again
    only after a change to the usage of its months, meters, households, tariff versions or
    bills."""
    start, end = last_twelve_months(today)
    return await _BOARDS.get(
        await board_key(info, today, versions), lambda: _dashboard(info, start, end)
    )


async def board_key(
    info: CommitteeInfo, today: date, versions: Mapping[str, int] | None = None
) -> tuple[Any, ...]:
    start, end = last_twelve_months(today)
    first = usage.year_before(start)
    if versions is None:
        found = await usage.fingerprint(first, end)
    else:
        found = usage.versions.pick(versions, usage.names(first, end))
    return (info.id, info.service, info.territory, today, found)


_BOARDS: Memo[Dashboard] = Memo(size=32)
_QUEUES: Memo[list[QueueRow]] = Memo(size=64)
_COMMITTEES: Memo[CommitteeInfo] = Memo(size=256)
_TERMS: Memo[list[Term]] = Memo(size=4096)
_PROPOSALS: Memo[list[ProposalView]] = Memo(size=64)


async def queue(
    info: CommitteeInfo, today: date, closed: bool, versions: Mapping[str, int]
) -> list[QueueRow]:
    """The committee's overconsumption queue (no names), newest cases first, each case with
    the block its household reaches on the dashboard: kept per dashboard and versions of
    cases, their events and households."""
    board = await dashboard(info, today, versions)
    key = (
        await board_key(info, today, versions), closed,
        usage.versions.pick(versions, ("regulation_case", "regulation_case_event", "household")),
    )  # fmt: skip

    async def newest_first() -> list[QueueRow]:
        cases = await committee_queue(
            info.territory, info.service, include_closed=closed, bands=board.distribution.reached
        )
        return sorted(cases, key=lambda c: (c.opened_on, c.case), reverse=True)

    return await _QUEUES.get(key, newest_first)


_CASE_WEEKS: Memo[dict[str, Any]] = Memo(size=64)
_COSTS: Memo[CostSummary] = Memo(size=64)
WEEKS = 12  # weeks of cases counted on the committee's page


async def case_weeks(
    info: CommitteeInfo, today: date, versions: Mapping[str, int]
) -> dict[str, Any]:
    """Cases opened over the last twelve ISO weeks, by rule and by week, with the volume
    involved and how many ended after a notice alone (issue 5's dashboard): kept per day and
    versions of cases."""
    monday = today - timedelta(days=today.weekday())
    first = monday - timedelta(weeks=WEEKS - 1)
    weeks = []
    for n in range(WEEKS):
        year, week, _ = (first + timedelta(weeks=n)).isocalendar()
        weeks.append(f"{year}-W{week:02d}")

    async def count() -> dict[str, Any]:
        stats = await regulation_dashboard(info.territory, info.service, since=first, until=today)
        return {"case_stats": stats, "case_weeks": weeks, "case_since": first}

    key = (info.id, today, usage.versions.pick(versions, ("regulation_case",)))
    return await _CASE_WEEKS.get(key, count)


async def costs(
    info: CommitteeInfo, start: date, end: date, versions: Mapping[str, int]
) -> CostSummary:
    """The régie's costs over the dashboard's months, kept per versions of cost lines."""
    key = (info.id, start, end, usage.versions.pick(versions, ("cost_line",)))
    where = (info.service, info.territory)
    return await _COSTS.get(key, lambda: costs_store.between(*where, start, end))


async def proposals(info: CommitteeInfo, versions: Mapping[str, int]) -> list[ProposalView]:
    """The committee's proposals in filing order, kept per versions of proposals and
    signatures (a copy: callers sort it)."""
    key = (info.id, usage.versions.pick(versions, ("proposal", "signature")))
    return list(await _PROPOSALS.get(key, lambda: list_proposals(info.id)))


async def _dashboard(info: CommitteeInfo, start: date, end: date) -> Dashboard:
    service, territory = info.service, info.territory
    use = await usage.monthly(service, territory, usage.year_before(start), end)
    uses = {u.household: u for u in use.over(12, 23)}  # the dashboard's year
    found = await tariff_service.version_in_force(service, territory, end)
    months = use.month_totals()
    totals = {h: usage.shown_total(u.sums) for h, u in uses.items()}
    revenue, currency = await usage.revenue_cents(service, territory, start, end)
    before, _ = await usage.revenue_cents(
        service, territory, usage.year_before(start), usage.day_before(start)
    )
    return Dashboard(
        service=service,
        territory=territory,
        start=start,
        end=end,
        tariff=found.name if found else None,
        households=len(uses),
        social=sum(u.social for u in uses.values()),
        distribution=usage.distribute(found.tariff if found else None, uses.values(), start, end),
        months=tuple(months[12:]),
        last_year=tuple(months[:12]),
        social_use=sum(totals[h] for h, u in uses.items() if u.social),
        other_use=sum(totals[h] for h, u in uses.items() if not u.social),
        revenue_cents=revenue,
        revenue_last_year_cents=before,
        currency=currency,
    )


# -- a proposal as members see it ----------------------------------------------------------


@dataclass(frozen=True)
class Ballot:
    """The member's standing in a proposal's vote."""

    college: str | None  # the college it votes in; None: not in the electorate frozen at opening
    choice: str | None  # its current vote
    cast_at: datetime | None


async def ballot_of(proposal: int, account: int) -> Ballot:
    elector = (
        await Elector.select(Elector.college)
        .where((Elector.proposal == proposal) & (Elector.account == account))
        .first()
    )
    vote = (
        await Vote.select(Vote.choice, Vote.cast_at)
        .where((Vote.proposal == proposal) & (Vote.account == account))
        .first()
    )
    return Ballot(
        elector["college"] if elector else None,
        vote["choice"] if vote else None,
        vote["cast_at"] if vote else None,
    )


@dataclass(frozen=True)
class CollegeCount:
    college: str
    members: int  # electorate at opening
    cast: int
    yes: int | None  # None while the vote is open: only the turnout is shown
    no: int | None
    abstain: int | None


@dataclass(frozen=True)
class Tally:
    closed: bool
    colleges: tuple[CollegeCount, ...]
    result: str | None
    rule: str
    weighted_yes: str | None
    reasons: tuple[str, ...]


async def tally_of(view: ProposalView, info: CommitteeInfo) -> Tally:
    """Counts per college once closed; while the vote is open, the turnout only (ballots
    cast per college), so that nobody votes on a running score."""
    order = {name: i for i, name in enumerate(info.charter.college_names)}
    if view.closed_at is not None:
        rows = await CollegeTally.select().where(CollegeTally.proposal == view.id)
        counts = [
            CollegeCount(
                r["college"], r["members"], r["yes"] + r["no"] + r["abstain"],
                r["yes"], r["no"], r["abstain"],
            )
            for r in rows
        ]  # fmt: skip
    else:
        electorate = Counter(
            r["college"]
            for r in await Elector.select(Elector.college).where(Elector.proposal == view.id)
        )
        cast = {
            r["college"]: r["n"]
            for r in await Vote.select(Vote.college, Count(alias="n"))
            .where(Vote.proposal == view.id)
            .group_by(Vote.college)
        }
        counts = [
            CollegeCount(c, electorate.get(c, 0), cast.get(c, 0), None, None, None)
            for c in info.charter.college_names
        ]
    counts.sort(key=lambda c: order.get(c.college, len(order)))
    return Tally(
        view.closed_at is not None, tuple(counts), view.result, view.rule, view.weighted_yes,
        view.reasons,
    )  # fmt: skip


@dataclass(frozen=True)
class Impact:
    summary: ImpactSummary | None
    error: tariff_service.TariffError | None  # why there is no impact to show
    currency: str = "EUR"

    @property
    def problem(self) -> str | None:
        """Why there is no impact, in the language of the page showing it: an impact is kept
        for every page, whatever its language."""
        return None if self.error is None else worded(self.error)


async def impact_of(view: ProposalView, info: CommitteeInfo, today: date) -> Impact:
    """The draft billed over the last twelve months of real use against the tariff in force;
    kept per draft, day and data versions like the dashboard (a proposal's text never
    changes)."""
    start, end = last_twelve_months(today)
    key = (view.id, view.tariff_text, info.territory, today, await usage.fingerprint(start, end))

    async def compute() -> Impact:
        try:
            draft = tariff_service.read_text(view.tariff_text, f"proposal {view.id}")
            summary, _ = await draft_impact(draft, info.territory, today=today)
            return Impact(summary, None, draft.currency)
        except tariff_service.TariffError as exc:
            return Impact(None, exc.with_traceback(None))  # kept: not its frames

    found: Impact = await usage.IMPACTS.get(key, compute)
    return found


# -- public decisions ----------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    proposal: ProposalView
    committee: CommitteeInfo
    tally: Tally


async def decisions(committee: int | None = None, proposal: int | None = None) -> list[Decision]:
    """Decided proposals, latest first, with their counts per college."""
    infos = {c.id: c for c in await list_committees()}
    chosen = [committee] if committee is not None else sorted(infos)
    found: list[Decision] = []
    for cid in chosen:
        if cid not in infos:
            continue
        for view in await list_proposals(cid):
            if view.status in PUBLISHED and proposal in (None, view.id):
                found.append(Decision(view, infos[cid], await tally_of(view, infos[cid])))
    found.sort(key=lambda d: (d.proposal.closed_at or d.proposal.filed_at, d.proposal.id))
    found.reverse()
    return found


async def counts_by_status(committee: int) -> dict[str, int]:
    rows = (
        await Proposal.select(Proposal.status, Count(alias="n"))
        .where(Proposal.committee == committee)
        .group_by(Proposal.status)
    )
    return {r["status"]: r["n"] for r in rows}
