"""Operators' draft tariffs: kept, edited and deleted at will; billing never reads them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from tariffs.model import Tariff
from tariffs.service import TariffError, read_text, territory_name
from tariffs.tables import TariffDraft


class DraftNotFound(TariffError, LookupError):
    """No draft has that id."""


@dataclass(frozen=True)
class DraftInfo:
    id: int
    service: str
    territory: str
    name: str
    valid_from: date
    author: str
    created_at: datetime
    updated_at: datetime
    toml: str

    @property
    def tariff(self) -> Tariff:
        return read_text(self.toml, f"draft {self.id}")


async def save_draft(
    toml_text: str,
    territory: str,
    *,
    draft_id: int | None = None,
    author: str = "",
    now: datetime | None = None,
) -> DraftInfo:
    """Save a new draft, or replace the text of draft `draft_id`; the text must be valid."""
    territory = territory_name(territory)
    tariff = read_text(toml_text, "draft")
    moment = now or datetime.now(UTC)
    values: dict[Any, Any] = {
        TariffDraft.service: tariff.service,
        TariffDraft.territory: territory,
        TariffDraft.name: tariff.name,
        TariffDraft.valid_from: tariff.valid_from,
        TariffDraft.toml: toml_text,
        TariffDraft.updated_at: moment,
    }
    if draft_id is None:
        row = TariffDraft(author=author, created_at=moment)
        for column, value in values.items():
            setattr(row, column._meta.name, value)
        await row.save()
        return await get_draft(row.id)
    await get_draft(draft_id)
    await TariffDraft.update(values).where(TariffDraft.id == draft_id)
    return await get_draft(draft_id)


async def get_draft(draft_id: int) -> DraftInfo:
    row = await TariffDraft.objects().where(TariffDraft.id == draft_id).first()
    if row is None:
        raise DraftNotFound(f"no draft {draft_id}")
    return _draft(row)


def _draft(row: Any) -> DraftInfo:
    return DraftInfo(
        id=row.id,
        service=row.service,
        territory=row.territory,
        name=row.name,
        valid_from=row.valid_from,
        author=row.author,
        created_at=row.created_at,
        updated_at=row.updated_at,
        toml=row.toml,
    )


async def list_drafts(*, territory: str | None = None) -> list[DraftInfo]:
    query = TariffDraft.objects().order_by(TariffDraft.id)
    if territory is not None:
        query = query.where(TariffDraft.territory == territory)
    return [_draft(row) for row in await query]


async def delete_draft(draft_id: int) -> None:
    await get_draft(draft_id)
    await TariffDraft.delete().where(TariffDraft.id == draft_id)
