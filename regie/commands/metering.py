"""`regie ingest`, `regie simulate`, imports of households and meters, exports of readings."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

import click

from regie.settings import get_settings


@click.command()
@click.option(
    "--until-idle", type=float, default=None, help="Stop after this many seconds without a message."
)
def ingest(until_idle: float | None) -> None:
    """Ingest meter readings from MQTT into the database (REGIE_MQTT_URL, REGIE_DATABASE_URL)."""
    from metering.ingest import IngestWorker

    worker = IngestWorker(get_settings(), until_idle=until_idle, echo=click.echo)
    sys.exit(asyncio.run(worker.run()))


@click.command()
@click.option("--meters", type=int, default=100, show_default=True)
@click.option(
    "--rate",
    type=float,
    default=50.0,
    show_default=True,
    help="Messages per second (0: as fast as possible).",
)
@click.option(
    "--format", "fmt", type=click.Choice(["native", "teleinfo", "chirpstack"]), default="native"
)
@click.option(
    "--batch", type=int, default=1, show_default=True, help="Readings per native message."
)
@click.option(
    "--interval",
    type=int,
    default=900,
    show_default=True,
    help="Seconds between two readings of a meter.",
)
@click.option("--count", type=int, default=0, help="Stop after this many messages (0: never).")
@click.option(
    "--prefix", default="SIM", show_default=True, help="Serials are PREFIX000000, PREFIX000001…"
)
@click.option(
    "--backfill-days",
    type=float,
    default=0.0,
    help="Start this many days ago and publish as fast as --rate allows.",
)
def simulate(
    meters: int,
    rate: float,
    fmt: str,
    batch: int,
    interval: int,
    count: int,
    prefix: str,
    backfill_days: float,
) -> None:
    """Publish simulated meter readings to REGIE_MQTT_URL."""
    from metering.mqtt import BrokerAddress
    from metering.publisher import FastPublisher
    from metering.simulator import make_meters, start_aligned, stream

    sims = make_meters(meters, prefix=prefix)
    start = start_aligned(time.time() - backfill_days * 86400, interval)
    publisher = FastPublisher(
        BrokerAddress.parse(get_settings().mqtt.url), f"regie-sim-{time.time_ns()}"
    )
    sent, began = 0, time.monotonic()
    try:
        for topic, payload in stream(sims, start=start, interval=interval, batch=batch, fmt=fmt):
            publisher.publish(topic, payload)
            sent += 1
            if count and sent >= count:
                break
            if rate > 0:
                ahead = sent / rate - (time.monotonic() - began)
                if ahead > 0:
                    publisher._send()
                    time.sleep(ahead)
    except KeyboardInterrupt:
        pass
    finally:
        publisher.close()
    click.echo(f"simulate published={sent} seconds={time.monotonic() - began:.1f}")


@click.group()
def households() -> None:
    """Households: import from CSV."""


@households.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def households_import(file: Path) -> None:
    """Create or update households from FILE.

    Columns: reference,name,address,persons,social,territory."""
    from regie.core.csv_import import ImportError_
    from regie.core.households import import_households

    try:
        created, updated = asyncio.run(import_households(file.read_text(encoding="utf-8")))
    except ImportError_ as error:
        _refuse(file, error.problems)
    click.echo(f"households: {created} created, {updated} updated")


@click.group()
def meters() -> None:
    """Meters: import from CSV."""


@meters.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def meters_import(file: Path) -> None:
    """Create or update meters from FILE (columns: serial,service,household,unit,digits,dev_eui
    and optionally registers,max_rate,installed_on,removed_on,replaces)."""
    from metering.service import import_meters
    from regie.core.csv_import import ImportError_

    try:
        created, updated = asyncio.run(import_meters(file.read_text(encoding="utf-8")))
    except ImportError_ as error:
        _refuse(file, error.problems)
    click.echo(f"meters: {created} created, {updated} updated")


def _refuse(file: Path, problems: list[str]) -> None:
    click.echo(f"{file}: nothing imported:", err=True)
    for problem in problems:
        click.echo(f"  {problem}", err=True)
    sys.exit(1)


def _export(kind: str) -> click.Command:
    @click.command("export")
    @click.option("--meter", "serial", required=True, help="Serial of the meter.")
    @click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), default=None)
    @click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Inclusive.")
    def export(serial: str, start: object, end: object) -> None:
        from metering import service

        first = start.date() if start else None  # type: ignore[attr-defined]
        last = end.date() if end else None  # type: ignore[attr-defined]
        run = service.export_readings if kind == "readings" else service.export_usage
        try:
            click.echo(asyncio.run(run(serial, first, last)), nl=False)
        except service.UnknownMeter as error:
            raise click.ClickException(str(error)) from None

    export.help = (
        "CSV of a meter's readings (UTC timestamp, register, value in base units, quality)."
        if kind == "readings"
        else "CSV of a meter's daily usage (local day, register, consumption, quality)."
    )
    return export


@click.group()
def readings() -> None:
    """Readings: export as CSV."""


@click.group()
def usage() -> None:
    """Daily usage: export as CSV."""


readings.add_command(_export("readings"))
usage.add_command(_export("usage"))

COMMANDS: list[click.Command] = [ingest, simulate, households, meters, readings, usage]
