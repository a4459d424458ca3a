"""The committee's charts, drawn with the geometry of regie.web.charts (SVG on the server):
households by block, use per month against the year before, and a tariff draft's impact per
block and for social households."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from regie.web.charts import Bar, Chart, Drawing, Threshold, draw, quantity
from regie.web.committees_usage import BlockRow, MonthUse
from tariffs.impact import ALL, GroupImpact

_NO_DATE = date(2000, 1, 1)  # category bars have no dates: the labels name them


@dataclass(frozen=True)
class Figure:
    chart: Chart
    drawing: Drawing
    labels: tuple[str, ...]  # what each bar stands for (a block, a group); "" for months
    series: tuple[str, ...]  # codes of the stacked values, in stacking order
    digits: int


def _figure(
    bars: Sequence[tuple[Decimal, ...]],
    labels: Sequence[str],
    series: Sequence[str],
    *,
    unit: str = "",
    digits: int = 0,
) -> Figure:
    chart = Chart(
        service="water", scale="month", unit=unit, digits=digits, registers=tuple(series),
        names=tuple(series), thresholds=(),
        bars=tuple(Bar(_NO_DATE, _NO_DATE, values, False) for values in bars),
    )  # fmt: skip
    return Figure(chart, draw(chart), tuple(labels), tuple(series), digits)


def households_by_block(blocks: Sequence[BlockRow]) -> Figure:
    """A histogram: how many households reach each block, social households apart."""
    bars = [(Decimal(b.households - b.social), Decimal(b.social)) for b in blocks]
    return _figure(bars, [b.name for b in blocks], ("other", "social"))


def use_by_month(service: str, months: Sequence[MonthUse], before: Sequence[MonthUse]) -> Figure:
    """Use per month, bars, with the same month a year earlier as a step line."""
    shown = [quantity(m.use, service, "month") for m in months]
    unit, digits = (shown[0].unit, shown[0].digits) if shown else ("", 0)
    last = tuple(quantity(m.use, service, "month").value for m in before)
    chart = Chart(
        service=service, scale="month", unit=unit, digits=digits, registers=("total",),
        names=("total",),
        bars=tuple(Bar(m.start, m.end, (q.value,), m.estimated > 0) for m, q in zip(
            months, shown, strict=True)),
        thresholds=(Threshold("last_year", last, True),) if any(last) else (),
    )  # fmt: skip
    return Figure(chart, draw(chart), ("",) * len(months), ("total",), digits)


def impact_by_group(groups: Sequence[GroupImpact]) -> Figure:
    """Per block reached and for social households: how many pay less, the same, more."""
    shown = [g for g in groups if g.name != ALL]
    bars = [(Decimal(g.pay_less), Decimal(g.unchanged), Decimal(g.pay_more)) for g in shown]
    return _figure(bars, [g.name for g in shown], ("pay_less", "unchanged", "pay_more"))
