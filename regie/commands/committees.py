"""`regie log …` and committee commands."""

import click

COMMANDS: list[click.Command] = []
