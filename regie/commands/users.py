"""`regie users add`: accounts, and the invitation link with which people set their password."""

from __future__ import annotations

import asyncio

import click

from regie.settings import get_settings


@click.group()
def users() -> None:
    """Accounts of households, committee members, operators and administrators."""


@users.command("add")
@click.option("--login", required=True, help="Login (an email address, say).")
@click.option("--name", required=True, help="Name shown in the app.")
@click.option("--household", "household_ref", default=None, help="Reference of the household.")
@click.option("--operator", is_flag=True, help="A member of the régie's staff.")
@click.option("--admin", is_flag=True, help="An administrator (an operator too).")
def add(login: str, name: str, household_ref: str | None, operator: bool, admin: bool) -> None:
    """Create an account and print its invitation link (valid 14 days, usable once)."""
    from regie.core.accounts import AccountError, create_account, invite

    async def run() -> str:
        account = await create_account(
            login, name, household_ref=household_ref, operator=operator, admin=admin
        )
        return await invite(account.id)

    try:
        token = asyncio.run(run())
    except AccountError as error:
        raise click.ClickException(str(error)) from None
    url = get_settings().web.public_url.rstrip("/")
    click.echo(f"account {login.strip().lower()} created; invitation: {url}/invitation/{token}")


COMMANDS: list[click.Command] = [users]
