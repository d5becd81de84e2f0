"""SVG charts: present, accessible, escaped, free of inline styles, with a data table."""

from __future__ import annotations

import re

from web.charts import Series, bar_chart, line_chart


def test_a_line_chart_is_an_accessible_svg_with_a_data_table():
    html = str(line_chart("NPS by month", ["2026-01", "2026-02"], [Series("NPS", [10, 30])]))
    assert '<svg class="chart-svg"' in html and 'role="img"' in html
    assert re.search(r'aria-labelledby="(chart-[\w-]+)-title \1-desc"', html)
    assert "<title" in html and "<polyline" in html and "<table" in html and '<th scope="row">2026-02</th>' in html


def test_labels_and_titles_are_escaped():
    html = str(bar_chart("<b>Products</b>", ["<script>alert(1)</script>"], [5]))
    assert "<script>" not in html and "&lt;script&gt;" in html and "&lt;b&gt;Products" in html


def test_charts_use_classes_not_style_attributes():
    html = str(line_chart("x", ["a", "b"], [Series("s", [1, 2]), Series("t", [2, 1])])) + str(
        bar_chart("y", ["a"], [1])
    )
    assert "style=" not in html and "<script" not in html
    assert "series-0" in html and "series-1" in html and "chart-legend" in html


def test_negative_bars_hang_below_zero():
    html = str(bar_chart("NPS by product", ["A", "B"], [40, -20], y_min=-100, y_max=100))
    assert 'class="chart-bar negative"' in html and 'class="chart-bar positive"' in html


def test_a_gap_in_the_data_breaks_the_line():
    html = str(line_chart("gaps", ["a", "b", "c", "d", "e"], [Series("s", [1, 2, None, 3, 4])]))
    assert html.count("<polyline") == 2


def test_no_data_says_so():
    html = str(line_chart("Empty", ["a"], [Series("s", [None])]))
    assert "No data yet" in html and "<table" in html
