"""Usage charts drawn on the server as SVG (no script, no CDN): bars per day, month or year,
stacked per register, the household's block thresholds as step lines over them, and the
figures that the text summary and the table alternative give to screen readers."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from functools import cached_property, lru_cache
from typing import NamedTuple

from metering.units import BASE_UNITS
from tariffs.engine import conversion_factor
from tariffs.model import Tariff
from tariffs.money import period_share

# The unit each chart speaks: litres for a day of water, m³ beyond; kWh for electricity.
# (shown spelling, Pint spelling, decimals shown)
UNITS = {
    ("water", "day"): ("L", "L", 0),
    ("water", "month"): ("m³", "m^3", 1),
    ("water", "year"): ("m³", "m^3", 1),
    ("electricity", "day"): ("kWh", "kWh", 1),
    ("electricity", "month"): ("kWh", "kWh", 0),
    ("electricity", "year"): ("kWh", "kWh", 0),
}
WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 52, 8, 24, 26
MAX_LABELS = 8
PLOT_ABOVE = 2  # thresholds far above the bars would flatten them: drawn up to 2× the tallest


@dataclass(frozen=True)
class Bar:
    start: date
    end: date
    values: tuple[Decimal, ...]  # per register, in the chart's unit
    estimated: bool

    @cached_property
    def total(self) -> Decimal:  # asked for by the axis, the peak, the summary and the table
        return sum(self.values, Decimal(0))


@dataclass(frozen=True)
class Threshold:
    """A block's threshold over each bar's days (prorated as bills prorate it)."""

    name: str
    values: tuple[Decimal, ...]
    plotted: bool


@dataclass(frozen=True)
class Chart:
    service: str
    scale: str
    unit: str
    digits: int
    registers: tuple[str, ...]  # meter registers, stacked in this order
    names: tuple[str, ...]  # their names as the tariff gives them
    bars: tuple[Bar, ...]
    thresholds: tuple[Threshold, ...]

    @property
    def total(self) -> Decimal:
        return sum((b.total for b in self.bars), Decimal(0))

    @property
    def average(self) -> Decimal:
        return self.total / len(self.bars) if self.bars else Decimal(0)

    @property
    def peak(self) -> Bar | None:
        return max(self.bars, key=lambda b: b.total) if self.bars else None

    @property
    def estimated(self) -> bool:
        return any(b.estimated for b in self.bars)


def build_chart(
    service: str,
    scale: str,
    bars: Sequence[tuple[date, date, Mapping[str, int], bool]],
    tariff: Tariff | None,
    persons: int,
    names: Mapping[str, str] | None = None,
) -> Chart:
    """`bars`: (first day, last day, use per meter register in base units, estimated)."""
    unit, pint_unit, digits = UNITS[(service, scale)]
    seen = {r for _, _, use, _ in bars for r in use}
    registers = tuple(sorted(seen - {"total"})) or ("total",)
    factor = Fraction(conversion_factor(BASE_UNITS[service], pint_unit))
    drawn = tuple(
        Bar(first, last, tuple(_scaled(use.get(r, 0), factor) for r in registers), est)
        for first, last, use, est in bars
    )
    thresholds: list[Threshold] = []
    if tariff is not None:
        to_chart = conversion_factor(tariff.unit, pint_unit)
        tallest = max((b.total for b in drawn), default=Decimal(0))
        # The bars of a day chart share a handful of spans of the tariff period: each share
        # and each threshold over it is computed once.
        shares: dict[tuple[date, date], Fraction] = {}
        for b in drawn:
            if (b.start, b.end) not in shares:
                shares[(b.start, b.end)] = _share(tariff.period, b.start, b.end)
        for block in tariff.blocks:
            threshold = block.threshold(persons)
            if threshold is None:
                continue
            over: dict[Fraction, Decimal] = {}
            for share in set(shares.values()):
                over[share] = _dec(Fraction(threshold) * share * to_chart)
            values = tuple(over[shares[(b.start, b.end)]] for b in drawn)
            plotted = not thresholds or max(values, default=0) <= PLOT_ABOVE * tallest
            thresholds.append(Threshold(block.name, values, plotted))
    shown = tuple((names or {}).get(r, r) for r in registers)
    return Chart(service, scale, unit, digits, registers, shown, drawn, tuple(thresholds))


@dataclass(frozen=True)
class Quantity:
    value: Decimal
    unit: str
    digits: int


def quantity(base: int, service: str, scale: str) -> Quantity:
    """A use in base units (L, Wh) in the unit a chart of `scale` shows it."""
    unit, pint_unit, digits = UNITS[(service, scale)]
    return Quantity(_dec(base * conversion_factor(BASE_UNITS[service], pint_unit)), unit, digits)


_share = lru_cache(maxsize=4096)(period_share)  # pure: the same spans come back every page


def _dec(value: Fraction) -> Decimal:
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal("0.001"))


def _scaled(base: int, factor: Fraction) -> Decimal:
    """`_dec(base * factor)` without building a Fraction per figure (the same exact quotient,
    rounded the same way)."""
    return (Decimal(base * factor.numerator) / Decimal(factor.denominator)).quantize(
        Decimal("0.001")
    )


class Rect(NamedTuple):  # a hundred a chart: a tuple is cheaper to make than a dataclass
    x: float
    y: float
    width: float
    height: float
    register: int
    bar: int


class Line(NamedTuple):
    threshold: int
    d: str  # SVG path data of the step line


class Tick(NamedTuple):
    y: float
    value: Decimal


class Label(NamedTuple):
    x: float
    bar: int


@dataclass(frozen=True)
class Drawing:
    width: int
    height: int
    left: int
    right: float
    top: int
    bottom: float
    rects: tuple[Rect, ...]
    lines: tuple[Line, ...]
    ticks: tuple[Tick, ...]
    labels: tuple[Label, ...]


def draw(chart: Chart) -> Drawing:
    """The geometry of the chart in a WIDTH × HEIGHT view box."""
    right, bottom = WIDTH - RIGHT, HEIGHT - BOTTOM
    plotted = [t for t in chart.thresholds if t.plotted]
    tallest = max([b.total for b in chart.bars] + [v for t in plotted for v in t.values] + [0])
    step, top_value = _scale(float(tallest))
    span = bottom - TOP

    def y(value: Decimal | float) -> float:
        return round(bottom - float(value) / top_value * span, 1)

    n = max(len(chart.bars), 1)
    slot = (right - LEFT) / n
    width = round(slot * 0.7, 1)
    rects = []
    for i, bar in enumerate(chart.bars):
        x = round(LEFT + i * slot + (slot - width) / 2, 1)
        base, below = Decimal(0), y(0)
        for r, value in enumerate(bar.values):
            if value > 0:
                top = y(base + value)
                rects.append(Rect(x, top, width, round(below - top, 1), r, i))
            base += value
            below = y(base)
    lines = []
    for t, threshold in enumerate(chart.thresholds):
        if not threshold.plotted or not chart.bars:
            continue
        d = [f"M{LEFT:.1f} {y(threshold.values[0])}"]
        for i, value in enumerate(threshold.values):
            if i:
                d.append(f"V{y(value)}")
            d.append(f"H{LEFT + (i + 1) * slot:.1f}")
        lines.append(Line(t, " ".join(d)))
    ticks = tuple(
        Tick(y(k * step), _tick(k * step)) for k in range(int(top_value / step + 1e-9) + 1)
    )
    every = math.ceil(len(chart.bars) / MAX_LABELS) if chart.bars else 1
    labels = tuple(
        Label(round(LEFT + (i + 0.5) * slot, 1), i)
        for i in range(len(chart.bars) - 1, -1, -every)  # the latest bar is always labelled
    )
    return Drawing(
        WIDTH, HEIGHT, LEFT, right, TOP, bottom, tuple(rects), tuple(lines), ticks, labels[::-1]
    )


def _scale(tallest: float) -> tuple[float, float]:
    """A round step (1, 2 or 5 × 10ⁿ) giving about four grid lines, and the top of the axis."""
    if tallest <= 0:
        return 1.0, 4.0
    raw = tallest / 4
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    return step, step * math.ceil(tallest / step)


def _tick(value: float) -> Decimal:
    return Decimal(str(round(value, 6))).normalize() + Decimal(0)
