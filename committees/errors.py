"""Domain errors of committees: a stable `reason` code and a sentence the shell can show."""

from __future__ import annotations


class CommitteeError(Exception):
    """Base of the committees' domain errors."""

    def __init__(self, reason: str, message: str) -> None:
        self.reason = reason
        self.message = message
        super().__init__(message)


class NotFound(CommitteeError):
    """A committee, college, account or proposal that does not exist."""


class Refused(CommitteeError):
    """The charter or the lifecycle does not allow this action now."""


class VoteRefused(Refused):
    """A vote that cannot be counted: not open, deadline passed, not in the electorate…"""
