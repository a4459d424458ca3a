"""Households and meters from CSV: documented columns, bad rows by line number, all or nothing;
readings and daily usage back out as CSV."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from metering.tables import DailyUsage, Meter, Reading
from regie.cli import main
from regie.tables import Household

pytestmark = pytest.mark.db

HOUSEHOLDS = """reference,name,address,persons,social,territory
H-1,Famille Martin,1 rue des Lilas,4,oui,lille
H-2,M. Dupont,2 rue des Lilas,1,no,lille
"""
METERS = """serial,service,household,unit,digits,dev_eui,registers
W-1,water,H-1,m3,5,70B3D5E75E0012AB,
E-1,electricity,H-2,kWh,6,,hchc|hchp
"""


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_import_households_then_meters(db: str, tmp_path: Path) -> None:
    code, out = run("households", "import", write(tmp_path, "h.csv", HOUSEHOLDS))
    assert (code, out.strip()) == (0, "households: 2 created, 0 updated")
    code, out = run("meters", "import", write(tmp_path, "m.csv", METERS))
    assert (code, out.strip()) == (0, "meters: 2 created, 0 updated")
    martin = run_sync(Household.select().where(Household.reference == "H-1").first())
    assert (martin["persons"], martin["social"], martin["territory"]) == (4, True, "lille")
    water = run_sync(Meter.select().where(Meter.serial == "W-1").first())
    assert (water["digits"], water["dev_eui"], water["unit"]) == (5, "70b3d5e75e0012ab", "m3")
    # Importing the same file again updates, never duplicates.
    code, out = run("households", "import", write(tmp_path, "h.csv", HOUSEHOLDS))
    assert out.strip() == "households: 0 created, 2 updated"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (HOUSEHOLDS + "H-3,X,addr,zero,no,lille\n", "line 4: persons must be a whole number"),
        (HOUSEHOLDS + "H-1,X,addr,2,no,lille\n", "line 4: reference H-1 already on line 2"),
        (HOUSEHOLDS + "H-3,X,addr,2,peut-être,lille\n", "line 4: not a yes/no value"),
        ("reference,name\nH-9,X\n", "line 1: missing column(s): address, persons"),
    ],
)
def test_a_bad_household_row_imports_nothing(
    db: str, tmp_path: Path, text: str, problem: str
) -> None:
    code, out = run("households", "import", write(tmp_path, "h.csv", text))
    assert code == 1
    assert problem in out
    assert "nothing imported" in out
    assert run_sync(Household.count()) == 0


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        ("W-2,gas,H-1,m3,5,,", "service must be water or electricity"),
        ("W-2,water,H-1,kg,5,,", "unit 'kg'"),
        ("W-2,water,H-404,m3,5,,", "no household with reference 'H-404'"),
        ("W-2,water,H-1,m3,5,XYZ,", "dev_eui must be 16 hexadecimal digits"),
        ("W-2,water,H-1,m3,99,,", "digits must be between 0 and 12"),
    ],
)
def test_a_bad_meter_row_imports_nothing(db: str, tmp_path: Path, row: str, problem: str) -> None:
    run("households", "import", write(tmp_path, "h.csv", HOUSEHOLDS))
    code, out = run("meters", "import", write(tmp_path, "m.csv", METERS + row + "\n"))
    assert code == 1
    assert "line 4:" in out
    assert problem in out
    assert run_sync(Meter.count()) == 0


def test_exports(db: str, tmp_path: Path) -> None:
    run("households", "import", write(tmp_path, "h.csv", HOUSEHOLDS))
    run("meters", "import", write(tmp_path, "m.csv", METERS))
    meter = run_sync(Meter.select(Meter.id).where(Meter.serial == "W-1").first())["id"]
    now = datetime(2026, 1, 2, tzinfo=UTC)
    run_sync(
        Reading.insert(
            Reading(
                meter=meter, ts=datetime(2026, 1, 1, 6, tzinfo=UTC), value=1000, received_at=now
            ),
            Reading(
                meter=meter,
                ts=datetime(2026, 1, 2, 6, tzinfo=UTC),
                value=1150,
                received_at=now,
                flag="spike",
            ),
        )
    )
    run_sync(DailyUsage.insert(DailyUsage(meter=meter, day=date(2026, 1, 1), consumption=150)))
    code, out = run(
        "readings", "export", "--meter", "W-1", "--from", "2026-01-01", "--to", "2026-01-01"
    )
    assert code == 0
    assert out == "ts,register,value,quality,flag\n2026-01-01T06:00:00Z,total,1000,measured,\n"
    code, out = run("usage", "export", "--meter", "W-1")
    assert out == "day,register,consumption,quality\n2026-01-01,total,150,measured\n"
    code, out = run("readings", "export", "--meter", "NOPE")
    assert code == 1
    assert "no meter with serial 'NOPE'" in out


def run_sync(awaitable):  # type: ignore[no-untyped-def]
    """Run a Piccolo query from a synchronous test (the CLI runs its own event loop)."""
    import asyncio

    async def wrapped():  # type: ignore[no-untyped-def]
        return await awaitable

    return asyncio.run(wrapped())
