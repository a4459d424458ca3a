"""`regie tariff …` and `regie bill`: the tariff calculator and billing runs."""

import click


@click.group()
def tariff() -> None:
    """Tariff files: validate them and quote bills."""


COMMANDS: list[click.Command] = [tariff]
