"""Server-side SVG charts for admin pages: horizontal bars, grouped columns, a bullet (score
against a scale and a comparison mark) and a histogram.

Each chart is a `<figure>`: a caption, the SVG, and beside it a table of the very numbers
drawn, so a reader (or a screen reader, or someone printing the page in black and white)
never has to guess a value from a bar's length. The SVG is `role="img"` with a `<title>` and
a `<desc>` that says the values, and every bar has its own `<title>` (the browser shows it
on hover).

Made for the admin's Content-Security-Policy (`style-src 'self'`): no inline styles and no
script; colours are presentation attributes, layout is `admin/static/charts.css`. Nothing
here knows about surveys: a chart takes a title, labels, values, a unit and optionally a
comparison series, so any report page (issue 8's dashboards) can use it. A value may be None
(unknown or suppressed): no bar is drawn and the table says “—”.

Every chart takes `caption` too: the visible caption when it should differ from the title
("" for none, when the page's own heading names the chart).

Functions return `markupsafe.Markup`, ready for a Jinja2 template (`{{ chart }}`); every
text passed in is escaped here.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

__all__ = ["PALETTE", "Series", "bar_chart", "bullet", "grouped_bar_chart", "histogram", "histogram_bins"]

PALETTE = ("#1d5fbf", "#e8a33d", "#2f9e77", "#7b61c4", "#d9534f", "#3bb4c1", "#8c6d46", "#5f6b7a")
COMPARISON = "#b8c0cc"
TRACK = "#eef1f5"
FONT = 12
_ids = itertools.count(1)


@dataclass(frozen=True)
class Series:
    """One named row of values (a year, a group, weighted or not), aligned with the chart's labels."""

    name: str
    values: Sequence[float | None]
    colour: str | None = None


# -- small helpers -----------------------------------------------------------------------------------


def _id(prefix: str, given: str | None) -> str:
    return given or f"{prefix}-{next(_ids)}"


def _text_width(text: str, size: float = FONT) -> float:
    """Roughly how wide `text` is drawn: CJK full width, the rest a little over half."""
    return sum(size if ord(ch) >= 0x2E80 else size * 0.6 for ch in text)


def _fit(text: str, width: float, size: float = FONT) -> str:
    """`text` cut with an ellipsis so it fits `width` (the full text is in the table and the bar's title)."""
    if _text_width(text, size) <= width:
        return text
    out = ""
    for ch in text:
        if _text_width(out + ch + "…", size) > width:
            break
        out += ch
    return out + "…"


def _number(value: float | None, digits: int, unit: str = "") -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    text = f"{value:.{digits}f}" if digits else f"{value:.0f}"
    return f"{text}{unit}"


def _nice_max(values: Sequence[float | None]) -> float:
    """A round upper end for the axis above the largest value."""
    top = max([v for v in values if v is not None and v > 0] or [1.0])
    magnitude = 10 ** math.floor(math.log10(top))
    for step in (1, 2, 2.5, 5, 10):
        if step * magnitude >= top:
            return step * magnitude
    return 10 * magnitude


def _f(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _figure(kind: str, chart_id: str, title: str, svg: str, table: str, note: str = "",
            caption: str | None = None) -> Markup:
    """The figure; `caption` (default: the title) is its visible caption, "" for none when the
    page's heading already says what the chart is (the SVG keeps the full title)."""
    shown = title if caption is None else caption
    caption_html = f'<figcaption id="{chart_id}-caption">{escape(shown)}</figcaption>' if shown else ""
    labelled = f' aria-labelledby="{chart_id}-caption"' if shown else f' aria-label="{escape(title)}"'
    note_html = f'<p class="chart-note">{escape(note)}</p>' if note else ""
    return Markup(
        f'<figure class="chart chart-{kind}" id="{chart_id}"{labelled}>{caption_html}'
        f'<div class="chart-body"><div class="chart-graphic">{svg}</div>{table}</div>{note_html}</figure>'
    )


def _svg_open(chart_id: str, width: float, height: float, title: str, description: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart-svg" role="img" width="{_f(width)}" '
        f'height="{_f(height)}" viewBox="0 0 {_f(width)} {_f(height)}" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" font-size="{FONT}">'
        f'<title id="{chart_id}-title">{escape(title)}</title><desc id="{chart_id}-desc">{escape(description)}</desc>'
    )


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f'<th scope="col">{escape(h)}</th>' for h in headers)
    thead = f"<thead><tr>{head}</tr></thead>" if any(headers) else ""
    body = "".join(
        "<tr>" + f'<th scope="row">{escape(row[0])}</th>' + "".join(f'<td class="num">{escape(c)}</td>' for c in row[1:])
        + "</tr>"
        for row in rows
    )
    return f'<table class="chart-data grid">{thead}<tbody>{body}</tbody></table>'


