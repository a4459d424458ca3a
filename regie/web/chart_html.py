"""The repeated parts of a usage chart written in Python (templates/_components/chart.html
calls them): the bars of its SVG and the rows of its table. As Jinja expressions, the
escaping and formatting of a few hundred figures took a quarter of the household page."""

from __future__ import annotations

from typing import Any

from litestar import Request
from markupsafe import Markup, escape

from regie.web import i18n
from regie.web.charts import Chart, Drawing
from regie.web.fragments import environment


def chart_bars(chart: Chart, drawing: Drawing, long: str) -> Markup:
    """One `<rect>` per register of each bar, its figure in its title."""
    unit, digits = escape(chart.unit), chart.digits
    names = [escape(n) for n in chart.names]
    out = []
    for r in drawing.rects:
        bar = chart.bars[r.bar]
        state = " estimated" if bar.estimated else ""
        day = escape(i18n.day(bar.start, long))
        figure = escape(i18n.number(bar.values[r.register], digits))
        out.append(
            f'<rect class="reg-{r.register}{state}" x="{r.x}" y="{r.y}" width="{r.width}"'
            f' height="{r.height}"><title>{day} · {names[r.register]} : {figure} {unit}'
            "</title></rect>"
        )
    return Markup("\n      ".join(out))  # noqa: S704 (every value above is escaped)


def chart_rows(chart: Chart, long: str) -> Markup:
    """The table's rows: the period, each register, their total, each block's threshold."""
    digits = chart.digits
    badge = f' <span class="badge estimated">{escape(i18n.gettext("estimated"))}</span>'
    several = len(chart.registers) > 1
    out = []
    for i, bar in enumerate(chart.bars):
        cells = [f'<th scope="row">{escape(i18n.day(bar.start, long))}']
        cells.append(f"{badge}</th>" if bar.estimated else "</th>")
        figures = list(bar.values)
        if several:
            figures.append(bar.total)
        figures.extend(t.values[i] for t in chart.thresholds)
        cells.extend(f'<td class="num">{escape(i18n.number(v, digits))}</td>' for v in figures)
        out.append("<tr>" + "".join(cells) + "</tr>")
    return Markup("\n        ".join(out))  # noqa: S704 (every value above is escaped)


def chart_figure(
    request: Request[Any, Any, Any], chart: Chart, drawing: Drawing, title: str
) -> Markup:
    """The whole figure as `usage_chart` in templates/_components/chart.html writes it, for
    a page to keep and show again while its figures and language are the same."""
    template = environment(request).get_template("_components/chart.html")
    macro = template.module.usage_chart  # type: ignore[attr-defined]
    return Markup(macro(chart, drawing, title))  # noqa: S704 (a template's autoescaped output)


def configure(env: object) -> None:
    """Make the helpers callable from every template (imported macros see globals)."""
    env.globals.update(chart_bars=chart_bars, chart_rows=chart_rows)  # type: ignore[attr-defined]
