"""`regie tariff …` and `regie bill`: the tariff calculator, versions, drafts, impact of a
draft, and billing runs."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Coroutine
from datetime import date, datetime
from fractions import Fraction
from pathlib import Path
from typing import Any, TypeVar

import click

from tariffs.engine import PricingError, parse_quantity, price_period, price_span
from tariffs.tariff_file import TariffFileError, load_tariff, read_tariff

_DATE = click.DateTime(formats=["%Y-%m-%d"])
_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)
T = TypeVar("T")


def _run(job: Coroutine[Any, Any, T]) -> T:
    """Run a service; its domain errors become clean command-line errors."""
    from tariffs.service import TariffError

    try:
        return asyncio.run(job)
    except TariffError as exc:
        raise click.ClickException(str(exc)) from None


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


@tariff.command()
@click.option("--file", "file", required=True, type=_FILE, help="The tariff file (TOML).")
@click.option("--territory", required=True, help="The territory it serves.")
def setup(file: Path, territory: str) -> None:
    """Put a territory's first tariff of a service in force (the operators' initial set-up;
    later versions come from committee decisions)."""
    from tariffs.service import create_version

    text = file.read_text(encoding="utf-8")
    version = _run(create_version(text, territory, origin="setup"))
    click.echo(f"version {version.id}: {version.name} ({version.service}, {territory}) "
               f"in force from {version.valid_from}")  # fmt: skip


@tariff.command()
@click.option("--service", type=click.Choice(["water", "electricity"]))
@click.option("--territory")
def versions(service: str | None, territory: str | None) -> None:
    """List the tariff versions, by service, territory and date."""
    from tariffs.service import list_versions

    for v in _run(list_versions(service=service, territory=territory)):
        origin = v.origin if v.decision_ref is None else f"decision {v.decision_ref}"
        click.echo(f"{v.id}\t{v.service}\t{v.territory}\t{v.valid_from}\t{origin}\t{v.name}")


@tariff.group()
def draft() -> None:
    """The operators' draft tariffs (never billed; a committee decision enacts one)."""


@draft.command("save")
@click.option("--file", "file", required=True, type=_FILE, help="The tariff file (TOML).")
@click.option("--territory", required=True)
@click.option("--id", "draft_id", type=int, help="Replace the text of this draft.")
@click.option("--author", default="", help="Who wrote it.")
def draft_save(file: Path, territory: str, draft_id: int | None, author: str) -> None:
    """Save a new draft, or a new text of draft --id."""
    from tariffs.drafts import save_draft

    text = file.read_text(encoding="utf-8")
    saved = _run(save_draft(text, territory, draft_id=draft_id, author=author))
    click.echo(f"draft {saved.id}: {saved.name} ({saved.service}, {saved.territory})")


@draft.command("list")
@click.option("--territory")
def draft_list(territory: str | None) -> None:
    """List the drafts."""
    from tariffs.drafts import list_drafts

    for d in _run(list_drafts(territory=territory)):
        click.echo(f"{d.id}\t{d.service}\t{d.territory}\t{d.valid_from}\t{d.updated_at:%Y-%m-%d}"
                   f"\t{d.name}")  # fmt: skip


@draft.command("show")
@click.argument("draft_id", type=int)
def draft_show(draft_id: int) -> None:
    """Print the text of a draft."""
    from tariffs.drafts import get_draft

    click.echo(_run(get_draft(draft_id)).toml, nl=False)


@draft.command("delete")
@click.argument("draft_id", type=int)
def draft_delete(draft_id: int) -> None:
    """Delete a draft."""
    from tariffs.drafts import delete_draft

    _run(delete_draft(draft_id))
    click.echo(f"draft {draft_id} deleted")


@tariff.command()
@click.option("--draft", "draft_file", type=_FILE, help="The draft as a tariff file.")
@click.option("--draft-id", type=int, help="Or a saved draft.")
@click.option("--territory", required=True)
@click.option("--today", type=_DATE, help="Compare over the 12 months before this month.")
@click.option("--households", is_flag=True, help="Also list each household's change.")
def impact(
    draft_file: Path | None,
    draft_id: int | None,
    territory: str,
    today: datetime | None,
    households: bool,
) -> None:
    """Bill the last 12 months of real use by the tariff in force and by a draft, and print
    the summary (all households, per block reached, social households) as JSON."""
    from tariffs.drafts import get_draft
    from tariffs.fast import money_text
    from tariffs.impact import draft_impact
    from tariffs.service import TariffError, read_text

    if (draft_file is None) == (draft_id is None):
        raise click.UsageError("give --draft FILE or --draft-id N")
    try:
        if draft_file is not None:
            proposed = read_text(draft_file.read_text(encoding="utf-8"), str(draft_file))
        else:
            proposed = _run(get_draft(draft_id or 0)).tariff
    except TariffError as exc:
        raise click.ClickException(str(exc)) from None
    day = today.date() if today else date.today()
    summary, homes = _run(draft_impact(proposed, territory, today=day))
    money = ("median_change", "largest_increase", "largest_decrease", "revenue_current",
             "revenue_draft", "revenue_change")  # fmt: skip
    out: dict[str, Any] = {
        "from": str(summary.start), "to": str(summary.end),
        "current": summary.current, "draft": summary.draft,
        "groups": [
            {k: (f"{v:.2f}" if k in money else v) for k, v in vars(g).items()}
            for g in summary.groups
        ],
        "problems": list(summary.problems),
    }  # fmt: skip
    if households:
        out["households"] = [
            {"reference": h.reference, "social": h.social, "block": h.block,
             "current": money_text(h.current_cents), "draft": money_text(h.draft_cents)}
            for h in homes
        ]  # fmt: skip
    click.echo(json.dumps(out, indent=2, ensure_ascii=False))


@click.command("bill")
@click.option("--period", required=True, help="The month billed, YYYY-MM.")
@click.option("--territory", help="Only this territory (default: all).")
def bill(period: str, territory: str | None) -> None:
    """Bill every household for a month from its daily usage; a re-run issues nothing twice."""
    from tariffs.billing import bill_period

    with contextlib.ExitStack() as stack:
        bars: list[Any] = []

        def started(total: int) -> None:  # the bar's length is known once usage is read
            bar = click.progressbar(length=total, label=f"billing {period}")
            bars.append(stack.enter_context(bar))

        def progress(done: int) -> None:
            bars[0].update(done)

        report = _run(bill_period(period, territory=territory, started=started, progress=progress))
    numbers = f" ({report.first_number} to {report.last_number})" if report.issued else ""
    click.echo(f"issued {report.issued} bills{numbers}; {report.already_billed} already billed")
    for problem in report.problems:
        click.echo(f"not billed: {problem}", err=True)
    if report.problems:
        click.get_current_context().exit(1)


@click.command("correct-bill")
@click.argument("number")
@click.option("--reason", required=True, help="Why: printed on the credit note and new bill.")
def correct_bill(number: str, reason: str) -> None:
    """Correct an issued bill: a credit note cancelling it and a new bill, priced again."""
    from tariffs.bills import amend_bill

    credit, new = _run(amend_bill(number, reason=reason))
    click.echo(f"credit note {credit.number} ({credit.total:.2f}) and bill {new.number} "
               f"({new.total:.2f}) replace {number}")  # fmt: skip


COMMANDS: list[click.Command] = [tariff, bill, correct_bill]