def _describe(labels: Sequence[str], values: Sequence[float | None], digits: int, unit: str) -> str:
    return "；".join(f"{label} {_number(value, digits, unit)}" for label, value in zip(labels, values, strict=True))


# -- horizontal bars ---------------------------------------------------------------------------------


def bar_chart(
    *, title: str, labels: Sequence[str], values: Sequence[float | None], unit: str = "",
    comparison: Sequence[float | None] | None = None, value_label: str = "数值", comparison_label: str = "对比",
    max_value: float | None = None, digits: int = 1, chart_id: str | None = None, note: str = "",
    colour: str = PALETTE[0], caption: str | None = None,
) -> Markup:
    """One horizontal bar per label (shares, scores, counts); with `comparison`, a thinner grey
    bar under each (last year, unweighted) and both numbers in the table."""
    if len(labels) != len(values) or (comparison is not None and len(comparison) != len(labels)):
        raise ValueError("labels, values and comparison must be as long as each other")
    chart_id = _id("bar", chart_id)
    top = max_value if max_value is not None else _nice_max([*values, *(comparison or [])])
    label_width = min(180.0, max([_text_width(label) for label in labels] or [40.0]) + 8)
    bar_area, value_area = 320.0, 64.0
    row = 34.0 if comparison is not None else 24.0
    width = label_width + bar_area + value_area
    height = max(row * len(labels), row) + 8
    parts = [_svg_open(chart_id, width, height, title, _describe(labels, values, digits, unit))]
    for position, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = 4 + position * row
        parts.append(f'<g class="chart-row"><text x="{_f(label_width - 6)}" y="{_f(y + 15)}" text-anchor="end" '
                     f'fill="#1f2933">{escape(_fit(label, label_width - 8))}</text>')
        parts.append(f'<rect x="{_f(label_width)}" y="{_f(y + 3)}" width="{_f(bar_area)}" height="16" fill="{TRACK}"/>')
        if value is not None:
            length = max(0.0, min(1.0, value / top)) * bar_area if top else 0.0
            parts.append(f'<rect class="chart-bar-value" x="{_f(label_width)}" y="{_f(y + 3)}" width="{_f(length)}" '
                         f'height="16" fill="{colour}"><title>{escape(label)}：{escape(_number(value, digits, unit))}'
                         f'</title></rect>')
        parts.append(f'<text x="{_f(label_width + bar_area + 6)}" y="{_f(y + 15)}" fill="#1f2933">'
                     f'{escape(_number(value, digits, unit))}</text>')
        if comparison is not None:
            other = comparison[position]
            if other is not None:
                length = max(0.0, min(1.0, other / top)) * bar_area if top else 0.0
                parts.append(f'<rect class="chart-bar-comparison" x="{_f(label_width)}" y="{_f(y + 21)}" '
                             f'width="{_f(length)}" height="7" fill="{COMPARISON}"><title>{escape(label)}'
                             f'（{escape(comparison_label)}）：{escape(_number(other, digits, unit))}</title></rect>')
        parts.append("</g>")
    parts.append("</svg>")
    if comparison is not None:
        table = _table(["", value_label, comparison_label],
                       [[label, _number(v, digits, unit), _number(c, digits, unit)]
                        for label, v, c in zip(labels, values, comparison, strict=True)])
    else:
        table = _table(["", value_label],
                       [[label, _number(v, digits, unit)] for label, v in zip(labels, values, strict=True)])
    legend = ""
    if comparison is not None:
        legend = (f'<p class="chart-legend"><span class="swatch swatch-main"></span>{escape(value_label)} '
                  f'<span class="swatch swatch-comparison"></span>{escape(comparison_label)}</p>')
    return _figure("bar", chart_id, title, "".join(parts) + legend, table, note, caption)


# -- grouped columns ---------------------------------------------------------------------------------


