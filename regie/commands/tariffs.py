"""`regie tariff …` and `regie bill`: the tariff calculator and billing runs."""

from __future__ import annotations

import json
from datetime import datetime
from fractions import Fraction
from pathlib import Path

import click

from tariffs.engine import PricingError, parse_quantity, price_period, price_span
from tariffs.tariff_file import TariffFileError, load_tariff, read_tariff

_DATE = click.DateTime(formats=["%Y-%m-%d"])


@click.group()
def tariff() -> None:
    """Tariff files: validate them and quote bills."""


@tariff.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def check(file: Path) -> None:
    """Check a tariff file: print "ok", or every problem with its line and field."""
    _, problems = read_tariff(file)
    if not problems:
        click.echo("ok")
        return
    for problem in problems:
        click.echo(str(problem))
    click.get_current_context().exit(1)


@tariff.command()
@click.option(
    "--tariff",
    "tariff_file",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The tariff file (TOML).",
)
@click.option("--usage", help='Total use in any unit of the service: "120 m^3", "120000 L".')
@click.option(
    "--persons", type=click.IntRange(min=0), help="Persons in the household (per-person blocks)."
)
@click.option("--social", is_flag=True, help="The household has the social status.")
@click.option(
    "--register",
    "register_uses",
    multiple=True,
    metavar='NAME="QTY UNIT"',
    help='Use of one register of the meter, e.g. hc="1500 kWh" (repeat per register).',
)
@click.option("--from", "start", type=_DATE, help="First day of the span (YYYY-MM-DD).")
@click.option("--to", "end", type=_DATE, help="Last day of the span, inclusive (YYYY-MM-DD).")
def quote(
    tariff_file: Path,
    usage: str | None,
    persons: int | None,
    social: bool,
    register_uses: tuple[str, ...],
    start: datetime | None,
    end: datetime | None,
) -> None:
    """Price a use by a tariff and print the bill as JSON.

    Without --from/--to the use covers exactly one tariff period.
    """
    try:
        tariff_ = load_tariff(tariff_file)
    except TariffFileError as exc:
        raise click.ClickException(str(exc)) from None
    if (start is None) != (end is None):
        raise click.UsageError("give both --from and --to, or neither (one tariff period)")
    if tariff_.per_person and persons is None:
        raise click.UsageError(
            "the blocks of this tariff grow with the household: give --persons N"
        )
    if usage is None and not register_uses:
        raise click.UsageError("give --usage, or the use of each register with --register")
    try:
        total = None if usage is None else parse_quantity(usage, tariff_.service, tariff_.unit)
        registers = _registers(register_uses, tariff_.service, tariff_.unit)
        if start is None or end is None:
            bill = price_period(tariff_, total, persons=persons, social=social, registers=registers)
        else:
            first, last = start.date(), end.date()
            bill = price_span(
                [tariff_],
                total,
                persons=persons,
                social=social,
                start=first,
                end=last,
                registers=registers,
            )
    except PricingError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(json.dumps(bill.as_dict(), indent=2, ensure_ascii=False))


def _registers(values: tuple[str, ...], service: str, unit: str) -> dict[str, Fraction] | None:
    """`("hc=1500 kWh", "hp=2.3 MWh")` → use per register, in the tariff's unit."""
    if not values:
        return None
    uses: dict[str, Fraction] = {}
    for value in values:
        name, sep, quantity = value.partition("=")
        name, quantity = name.strip(), quantity.strip().strip("\"'")
        if not sep or not name:
            raise PricingError(f'--register {value!r}: write NAME="QTY UNIT", e.g. hc="1500 kWh"')
        if name in uses:
            raise PricingError(f"--register {name!r} is given twice")
        uses[name] = parse_quantity(quantity, service, unit)
    return uses


COMMANDS: list[click.Command] = [tariff]
