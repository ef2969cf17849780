"""Server-side SVG charts: well-formed, accessible, escaped, CSP-safe, numbers in a table beside them."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from admin import charts

SVG = "{http://www.w3.org/2000/svg}"


def _svg(markup: str) -> ET.Element:
    found = re.search(r"<svg xmlns=.*?</svg>", str(markup), re.S)
    assert found, "no SVG in the chart"
    return ET.fromstring(found.group(0))  # well-formed XML, or this raises


def _table(markup: str) -> list[list[str]]:
    table = re.search(r'<table class="chart-data.*?</table>', str(markup), re.S).group(0)
    return [re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row) for row in re.findall(r"<tr>(.*?)</tr>", table)]


def test_a_bar_chart_draws_one_bar_per_value_and_lists_the_numbers():
    chart = charts.bar_chart(title="各维度得分", labels=["政务环境", "市场环境", "社会环境"], values=[82.5, 40, None],
                             unit="分", max_value=100, chart_id="dims")
    svg = _svg(chart)
    assert svg.get("role") == "img" and svg.get("aria-labelledby") == "dims-title dims-desc"
    assert svg.find(f"{SVG}title").text == "各维度得分"
    assert "政务环境 82.5分" in svg.find(f"{SVG}desc").text and "社会环境 —" in svg.find(f"{SVG}desc").text
    bars = [r for r in svg.iter(f"{SVG}rect") if r.get("class") == "chart-bar-value"]
    assert len(bars) == 2  # nothing drawn for the unknown value
    assert float(bars[0].get("width")) == pytest.approx(320 * 0.825, abs=0.06)
    assert float(bars[1].get("width")) == pytest.approx(320 * 0.4, abs=0.06)
    assert bars[0].find(f"{SVG}title").text == "政务环境：82.5分"
    assert _table(chart) == [["", "数值"], ["政务环境", "82.5分"], ["市场环境", "40.0分"], ["社会环境", "—"]]
    assert '<figcaption id="dims-caption">各维度得分</figcaption>' in chart


def test_a_comparison_series_is_drawn_and_tabulated_beside_the_values():
    chart = charts.bar_chart(title="对比", labels=["甲", "乙"], values=[50, 100], comparison=[25, None],
                             value_label="本期", comparison_label="上期", max_value=100)
    svg = _svg(chart)
    others = [r for r in svg.iter(f"{SVG}rect") if r.get("class") == "chart-bar-comparison"]
    assert len(others) == 1 and float(others[0].get("width")) == pytest.approx(80, abs=0.06)
    assert _table(chart) == [["", "本期", "上期"], ["甲", "50.0", "25.0"], ["乙", "100.0", "—"]]
    assert "上期" in chart and "swatch-comparison" in chart


def test_text_is_escaped_and_nothing_needs_inline_style_or_script():
    evil = '<script>alert("x")</script>'
    chart = str(charts.bar_chart(title=evil, labels=[evil], values=[1]))
    assert "<script>" not in chart and "&lt;script&gt;" in chart
    everything = chart + str(charts.grouped_bar_chart(title="t", labels=["a"], series=[charts.Series("s", [1])]))
    everything += str(charts.bullet(title="t", value=50, comparison=40))
    everything += str(charts.histogram(title="t", labels=["1"], counts=[3]))
    assert "style=" not in everything and "<script" not in everything and "javascript:" not in everything


def test_long_labels_are_shortened_on_the_chart_but_whole_in_the_table():
    label = "非常非常长的一个选项名称用来测试截断是否正常工作以及表格是否保留全文"
    chart = charts.bar_chart(title="t", labels=[label], values=[3])
    drawn = [t.text for t in _svg(chart).iter(f"{SVG}text")]
    assert any(text.endswith("…") and text[:-1] in label for text in drawn)
    assert _table(chart)[1][0] == label


def test_grouped_columns_have_one_column_per_series_and_a_legend():
    chart = charts.grouped_bar_chart(
        title="维度得分", labels=["政务", "市场"],
        series=[charts.Series("加权", [80, 60]), charts.Series("未加权", [70, None])], max_value=100,
    )
    columns = [r for r in _svg(chart).iter(f"{SVG}rect") if r.get("class") == "chart-column"]
    assert [c.find(f"{SVG}title").text for c in columns] == ["政务 · 加权：80.0", "政务 · 未加权：70.0", "市场 · 加权：60.0"]
    assert float(columns[0].get("height")) == pytest.approx(160, abs=0.06)
    assert _table(chart) == [["", "加权", "未加权"], ["政务", "80.0", "70.0"], ["市场", "60.0", "—"]]
    assert 'class="chart-legend"' in chart
    with pytest.raises(ValueError):
        charts.grouped_bar_chart(title="t", labels=["a", "b"], series=[charts.Series("s", [1])])


def test_a_bullet_shows_the_score_against_the_comparison_and_the_change():
    chart = charts.bullet(title="政务环境", value=82, comparison=75.5, comparison_label="上期（2025）")
    svg = _svg(chart)
    value = [r for r in svg.iter(f"{SVG}rect") if r.get("class") == "chart-bullet-value"][0]
    mark = [r for r in svg.iter(f"{SVG}rect") if r.get("class") == "chart-bullet-mark"][0]
    assert float(value.get("width")) == pytest.approx(292 * 0.82, abs=0.06)
    assert float(mark.get("x")) == pytest.approx(4 + 292 * 0.755 - 1.5, abs=0.06)
    assert _table(chart) == [["得分", "82.0分"], ["上期（2025）", "75.5分"], ["变化", "+6.5分"]]
    assert _table(charts.bullet(title="t", value=None)) == [["得分", "—"]]


def test_a_histogram_bins_values_and_draws_adjacent_columns():
    assert charts.histogram_bins([1, 2, 2, 5]) == (["1", "2", "3", "4", "5"], [1, 2, 0, 0, 1])
    labels, counts = charts.histogram_bins([0.5, 1.5, 99.0], bins=4)
    assert len(labels) == 4 and sum(counts) == 3 and counts[0] == 2 and counts[-1] == 1
    assert charts.histogram_bins([]) == ([], [])
    assert charts.histogram_bins([7.5, 7.5]) == (["7.5"], [2])
    chart = charts.histogram(title="工作日", labels=["1", "2"], full_labels=["1分（很不满意）", "2分"], counts=[4, 1],
                             comparison=[3, 2], unit="份")
    bins = [r for r in _svg(chart).iter(f"{SVG}rect") if r.get("class") == "chart-histogram-bin"]
    assert len(bins) == 2 and float(bins[0].get("height")) > float(bins[1].get("height"))
    assert _table(chart)[1] == ["1分（很不满意）", "4份", "3份"]
    with pytest.raises(ValueError):
        charts.histogram(title="t", labels=["a"], counts=[1, 2])


def test_the_caption_may_differ_from_the_title_or_be_left_to_the_page():
    chart = charts.bar_chart(title="1. 满意度", labels=["a"], values=[1], caption="", chart_id="q1")
    assert "<figcaption" not in chart and 'aria-label="1. 满意度"' in chart
    assert _svg(chart).find(f"{SVG}title").text == "1. 满意度"
    other = charts.histogram(title="1. 满意度", labels=["a"], counts=[1], caption="回答分布", chart_id="q2")
    assert '<figcaption id="q2-caption">回答分布</figcaption>' in other
