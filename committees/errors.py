"""Domain errors of committees: a stable `reason` code and a sentence the shell can show."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from tariffs.model import TariffProblem


class CommitteeError(Exception):
    """Base of the committees' domain errors; an `invalid_tariff` refusal also carries the
    tariff file's `problems`, and a refusal whose sentence names values (a service, a score)
    carries them as `params`, so that an interface words it in its language (`message` is
    English)."""

    def __init__(
        self,
        reason: str,
        message: str,
        problems: Sequence[TariffProblem] = (),
        params: Mapping[str, object] | None = None,
    ) -> None:
        self.reason = reason
        self.message = message
        self.problems = tuple(problems)
        self.params = {name: str(value) for name, value in (params or {}).items()}
        super().__init__(message)


class NotFound(CommitteeError):
    """A committee, college, account or proposal that does not exist."""


class Refused(CommitteeError):
    """The charter or the lifecycle does not allow this action now."""


class VoteRefused(Refused):
    """A vote that cannot be counted: not open, deadline passed, not in the electorate…"""
