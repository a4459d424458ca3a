"""The rule sets shipped with régie (defaults.toml), in force until a committee adopts its own."""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path

from metering.regulation import rule_file
from metering.regulation.rules import RuleSet

DEFAULTS = Path(__file__).with_name("defaults.toml")


@lru_cache(maxsize=2)
def default_rule_set(service: str) -> RuleSet:
    """The shipped rule set of `service` (water or electricity)."""
    with DEFAULTS.open("rb") as f:
        return rule_file.parse(tomllib.load(f)[service], service)
