"""The `regie` command: one entry point for operators, workers and the demo."""

from __future__ import annotations

import asyncio
import os

import click

os.environ.setdefault("PICCOLO_CONF", "regie.piccolo_conf")


@click.group()
def main() -> None:
    """régie: a co-managed public water and electricity utility."""


@main.command()
def migrate() -> None:
    """Apply every database migration (SQLite or PostgreSQL, per REGIE_DATABASE_URL)."""
    from regie.core.database import migrate as run

    asyncio.run(run())
    click.echo("migrations applied")


def _register() -> None:
    from regie.commands import committees, demo, metering, tariffs, users

    for module in (metering, tariffs, committees, users, demo):
        for command in module.COMMANDS:
            main.add_command(command)


_register()

if __name__ == "__main__":
    main()