def grouped_bar_chart(
    *, title: str, labels: Sequence[str], series: Sequence[Series], unit: str = "", max_value: float | None = None,
    digits: int = 1, chart_id: str | None = None, note: str = "", caption: str | None = None,
) -> Markup:
    """Vertical columns: for each label (a dimension) one column per series (this year, last
    year; or one per group), with a legend; the table has a column per series."""
    for one in series:
        if len(one.values) != len(labels):
            raise ValueError(f"series {one.name!r} does not have one value per label")
    chart_id = _id("grouped", chart_id)
    every = [v for one in series for v in one.values]
    top = max_value if max_value is not None else _nice_max(every)
    column = 18.0
    group_width = column * max(1, len(series)) + 24
    left, plot_height, bottom = 40.0, 200.0, 40.0
    width = left + group_width * max(1, len(labels)) + 8
    height = 12 + plot_height + bottom
    description = "；".join(
        f"{label}：" + "，".join(f"{one.name} {_number(one.values[i], digits, unit)}" for one in series)
        for i, label in enumerate(labels)
    )
    parts = [_svg_open(chart_id, width, height, title, description)]
    base = 12 + plot_height
    for tick in range(5):  # gridlines at 0, 25, 50, 75, 100 % of the axis
        value = top * tick / 4
        y = base - plot_height * tick / 4
        parts.append(f'<line x1="{_f(left)}" x2="{_f(width - 4)}" y1="{_f(y)}" y2="{_f(y)}" stroke="{TRACK}"/>'
                     f'<text x="{_f(left - 4)}" y="{_f(y + 4)}" text-anchor="end" fill="#5f6b7a">'
                     f'{escape(_number(value, 0))}</text>')
    colours = [one.colour or PALETTE[i % len(PALETTE)] for i, one in enumerate(series)]
    for i, label in enumerate(labels):
        x0 = left + i * group_width + 12
        for j, one in enumerate(series):
            value = one.values[i]
            if value is None:
                continue
            h = max(0.0, min(1.0, value / top)) * plot_height if top else 0.0
            parts.append(f'<rect class="chart-column" x="{_f(x0 + j * column)}" y="{_f(base - h)}" '
                         f'width="{_f(column - 3)}" height="{_f(h)}" fill="{colours[j]}"><title>{escape(label)} · '
                         f'{escape(one.name)}：{escape(_number(value, digits, unit))}</title></rect>')
        parts.append(f'<text x="{_f(x0 + (group_width - 24) / 2)}" y="{_f(base + 16)}" text-anchor="middle" '
                     f'fill="#1f2933">{escape(_fit(label, group_width - 4))}</text>')
    parts.append("</svg>")
    legend = '<p class="chart-legend">' + " ".join(
        f'<svg class="swatch" width="10" height="10" aria-hidden="true"><rect width="10" height="10" '
        f'fill="{colours[j]}"/></svg>{escape(one.name)}'
        for j, one in enumerate(series)
    ) + "</p>"
    table = _table(["", *[one.name for one in series]],
                   [[label, *[_number(one.values[i], digits, unit) for one in series]] for i, label in enumerate(labels)])
    return _figure("grouped", chart_id, title, "".join(parts) + legend, table, note, caption)


# -- a score against its scale -------------------------------------------------------------------------


def bullet(
    *, title: str, value: float | None, max_value: float = 100, unit: str = "分",
    comparison: float | None = None, comparison_label: str = "对比", bands: Sequence[float] = (60, 80),
    digits: int = 1, chart_id: str | None = None, note: str = "", caption: str | None = None,
) -> Markup:
    """A bullet chart: the value as a bar over shaded bands of its scale (below 60, 60–80, above
    80 by default), and the comparison (last year) as a vertical mark."""
    chart_id = _id("bullet", chart_id)
    width, left, track = 300.0, 4.0, 292.0
    height = 44.0
    description = f"{title} {_number(value, digits, unit)}（满分 {_number(max_value, 0)}）"
    if comparison is not None:
        description += f"；{comparison_label} {_number(comparison, digits, unit)}"
    parts = [_svg_open(chart_id, width, height, title, description)]
    edges = [0.0, *[b for b in bands if 0 < b < max_value], max_value]
    shades = ("#e4e8ee", "#d3d9e2", "#c2cad6", "#b1bbca")
    for k in range(len(edges) - 1):
        x = left + track * edges[k] / max_value
        w = track * (edges[k + 1] - edges[k]) / max_value
        parts.append(f'<rect x="{_f(x)}" y="6" width="{_f(w)}" height="22" fill="{shades[min(k, 3)]}"/>')
    if value is not None:
        w = track * max(0.0, min(1.0, value / max_value))
        parts.append(f'<rect class="chart-bullet-value" x="{_f(left)}" y="12" width="{_f(w)}" height="10" '
                     f'fill="{PALETTE[0]}"><title>{escape(title)}：{escape(_number(value, digits, unit))}</title></rect>')
    if comparison is not None:
        x = left + track * max(0.0, min(1.0, comparison / max_value))
        parts.append(f'<rect class="chart-bullet-mark" x="{_f(x - 1.5)}" y="3" width="3" height="28" fill="#1f2933">'
                     f'<title>{escape(comparison_label)}：{escape(_number(comparison, digits, unit))}</title></rect>')
    for edge in edges:
        x = left + track * edge / max_value
        anchor = "start" if edge == 0 else "end" if edge == max_value else "middle"
        parts.append(f'<text x="{_f(x)}" y="42" text-anchor="{anchor}" fill="#5f6b7a" font-size="10">'
                     f'{escape(_number(edge, 0))}</text>')
    parts.append("</svg>")
    rows = [["得分", _number(value, digits, unit)]]
    if comparison is not None:
        rows.append([comparison_label, _number(comparison, digits, unit)])
        if value is not None:
            delta = value - comparison
            rows.append(["变化", ("+" if delta > 0 else "") + _number(delta, digits, unit)])
    return _figure("bullet", chart_id, title, "".join(parts), _table(["", ""], rows), note, caption)


