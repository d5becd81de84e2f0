"""Server-rendered SVG charts: a line chart over time and a bar chart by category.

No JavaScript and no style attributes (the CSP forbids inline styles): colours and strokes come
from CSS classes in ``app.css`` (``.chart-*``, ``.series-N``). Each chart is a ``<figure>`` whose
SVG has ``role="img"`` with a ``<title>`` and a ``<desc>`` summarising it, and a data table
fallback in a ``<details>`` element, so screen readers and people who prefer numbers get them.
Every label is escaped; the functions return ``Markup`` that templates print as is.

Usage from a route: ``{"nps_chart": line_chart("NPS by month", labels, [Series("NPS", values)])}``
and ``{{ nps_chart }}`` in the template. ``register(env)`` makes them Jinja globals as well.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 640
HEIGHT = 260
MARGIN_LEFT = 52
MARGIN_RIGHT = 36
MARGIN_TOP = 16
MARGIN_BOTTOM = 56
MAX_X_LABELS = 12
MAX_LABEL_CHARS = 16
SERIES_CLASSES = 6


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]


def _fmt(value: float | None, unit: str = "") -> str:
    if value is None:
        return "–"
    text = f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"
    return f"{text}{unit}"


def _chart_id(title: str, *parts: object) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:24] or "chart"
    digest = hashlib.sha1(repr((title, parts)).encode()).hexdigest()[:8]
    return f"chart-{slug}-{digest}"


def _nice_step(span: float, ticks: int = 5) -> float:
    raw = span / max(ticks, 1)
    magnitude = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


def _scale(values: Sequence[float], y_min: float | None, y_max: float | None) -> tuple[float, float, float]:
    """(low, high, tick step) covering the values, zero included for bars, rounded to nice numbers."""
    low = y_min if y_min is not None else min([0.0, *values])
    high = y_max if y_max is not None else max([0.0, *values])
    if high <= low:
        high = low + 1
    step = _nice_step(high - low)
    if all(float(v).is_integer() for v in values):
        # Counts: ticks on whole numbers, never "0.2 messages".
        step = max(step, 1.0)
    if y_min is None:
        low = math.floor(low / step) * step
    if y_max is None:
        high = math.ceil(high / step) * step
    return low, high, step


def _short(label: str, max_chars: int = MAX_LABEL_CHARS) -> str:
    return label if len(label) <= max_chars else label[: max_chars - 1] + "…"


def _data_table(title: str, label_heading: str, labels: Sequence[str], series: Sequence[Series], unit: str) -> str:
    head = "".join(f'<th scope="col">{escape(s.name)}</th>' for s in series)
    body = "".join(
        f'<tr><th scope="row">{escape(label)}</th>'
        + "".join(f"<td>{escape(_fmt(s.values[i] if i < len(s.values) else None, unit))}</td>" for s in series)
        + "</tr>"
        for i, label in enumerate(labels)
    )
    return (
        f'<details class="chart-data"><summary>Data table: {escape(title)}</summary>'
        f'<table class="data"><caption>{escape(title)}</caption>'
        f'<thead><tr><th scope="col">{escape(label_heading)}</th>{head}</tr></thead><tbody>{body}</tbody></table></details>'
    )


def _frame(chart_id: str, title: str, description: str, inner: str, table: str, legend: str = "") -> Markup:
    return Markup(
        f'<figure class="chart" id="{chart_id}">'
        f'<svg class="chart-svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{chart_id}-title">{escape(title)}</title><desc id="{chart_id}-desc">{escape(description)}</desc>'
        f"{inner}</svg>"
        f'<figcaption class="chart-caption">{escape(title)}</figcaption>{legend}{table}</figure>'
    )


def _y_axis(low: float, high: float, step: float, y_of, unit: str) -> list[str]:
    parts = []
    tick = low
    while tick <= high + step / 1000:
        y = y_of(tick)
        parts.append(
            f'<line class="chart-grid" x1="{MARGIN_LEFT}" x2="{WIDTH - MARGIN_RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>'
        )
        parts.append(
            f'<text class="chart-tick" x="{MARGIN_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{escape(_fmt(tick, unit))}</text>'
        )
        tick += step
    return parts


def _x_labels(labels: Sequence[str], x_of) -> list[str]:
    every = max(1, math.ceil(len(labels) / MAX_X_LABELS))
    # About 7 user units per character at 12px: as much of each label as its slot holds.
    slot = (WIDTH - MARGIN_LEFT - MARGIN_RIGHT) / max(1, math.ceil(len(labels) / every))
    max_chars = max(6, int(slot / 7))
    parts = []
    for i, label in enumerate(labels):
        if i % every:
            continue
        x = x_of(i)
        parts.append(
            f'<text class="chart-label" x="{x:.1f}" y="{HEIGHT - MARGIN_BOTTOM + 30}" text-anchor="middle">'
            f"<title>{escape(label)}</title>{escape(_short(label, max_chars))}</text>"
        )
    return parts


def line_chart(
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    y_min: float | None = None,
    y_max: float | None = None,
    unit: str = "",
    description: str = "",
    label_heading: str = "Period",
) -> Markup:
    """Values over ordered labels (periods); a None value leaves a gap in its line."""
    present = [v for s in series for v in s.values if v is not None]
    chart_id = _chart_id(title, tuple(labels), tuple((s.name, tuple(s.values)) for s in series))
    if not present:
        summary = description or f"{title}: no data yet."
        inner = f'<text class="chart-empty" x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle">No data yet</text>'
        return _frame(chart_id, title, summary, inner, _data_table(title, label_heading, labels, series, unit))
    low, high, step = _scale(present, y_min, y_max)
    plot_w = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_h = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM

    def x_of(i: int) -> float:
        return MARGIN_LEFT + (plot_w * i / (len(labels) - 1) if len(labels) > 1 else plot_w / 2)

    def y_of(value: float) -> float:
        return MARGIN_TOP + plot_h * (1 - (value - low) / (high - low))

    parts = _y_axis(low, high, step, y_of, unit) + _x_labels(labels, x_of)
    for index, one in enumerate(series):
        css = f"series-{index % SERIES_CLASSES}"
        run: list[str] = []
        runs: list[list[str]] = []
        for i, value in enumerate(one.values[: len(labels)]):
            if value is None:
                if run:
                    runs.append(run)
                run = []
                continue
            run.append(f"{x_of(i):.1f},{y_of(value):.1f}")
            parts.append(
                f'<circle class="chart-point {css}" cx="{x_of(i):.1f}" cy="{y_of(value):.1f}" r="3">'
                f"<title>{escape(one.name)}, {escape(labels[i])}: {escape(_fmt(value, unit))}</title></circle>"
            )
        if run:
            runs.append(run)
        for points in runs:
            if len(points) > 1:
                parts.insert(0, f'<polyline class="chart-line {css}" points="{" ".join(points)}"/>')
    latest = [f"{s.name} {_fmt(next((v for v in reversed(s.values) if v is not None), None), unit)}" for s in series]
    summary = description or f"{title} from {labels[0]} to {labels[-1]}; latest: {', '.join(latest)}."
    legend = ""
    if len(series) > 1:
        legend = (
            '<ul class="chart-legend">'
            + "".join(
                f'<li><span class="chart-swatch series-{i % SERIES_CLASSES}" aria-hidden="true"></span>{escape(s.name)}</li>'
                for i, s in enumerate(series)
            )
            + "</ul>"
        )
    return _frame(
        chart_id, title, summary, "".join(parts), _data_table(title, label_heading, labels, series, unit), legend
    )


def bar_chart(
    title: str,
    labels: Sequence[str],
    values: Sequence[float | None],
    *,
    y_min: float | None = None,
    y_max: float | None = None,
    unit: str = "",
    description: str = "",
    label_heading: str = "Category",
    value_heading: str = "Value",
) -> Markup:
    """One bar per category; negative values hang below the zero line (NPS can be negative)."""
    series = [Series(value_heading, values)]
    chart_id = _chart_id(title, tuple(labels), tuple(values))
    present = [v for v in values if v is not None]
    if not present:
        summary = description or f"{title}: no data yet."
        inner = f'<text class="chart-empty" x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle">No data yet</text>'
        return _frame(chart_id, title, summary, inner, _data_table(title, label_heading, labels, series, unit))
    low, high, step = _scale(present, y_min, y_max)
    plot_w = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_h = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    slot = plot_w / len(labels)
    bar_w = max(2.0, slot * 0.6)

    def x_of(i: int) -> float:
        return MARGIN_LEFT + slot * (i + 0.5)

    def y_of(value: float) -> float:
        return MARGIN_TOP + plot_h * (1 - (value - low) / (high - low))

    zero = y_of(min(max(0.0, low), high))
    parts = _y_axis(low, high, step, y_of, unit) + _x_labels(labels, x_of)
    for i, value in enumerate(values[: len(labels)]):
        if value is None:
            continue
        top, bottom = sorted((y_of(value), zero))
        sign = "negative" if value < 0 else "positive"
        parts.append(
            f'<rect class="chart-bar {sign}" x="{x_of(i) - bar_w / 2:.1f}" y="{top:.1f}" width="{bar_w:.1f}" '
            f'height="{max(bottom - top, 0.5):.1f}"><title>{escape(labels[i])}: {escape(_fmt(value, unit))}</title></rect>'
        )
        label_y = top - 4 if value >= 0 else bottom + 12
        parts.append(
            f'<text class="chart-value" x="{x_of(i):.1f}" y="{label_y:.1f}" text-anchor="middle">'
            f"{escape(_fmt(value, unit))}</text>"
        )
    parts.append(
        f'<line class="chart-axis" x1="{MARGIN_LEFT}" x2="{WIDTH - MARGIN_RIGHT}" y1="{zero:.1f}" y2="{zero:.1f}"/>'
    )
    pairs = [f"{label} {_fmt(value, unit)}" for label, value in zip(labels, values, strict=False)]
    summary = description or f"{title}: " + "; ".join(pairs[:20]) + ("…" if len(pairs) > 20 else "") + "."
    return _frame(chart_id, title, summary, "".join(parts), _data_table(title, label_heading, labels, series, unit))
