"""`regie serve` refuses a worker count below one before starting anything."""

from __future__ import annotations

from click.testing import CliRunner

from regie.commands.demo import serve


def test_serve_needs_at_least_one_worker() -> None:
    result = CliRunner().invoke(serve, ["--workers", "0"])
    assert result.exit_code == 2 and "at least one worker" in result.output
    result = CliRunner().invoke(serve, ["--workers", "-3"])
    assert result.exit_code == 2 and "at least one worker" in result.output