# -- histogram -----------------------------------------------------------------------------------------


def histogram_bins(values: Sequence[float], *, bins: int = 10) -> tuple[list[str], list[int]]:
    """Equal-width bins over the values' range: (labels "a–b", counts). Whole-number data with a
    small range gets one bin per value."""
    if not values:
        return [], []
    low, high = min(values), max(values)
    if all(float(v).is_integer() for v in values) and high - low < bins:
        points = list(range(int(low), int(high) + 1))
        return [str(p) for p in points], [sum(1 for v in values if v == p) for p in points]
    if high == low:
        return [_f(low)], [len(values)]
    step = (high - low) / bins
    counts = [0] * bins
    for v in values:
        counts[min(bins - 1, int((v - low) / step))] += 1
    labels = [f"{_f(low + k * step)}–{_f(low + (k + 1) * step)}" for k in range(bins)]
    return labels, counts


def histogram(
    *, title: str, labels: Sequence[str], counts: Sequence[float | None], unit: str = "",
    comparison: Sequence[float | None] | None = None, value_label: str = "数量", comparison_label: str = "对比",
    digits: int = 0, chart_id: str | None = None, note: str = "", full_labels: Sequence[str] | None = None,
    caption: str | None = None,
) -> Markup:
    """Adjacent columns, one per bin or scale point (the shape of a distribution); `full_labels`
    for the table when the axis shows short ones (``5`` on the axis, ``5分（很满意）`` in the table)."""
    if len(labels) != len(counts):
        raise ValueError("labels and counts must be as long as each other")
    chart_id = _id("histogram", chart_id)
    names = list(full_labels) if full_labels is not None else list(labels)
    top = _nice_max([*counts, *(comparison or [])])
    column = max(22.0, min(48.0, 440.0 / max(1, len(labels))))
    left, plot_height, bottom = 36.0, 140.0, 22.0
    width = left + column * max(1, len(labels)) + 8
    height = 16 + plot_height + bottom
    parts = [_svg_open(chart_id, width, height, title, _describe(names, counts, digits, unit))]
    base = 16 + plot_height
    parts.append(f'<line x1="{_f(left)}" x2="{_f(width - 4)}" y1="{_f(base)}" y2="{_f(base)}" stroke="#b8c0cc"/>')
    for i, (label, count) in enumerate(zip(labels, counts, strict=True)):
        x = left + i * column
        if count is not None:
            h = max(0.0, min(1.0, count / top)) * plot_height if top else 0.0
            parts.append(f'<rect class="chart-histogram-bin" x="{_f(x + 1)}" y="{_f(base - h)}" width="{_f(column - 2)}" '
                         f'height="{_f(h)}" fill="{PALETTE[0]}"><title>{escape(names[i])}：'
                         f'{escape(_number(count, digits, unit))}</title></rect>')
            parts.append(f'<text x="{_f(x + column / 2)}" y="{_f(base - h - 3)}" text-anchor="middle" '
                         f'fill="#1f2933" font-size="10">{escape(_number(count, digits))}</text>')
        if comparison is not None and comparison[i] is not None:
            h = max(0.0, min(1.0, comparison[i] / top)) * plot_height if top else 0.0
            parts.append(f'<rect class="chart-histogram-mark" x="{_f(x + 3)}" y="{_f(base - h - 1)}" '
                         f'width="{_f(column - 6)}" height="2" fill="#1f2933"><title>{escape(names[i])}'
                         f'（{escape(comparison_label)}）：{escape(_number(comparison[i], digits, unit))}</title></rect>')
        parts.append(f'<text x="{_f(x + column / 2)}" y="{_f(base + 15)}" text-anchor="middle" fill="#1f2933" '
                     f'font-size="11">{escape(_fit(label, column - 2, 11))}</text>')
    parts.append("</svg>")
    if comparison is not None:
        table = _table(["", value_label, comparison_label],
                       [[n, _number(c, digits, unit), _number(o, digits, unit)]
                        for n, c, o in zip(names, counts, comparison, strict=True)])
    else:
        table = _table(["", value_label], [[n, _number(c, digits, unit)] for n, c in zip(names, counts, strict=True)])
    return _figure("histogram", chart_id, title, "".join(parts), table, note, caption)
