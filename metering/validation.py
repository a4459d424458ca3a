"""Validation of register steps (VEE): rollover, negative deltas and spikes, as pure functions.

A register index only grows. Between two accepted readings the consumption is the difference
of the indexes, except:
- rollover: a register of `digits` digits wraps from 99 998 to 00 003; that is a consumption of
  5, accepted when the wrapped delta is plausible;
- negative: any other decrease; the reading is kept, flagged and excluded from usage until an
  operator edits it (a replaced meter is a new meter with its own series, so it never shows
  here);
- spike: an increase above the meter's maximum plausible flow or power over the elapsed time;
  kept, flagged and excluded likewise.
"""

from __future__ import annotations

from dataclasses import dataclass

NEGATIVE = "negative"
SPIKE = "spike"

# Maximum plausible rate per service when a meter has none: 10 m³/h of water (a DN40 meter's
# overload flow), 36 kVA of electric power (the largest French residential subscription).
DEFAULT_MAX_RATE_PER_HOUR = {"water": 10_000, "electricity": 36_000}

# Without a maximum rate, a rollover is believed when the wrapped delta is below this share of
# the register's range: a register that wraps twice between two readings is not a rollover.
ROLLOVER_SHARE = 0.1


@dataclass(frozen=True, slots=True)
class StepRules:
    """What a meter tells about its steps: digits of the register (0 = never wraps) and the
    maximum plausible consumption per hour in base units (0 = no limit)."""

    digits: int = 0
    max_per_hour: int = 0


def step(prev_raw: int, raw: int, elapsed_s: int, rules: StepRules) -> tuple[int, str | None]:
    """Consumption between two readings of one register, or a flag when the step is refused.

    Returns `(delta, None)` for an accepted step, `(0, NEGATIVE | SPIKE)` otherwise.
    """
    delta = raw - prev_raw
    if delta < 0:
        if rules.digits <= 0:
            return 0, NEGATIVE
        span = 10**rules.digits
        wrapped = delta + span
        if wrapped < 0 or not _plausible(wrapped, elapsed_s, rules, limit=span * ROLLOVER_SHARE):
            return 0, NEGATIVE
        return wrapped, None
    if not _plausible(delta, elapsed_s, rules, limit=None):
        return 0, SPIKE
    return delta, None


def _plausible(delta: int, elapsed_s: int, rules: StepRules, limit: float | None) -> bool:
    if rules.max_per_hour > 0:
        # One base unit of slack: a register's resolution can make a short step look fast.
        return delta <= rules.max_per_hour * max(elapsed_s, 0) / 3600 + 1
    return limit is None or delta <= limit
