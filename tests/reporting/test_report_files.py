"""A report's files: the printable page, its PDF and the workbook say the same numbers as
`period_figures` (the dashboard) for the same period and scope."""

from __future__ import annotations

import re
import shutil
import subprocess
import zlib

import pytest
from openpyxl import load_workbook

from app.reporting.figures import period_figures
from app.reporting.report_content import SUMMARY_LINES, compose_report
from app.reporting.report_files import SHEETS, file_names, format_change, format_value, write_report_files
from app.reporting.scope import CITY
from tests.reporting.report_data import NOW, Q2, seed_two_quarters


def pdf_pages(pdf: bytes) -> int:
    """Page objects in the PDF (WeasyPrint keeps them in compressed object streams)."""
    text = pdf
    for stream in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            text += zlib.decompress(stream.group(1))
        except zlib.error:
            continue
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", text))


@pytest.fixture
async def files(db, settings, tmp_path):
    await seed_two_quarters(settings)
    content = await compose_report(scope=CITY, **Q2, settings=settings, now=NOW)
    names = file_names(report_id=7, **{"period_start": Q2["period_start"], "period_end": Q2["period_end"]})
    written = write_report_files(content, tmp_path / "reports" / "7", names)
    figures = await period_figures(scope=CITY, **Q2, settings=settings, now=NOW)
    return content, written, figures


async def test_the_page_is_printable_and_self_contained(files):
    content, written, figures = files
    html = written.html.read_text(encoding="utf-8")
    assert written.html.name == "report-7-2025-04-01-2025-06-30.html"
    assert '<meta charset="utf-8">' in html and "@page" in html and "counter(pages)" in html
    assert '"Noto Sans CJK SC"' in html and "<link" not in html  # the stylesheet is inlined
    assert content.title in html and "2025年第二季度" in html
    # Charts are inline SVG, each with the table of its numbers.
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg" class="chart-svg"') >= 3
    assert html.count('class="chart-data grid"') >= 3
    received = format_value(figures.appeals.received)
    assert f'<tr data-key="appeals.received">' in html
    row = html.split('<tr data-key="appeals.received">')[1].split("</tr>")[0]
    assert f">{received}<" in row and ">10<" in row and '<td class="num better">+4<' in row
    for section in ("一、总体情况", "二、承办单位考核排名", "三、共性问题", "四、政策服务", "五、专业服务机构与服务活动"):
        assert section in html


async def test_the_pdf_opens_and_has_pages(files):
    content, written, figures = files
    pdf = written.pdf.read_bytes()
    assert pdf.startswith(b"%PDF-")
    assert written.pages >= 2 and pdf_pages(pdf) == written.pages
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-layout", str(written.pdf), "-"], capture_output=True, check=True,
                              text=True).stdout
        assert content.title.replace("（", "").split("企业服务动态")[0] in text
        assert format_value(figures.appeals.resolution_rate, "rate") in text


async def test_the_workbook_has_a_sheet_per_table_and_its_summary_is_the_figures(files):
    content, written, figures = files
    workbook = load_workbook(written.xlsx)
    assert workbook.sheetnames == list(SHEETS) == ["汇总", "排名", "共性问题", "政策服务", "服务机构与活动", "评估结果"]
    summary = workbook["汇总"]
    assert summary["A1"].value == content.title
    assert [c.value for c in summary[3]][:5] == ["分组", "指标", "本期", "上期（2025年第一季度）", "变化"]
    rows = list(summary.iter_rows(min_row=4, values_only=True))
    assert [row[1] for row in rows] == [line.label for line in SUMMARY_LINES]
    for line, row in zip(SUMMARY_LINES, rows, strict=True):
        expected = line.read(figures)
        assert row[2] == (pytest.approx(expected) if expected is not None else None), line.key
    rate_row = rows[[line.key for line in SUMMARY_LINES].index("appeals.resolution_rate")]
    assert rate_row[2] == pytest.approx(12 / 14) and rate_row[3] == pytest.approx(0.5)
    league = list(workbook["排名"].iter_rows(min_row=4, values_only=True))
    assert league[0][:2] == (1, "市科委")
    issues = list(workbook["共性问题"].iter_rows(min_row=4, values_only=True))
    assert any(row[2] == 3 and "厂房" in row[1] for row in issues)  # the rent cluster, among the largest
    assert workbook["评估结果"]["A4"].value == "本统计期内没有结束的营商环境评估"


def test_figures_are_printed_as_staff_read_them():
    assert (format_value(None), format_value(1234), format_value(0.8571, "rate")) == ("—", "1,234", "85.7%")
    assert format_change(0.1, "rate") == "+10.0个百分点" and format_change(0, "count") == "持平"
    assert format_change(-2.5, "days") == "-2.5" and format_change(None) == "—"
