"""A survey's results page in a real headless Chromium: the SVG charts render, with Chinese text.

Same requirements and skipping rule as tests/admin/test_browser.py (Debian's chromium and
fonts-noto-cjk, no browser download; QIYUN_REQUIRE_BROWSER=1 turns a missing browser into a
failure). The screenshot is left in QIYUN_SCREENSHOT_DIR (default /tmp) to look at.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.admin.test_browser import browser, page, sign_in  # noqa: F401  (fixtures)
from tests.admin.test_survey_results import _answered_survey

pytestmark = pytest.mark.browser

SCREENSHOT = Path(os.environ.get("QIYUN_SCREENSHOT_DIR", "/tmp")) / "qiyun-admin-survey-results.png"


async def test_the_results_page_draws_its_charts(page, accounts, settings):  # noqa: F811
    survey = await _answered_survey(settings)
    await sign_in(page, "pinggu")
    await page.click("nav.sidenav a:has-text('营商环境评估')")
    response = await page.goto(f"/admin/surveys/{survey.id}/results")
    assert response.status == 200
    assert await page.title() == f"结果 · {survey.title} · 企云管理后台"

    overview = page.locator("#dimension-scores svg.chart-svg")
    box = await overview.bounding_box()
    assert box and box["width"] > 200 and box["height"] > 100  # laid out, not collapsed by CSS
    assert await page.locator("#dimension-scores svg.chart-svg rect.chart-column").count() >= 6
    assert "政务环境" in await page.locator("#dimension-scores svg.chart-svg").inner_html()
    assert await page.locator("#question-q6 svg rect.chart-bar-value").count() == 4
    assert await page.locator("figure.chart svg[role=img]").count() >= 10
    # Chinese glyphs are drawn with a CJK font: a two-character label is about two em wide, not tofu-narrow.
    label_width = await page.evaluate(
        "() => { const t = [...document.querySelectorAll('#dimension-scores svg text')]"
        ".find(e => e.textContent === '政务环境'); return t ? t.getBBox().width : 0; }")
    assert label_width > 30
    stylesheet_applied = await page.evaluate(
        "() => getComputedStyle(document.querySelector('.chart-body')).display")
    assert stylesheet_applied == "flex"
    await page.screenshot(path=str(SCREENSHOT), full_page=True)
    assert SCREENSHOT.stat().st_size > 30_000
    assert not [m for m in page.console_messages if "Content Security Policy" in m]
