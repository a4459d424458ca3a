"""Tariff versions and drafts on the real database: who may create a version, when, and that
none is ever edited."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tests.tariffs.billing_data import d, daily, from_date, household, meter

pytestmark = pytest.mark.db

NOW = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)


async def test_the_initial_setup_is_allowed_once(db: str) -> None:
    from tariffs.service import VersionRefused, create_version, list_versions

    first = await create_version(from_date("2024-01-01"), "T", origin="setup")
    assert (first.service, first.territory, first.valid_from) == ("water", "T", d("2024-01-01"))
    assert (first.origin, first.decision_ref, first.unit, first.period) == (
        "setup",
        None,
        "m^3",
        "year",
    )
    assert first.tariff.blocks[0].name == "Eau essentielle"
    with pytest.raises(VersionRefused, match="needs a committee decision"):
        await create_version(from_date("2027-01-01"), "T", origin="setup")
    # Each service and territory has its own set-up.
    await create_version(from_date("2025-02-01", "tarif_bleu_hphc.toml"), "T", origin="setup")
    await create_version(from_date("2024-01-01"), "U", origin="setup")
    assert len(await list_versions()) == 3
    assert [v.territory for v in await list_versions(service="water")] == ["T", "U"]


async def test_a_decision_supersedes_from_its_date(db: str) -> None:
    from tariffs.service import create_version, version_in_force, versions_until

    v1 = await create_version(from_date("2024-01-01"), "T", origin="setup")
    v2 = await create_version(
        from_date("2027-01-01"), "T", origin="decision", decision_ref="T-water-2026-12"
    )
    assert v2.decision_ref == "T-water-2026-12"
    assert await version_in_force("water", "T", d("2023-12-31")) is None
    found = await version_in_force("water", "T", d("2026-12-31"))
    assert found is not None and found.id == v1.id
    found = await version_in_force("water", "T", d("2027-01-01"))
    assert found is not None and found.id == v2.id
    scope = await versions_until(d("2026-12-31"))
    assert [v.id for v in scope[("water", "T")]] == [v1.id]


async def test_enacting_a_decision_again_is_idempotent(db: str) -> None:
    from tariffs.service import VersionRefused, create_version, list_versions

    await create_version(from_date("2024-01-01"), "T", origin="setup")
    text = from_date("2027-01-01")
    first = await create_version(text, "T", origin="decision", decision_ref="DEC-12")
    again = await create_version(text, "T", origin="decision", decision_ref="DEC-12")
    assert again == first
    with pytest.raises(VersionRefused, match="already enacted"):
        other = text.replace('price = "0.83"', 'price = "0.90"')
        await create_version(other, "T", origin="decision", decision_ref="DEC-12")
    assert len(await list_versions()) == 2


async def test_concurrent_enactments_of_one_decision_make_one_version(db: str) -> None:
    from tariffs.service import create_version, list_versions

    await create_version(from_date("2024-01-01"), "T", origin="setup")
    text = from_date("2027-01-01")
    made = await asyncio.gather(
        *(create_version(text, "T", origin="decision", decision_ref="DEC-9") for _ in range(5))
    )
    assert len({v.id for v in made}) == 1
    assert len(await list_versions()) == 2


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"origin": "decision"}, "needs the decision's reference"),
        ({"origin": "decision", "decision_ref": "  "}, "needs the decision's reference"),
        ({"origin": "setup", "decision_ref": "X"}, "no decision reference"),
        ({"origin": "vote"}, "origin must be setup or decision"),
        ({"origin": "decision", "decision_ref": "x" * 129}, "at most 128"),
    ],
)
async def test_a_version_needs_a_proper_origin(
    db: str, kwargs: dict[str, str], message: str
) -> None:
    from tariffs.service import VersionRefused, create_version

    with pytest.raises(VersionRefused, match=message):
        await create_version(from_date("2024-01-01"), "T", **kwargs)  # type: ignore[arg-type]


async def test_a_version_rewrites_no_past(db: str) -> None:
    from tariffs.billing import bill_period
    from tariffs.service import VersionRefused, create_version

    await create_version(from_date("2024-01-01"), "T", origin="setup")
    with pytest.raises(VersionRefused, match="after 2024-01-01"):
        await create_version(from_date("2023-06-01"), "T", origin="decision", decision_ref="A")
    with pytest.raises(VersionRefused, match="after 2024-01-01"):
        await create_version(from_date("2024-01-01"), "T", origin="decision", decision_ref="B")
    litres = from_date("2026-01-01").replace('unit = "m^3"', 'unit = "L"')
    with pytest.raises(VersionRefused, match="unit"):
        await create_version(litres, "T", origin="decision", decision_ref="C")
    home = await household("A")
    await daily(await meter(home), d("2026-11-01"), d("2026-11-30"), 100)
    await bill_period("2026-11", now=NOW)
    with pytest.raises(VersionRefused, match="billed up to 2026-11-30"):
        await create_version(from_date("2026-11-15"), "T", origin="decision", decision_ref="D")
    later = await create_version(from_date("2026-12-01"), "T", origin="decision", decision_ref="E")
    assert later.valid_from == date(2026, 12, 1)


async def test_a_malformed_tariff_is_refused_with_its_problems(db: str) -> None:
    from tariffs.drafts import save_draft
    from tariffs.service import InvalidTariff, TariffError, create_version

    bad = from_date("2024-01-01").replace('price = "0.83"', 'price = "-0.83"')
    with pytest.raises(InvalidTariff, match=r"block\[1\]\.price") as caught:
        await create_version(bad, "T", origin="setup")
    assert caught.value.problems and caught.value.problems[0].line is not None
    with pytest.raises(InvalidTariff):
        await save_draft("[tariff]\nname = 1", "T")
    with pytest.raises(TariffError, match="territory"):
        await create_version(from_date("2024-01-01"), " ", origin="setup")


async def test_effective_versions_are_never_edited(db: str) -> None:
    import tariffs.service
    from tariffs.service import create_version
    from tariffs.tables import TariffVersion

    await create_version(from_date("2024-01-01"), "T", origin="setup")
    with pytest.raises(Exception, match="never edited"):
        await TariffVersion.update({TariffVersion.name: "changed"}, force=True)
    names = [n for n in dir(tariffs.service) if n.startswith(("update_v", "edit_v", "delete_v"))]
    assert names == []


async def test_drafts_are_kept_edited_and_deleted(db: str) -> None:
    from tariffs.drafts import DraftNotFound, delete_draft, get_draft, list_drafts, save_draft
    from tariffs.service import list_versions

    first = await save_draft(from_date("2027-01-01"), "T", author="op1", now=NOW)
    second = await save_draft(from_date("2027-01-01", "tarif_bleu_hphc.toml"), "T")
    assert (first.service, first.valid_from, first.author) == ("water", d("2027-01-01"), "op1")
    cheaper = from_date("2027-01-01").replace('price = "0.83"', 'price = "0.70"')
    edited = await save_draft(cheaper, "T", draft_id=first.id)
    assert edited.id == first.id and str(edited.tariff.blocks[0].price) == "0.70"
    assert (await get_draft(first.id)).toml == cheaper
    assert [x.id for x in await list_drafts(territory="T")] == [first.id, second.id]
    await delete_draft(second.id)
    assert [x.id for x in await list_drafts()] == [first.id]
    with pytest.raises(DraftNotFound):
        await get_draft(second.id)
    with pytest.raises(DraftNotFound):
        await save_draft(cheaper, "T", draft_id=second.id)
    assert await list_versions() == []  # a draft is never a version


def _cli(*args: str) -> Result:
    from regie.cli import main

    return CliRunner().invoke(main, list(args))


async def test_regie_tariff_setup_versions_and_drafts(db: str, tmp_path: Path) -> None:
    water = tmp_path / "water.toml"
    water.write_text(from_date("2024-01-01"), encoding="utf-8")
    result = await asyncio.to_thread(
        _cli, "tariff", "setup", "--file", str(water), "--territory", "T"
    )
    assert result.exit_code == 0, result.output
    assert "in force from 2024-01-01" in result.output
    result = await asyncio.to_thread(
        _cli, "tariff", "setup", "--file", str(water), "--territory", "T"
    )
    assert result.exit_code == 1 and "needs a committee decision" in result.output
    result = await asyncio.to_thread(_cli, "tariff", "versions")
    assert result.exit_code == 0 and "\twater\tT\t2024-01-01\tsetup\tDunkerque" in result.output
    result = await asyncio.to_thread(
        _cli, "tariff", "draft", "save", "--file", str(water), "--territory", "T"
    )
    assert result.exit_code == 0 and result.output.startswith("draft ")
    draft_id = result.output.split()[1].rstrip(":")
    result = await asyncio.to_thread(_cli, "tariff", "draft", "list")
    assert f"{draft_id}\twater\tT\t2024-01-01" in result.output
    result = await asyncio.to_thread(_cli, "tariff", "draft", "show", draft_id)
    assert result.output == water.read_text(encoding="utf-8")
    result = await asyncio.to_thread(_cli, "tariff", "draft", "delete", draft_id)
    assert result.exit_code == 0
    result = await asyncio.to_thread(_cli, "tariff", "draft", "show", draft_id)
    assert result.exit_code == 1 and f"no draft {draft_id}" in result.output
