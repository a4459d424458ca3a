"""Tariff versions: the tariffs in force per service and territory, created by the initial
set-up or a committee decision, never edited (drafts: tariffs.drafts)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal

from tariffs.model import Tariff, TariffProblem, WordedError
from tariffs.pricer import Version
from tariffs.store import session
from tariffs.tables import Bill, TariffVersion
from tariffs.tariff_file import parse_tariff

Origin = Literal["setup", "decision"]
ORIGINS: tuple[Origin, ...] = ("setup", "decision")


class TariffError(WordedError):
    """A request about tariffs the régie refuses; the message says why, for an operator (an
    error of REASONS also keeps its template and values, for an interface)."""


REASONS: dict[str, str] = {"territory_name": "a territory is a name of 1 to 64 characters"}
"""What an operator's draft is refused for besides its tariff's problems, as English
`%(name)s` templates that an interface can show in its language."""


class InvalidTariff(TariffError):
    """A tariff text with problems; `problems` lists each with its line and field."""

    def __init__(self, problems: list[TariffProblem]) -> None:
        self.problems = problems
        super().__init__("the tariff has problems:\n" + "\n".join(str(p) for p in problems))


class VersionRefused(TariffError):
    """A tariff version that cannot be created (see the message)."""


@dataclass(frozen=True)
class VersionInfo:
    id: int
    service: str
    territory: str
    valid_from: date
    name: str
    unit: str
    period: str
    currency: str
    origin: str
    decision_ref: str | None
    created_at: datetime
    toml: str

    @property
    def tariff(self) -> Tariff:
        return tariff_of(self.id, self.toml)


def read_text(toml_text: str, source: str = "<tariff>") -> Tariff:
    """The tariff written in `toml_text`, or InvalidTariff with every problem."""
    tariff, problems = parse_tariff(toml_text, source)
    if tariff is None:
        raise InvalidTariff(problems)
    return tariff


# Versions are immutable: each is parsed once per process. Keyed by the text too, since a
# test database that is emptied hands the same ids out again.
_PARSED: dict[tuple[int, str], Tariff] = {}


def tariff_of(version_id: int, toml_text: str) -> Tariff:
    """The parsed tariff of a stored version."""
    key = (version_id, toml_text)
    tariff = _PARSED.get(key)
    if tariff is None:
        tariff = _PARSED[key] = read_text(toml_text, f"tariff version {version_id}")
    return tariff


def territory_name(territory: str) -> str:
    territory = territory.strip()
    if not territory or len(territory) > 64:
        raise TariffError.worded(REASONS["territory_name"])
    return territory


async def create_version(
    toml_text: str,
    territory: str,
    *,
    origin: Origin,
    decision_ref: str | None = None,
    now: datetime | None = None,
) -> VersionInfo:
    """Put a tariff in force for its service in `territory` from its `valid_from`.

    Only two things create a version (issue 3): the operators' initial set-up (`origin
    "setup"`, while the service has no version in that territory) and an adopted committee
    decision (`origin "decision"` with its `decision_ref`). Enacting the same decision again
    returns the version it created, so that the committees package may retry safely.
    """
    territory = territory_name(territory)
    if origin not in ORIGINS:
        raise VersionRefused(f"origin must be setup or decision, not {origin!r}")
    if origin == "decision" and not (decision_ref and decision_ref.strip()):
        raise VersionRefused("a version enacted by a decision needs the decision's reference")
    if origin == "setup" and decision_ref is not None:
        raise VersionRefused("the initial set-up is no decision: give no decision reference")
    ref = decision_ref.strip() if decision_ref else None
    if ref is not None and len(ref) > 128:
        raise VersionRefused("a decision reference has at most 128 characters")
    tariff = read_text(toml_text, f"tariff for {territory}")
    async with session(write=True) as db:
        if db.postgres:
            # Version creations are rare: one at a time, so that the checks below hold.
            await db.execute("LOCK TABLE tariff_version IN SHARE ROW EXCLUSIVE MODE")
        if ref is not None:
            done = await TariffVersion.objects().where(TariffVersion.decision_ref == ref).first()
            if done is not None:
                return _enacted_again(_version(done), toml_text, territory, ref)
        await _check_succession(tariff, territory, origin)
        row = TariffVersion(
            service=tariff.service,
            territory=territory,
            valid_from=tariff.valid_from,
            name=tariff.name,
            unit=tariff.unit,
            period=tariff.period,
            currency=tariff.currency,
            toml=toml_text,
            origin=origin,
            decision_ref=ref,
            created_at=now or datetime.now(UTC),
        )
        await row.save()
    return _version(row)


def _enacted_again(done: VersionInfo, toml_text: str, territory: str, ref: str) -> VersionInfo:
    if done.toml != toml_text or done.territory != territory:
        raise VersionRefused(
            f"decision {ref!r} was already enacted as tariff version {done.id} "
            f"({done.service}, {done.territory}, from {done.valid_from}) with another tariff"
        )
    return done


async def _check_succession(tariff: Tariff, territory: str, origin: Origin) -> None:
    """A new version supersedes the latest one from its date; it rewrites no past."""
    where = (TariffVersion.service == tariff.service) & (TariffVersion.territory == territory)
    latest = (
        await TariffVersion.objects()
        .where(where)
        .order_by(TariffVersion.valid_from, ascending=False)
        .first()
    )
    what = f"{tariff.service} in {territory}"
    if latest is None:
        return
    if origin == "setup":
        raise VersionRefused(
            f"{what} already has tariff version {latest.id}: "
            "a new version needs a committee decision"
        )
    if tariff.valid_from <= latest.valid_from:
        raise VersionRefused(
            f"a new version of {what} must take effect after {latest.valid_from} "
            f"(version {latest.id}), not on {tariff.valid_from}"
        )
    for field in ("currency", "unit"):
        if getattr(tariff, field) != getattr(latest, field):
            raise VersionRefused(
                f"the {field} of {what} is {getattr(latest, field)!r}: a version in "
                f"{getattr(tariff, field)!r} cannot follow it"
            )
    billed = (
        await Bill.select(Bill.span_end)
        .where((Bill.service == tariff.service) & (Bill.territory == territory))
        .where(Bill.span_end >= tariff.valid_from)
        .first()
    )
    if billed is not None:
        raise VersionRefused(
            f"{what} is billed up to {billed['span_end']} or later: a new version cannot take "
            f"effect on {tariff.valid_from}, before bills already issued"
        )


def _version(row: Any) -> VersionInfo:
    return VersionInfo(
        id=row.id,
        service=row.service,
        territory=row.territory,
        valid_from=row.valid_from,
        name=row.name,
        unit=row.unit,
        period=row.period,
        currency=row.currency,
        origin=row.origin,
        decision_ref=row.decision_ref,
        created_at=row.created_at,
        toml=row.toml,
    )


async def list_versions(
    *, service: str | None = None, territory: str | None = None
) -> list[VersionInfo]:
    """Versions by service, territory and date."""
    query = TariffVersion.objects().order_by(
        TariffVersion.service, TariffVersion.territory, TariffVersion.valid_from
    )
    if service is not None:
        query = query.where(TariffVersion.service == service)
    if territory is not None:
        query = query.where(TariffVersion.territory == territory)
    return [_version(row) for row in await query]


async def version_in_force(service: str, territory: str, day: date) -> VersionInfo | None:
    """The version of `service` in `territory` that applies on `day`, if any."""
    row = (
        await TariffVersion.objects()
        .where(
            (TariffVersion.service == service)
            & (TariffVersion.territory == territory)
            & (TariffVersion.valid_from <= day)
        )
        .order_by(TariffVersion.valid_from, ascending=False)
        .first()
    )
    return None if row is None else _version(row)


async def versions_until(
    day: date, territory: str | None = None
) -> dict[tuple[str, str], list[Version]]:
    """Every version taking effect up to `day`, parsed, per (service, territory)."""
    query = TariffVersion.select(
        TariffVersion.id, TariffVersion.service, TariffVersion.territory, TariffVersion.toml
    ).where(TariffVersion.valid_from <= day)
    if territory is not None:
        query = query.where(TariffVersion.territory == territory)
    found: dict[tuple[str, str], list[Version]] = defaultdict(list)
    for row in await query:
        tariff = tariff_of(row["id"], row["toml"])
        found[(row["service"], row["territory"])].append(Version(row["id"], tariff))
    return dict(found)
