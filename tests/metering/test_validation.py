"""Register steps: rollover, negative deltas and spikes."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from metering.validation import NEGATIVE, SPIKE, StepRules, step


@pytest.mark.parametrize(
    ("prev", "raw", "elapsed", "rules", "expected"),
    [
        (100, 150, 3600, StepRules(), (50, None)),
        (100, 100, 3600, StepRules(), (0, None)),
        # 99 998 -> 00 003 on a 5-digit register is a consumption of 5, not negative.
        (99_998, 3, 900, StepRules(digits=5), (5, None)),
        (99_998, 3, 900, StepRules(digits=5, max_per_hour=10_000), (5, None)),
        # A decrease on a register that never wraps.
        (500, 400, 900, StepRules(), (0, NEGATIVE)),
        # A "rollover" that would mean most of the register's range: a reset, not a wrap.
        (50_000, 10, 900, StepRules(digits=5), (0, NEGATIVE)),
        # 10 m³/h at most: 3 000 L in 15 minutes is fine, 3 000 L in one minute is not.
        (0, 2_500, 900, StepRules(max_per_hour=10_000), (2_500, None)),
        (0, 3_000, 60, StepRules(max_per_hour=10_000), (0, SPIKE)),
        # A wrapped step is also held to the maximum rate.
        (99_000, 9_000, 60, StepRules(digits=5, max_per_hour=10_000), (0, NEGATIVE)),
    ],
)
def test_step_table(prev, raw, elapsed, rules, expected) -> None:
    assert step(prev, raw, elapsed, rules) == expected


@given(
    digits=st.integers(min_value=1, max_value=9),
    prev_share=st.floats(min_value=0, max_value=0.9999),
    used=st.integers(min_value=0, max_value=10_000),
)
def test_rollover_is_never_negative(digits: int, prev_share: float, used: int) -> None:
    span = 10**digits
    prev = int(span * prev_share)
    used = min(used, int(span * 0.1))
    raw = (prev + used) % span
    delta, flag = step(prev, raw, 3600, StepRules(digits=digits))
    assert flag is None
    assert delta == used
