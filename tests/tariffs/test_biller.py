"""The biller's groups and kept bills (pure): whatever households share, each one's bill is the
engine's bill of its own use, span, size and status, to the character."""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from tariffs.biller import bill_chunks
from tariffs.engine import price_period
from tariffs.fast import priced
from tariffs.model import Tariff
from tariffs.pricer import Version
from tests.tariffs.test_properties import tariffs

NOV = (date(2026, 11, 1), date(2026, 11, 30))

# Few distinct uses, sizes and days, so that households often share a group and a kept bill;
# thresholds of a month of the random tariffs fall anywhere in 0–40 m³.
litres = st.sampled_from([0, 1, 999, 1000, 6164, 6165, 16438, 16439]) | st.integers(0, 40_000)
homes = st.lists(
    st.tuples(
        st.integers(1, 5),  # persons
        st.booleans(),  # social
        litres,
        st.none() | st.sampled_from([date(2026, 10, 1), date(2026, 11, 16)]),  # installed on
        st.sampled_from(["T", "U"]),  # U has no tariff
    ),
    max_size=40,
)


@given(tariffs(), homes, st.integers(1, 7))
def test_every_household_gets_the_engine_bill_of_its_own_use(
    tariff: Tariff, households: list[tuple[int, bool, int, date | None, str]], size: int
) -> None:
    rows = [
        (home, "water", home, installed, None, f"H{home}", persons, social, where, "total", used, 0)
        for home, (persons, social, used, installed, where) in enumerate(households)
    ]
    versions = {("water", "T"): [Version(1, tariff)]}
    bills, problems = [], []
    for chunk, found in bill_chunks("2026-11", *NOV, [NOV], versions, [rows], {}, size=size):
        bills += chunk
        problems += found
    billed = [h for h in households if h[4] == "T"]
    assert [p.reason for p in problems] == ["no water tariff in force in U"] * (
        len(households) - len(billed)
    )
    assert len(bills) == len(billed)
    for bill, (persons, social, used, installed, _) in zip(bills, billed, strict=True):
        first = max(NOV[0], installed or NOV[0])
        engine = price_period(
            tariff,
            Fraction(used, 1000),
            persons=persons,
            social=social,
            start=first,
            end=NOV[1],
        )
        assert bill.priced == priced(engine)
        assert (bill.persons, bill.social, bill.usage) == (persons, social, f'{{"total":{used}}}')
        assert (bill.start, bill.end, bill.shared.columns[5]) == (
            first,
            NOV[1],
            (NOV[1] - first).days + 1,
        )
        assert bill.shared.columns[6] == "1"  # the version that priced it


def test_a_household_moving_out_is_billed_its_days() -> None:
    from tariffs.tariff_file import load_tariff
    from tests.tariffs.billing_data import EXAMPLES

    tariff = load_tariff(EXAMPLES / "dunkerque_eco_solidaire.toml")
    out = NOV[0] + timedelta(days=9)
    rows = [(1, "water", 1, None, out, "A", 2, False, "T", "total", 3000, 0)]
    versions = {("water", "T"): [Version(1, tariff)]}
    ((bills, _),) = bill_chunks("2026-11", *NOV, [NOV], versions, [rows], {})
    engine = price_period(tariff, Fraction(3), persons=2, social=False, start=NOV[0], end=out)
    assert bills[0].priced == priced(engine) and (bills[0].start, bills[0].end) == (NOV[0], out)
