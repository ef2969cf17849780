"""The admin home dashboard in a real headless Chromium: the city's, a district's and a
department's, each with its charts drawn and its Chinese text readable.

Same requirements and skipping rule as tests/admin/test_browser.py (Debian's chromium and
fonts-noto-cjk, no browser download; QIYUN_REQUIRE_BROWSER=1 turns a missing browser into a
failure). The screenshots are left in the test's pytest tmp dir to look at.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone

import pytest

from app.appeal.models import Appeal, AppealChannel, AppealStatus, CloseReason, Satisfaction
from app.organisation.models import Organisation
from app.reporting import refresh
from tests.admin.test_browser import browser, page, sign_in  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser

_serial = itertools.count(1)


@pytest.fixture
async def busy_quarter(accounts, settings) -> None:
    """Some sixty appeals over the last weeks for three organisations, closed, open and overdue."""
    orgs = {org.code: org for org in await Organisation.all()}
    now = datetime.now(timezone.utc)
    leads = [("city.science-tech", "city.coordination"), ("district.310115.service-centre", "district.310115"),
             ("district.310104.service-centre", "district.310104")]
    for n in range(60):
        lead, owner = leads[n % 3]
        created = now - timedelta(days=40 - n * 0.6, hours=n % 7)
        columns = {"status": AppealStatus.in_progress, "first_response_at": created + timedelta(hours=20),
                   "resolve_due_at": created + timedelta(days=12 if n % 5 else 30)}
        if n % 3 != 2 and n < 40:
            columns = {"status": AppealStatus.closed, "accepted_at": created + timedelta(hours=2),
                       "dispatched_at": created + timedelta(hours=3), "respond_due_at": created + timedelta(days=2),
                       "first_response_at": created + timedelta(hours=20), "resolve_due_at": created + timedelta(days=12),
                       "replied_at": created + timedelta(days=4 + n % 9), "closed_at": created + timedelta(days=6 + n % 9),
                       "close_reason": CloseReason.resolved if n % 4 else CloseReason.unresolved,
                       "resolved": bool(n % 4), "satisfaction": Satisfaction.satisfied if n % 4 else Satisfaction.dissatisfied}
        await Appeal.create(number=f"SQ2026B{next(_serial):07d}", channel=AppealChannel.miniprogram,
                            category="technology", title="浏览器看板诉求", description="浏览器看板诉求",
                            owner_organisation=orgs[owner], lead_organisation=orgs[lead], created_at=created,
                            **columns)
    await refresh.refresh_summaries(settings=settings, full=True)


@pytest.mark.parametrize("username, heading, sections", [
    ("admin", "全市数据看板", ["appeals", "pushes", "followers", "providers", "activities", "surveys"]),
    ("pudong", "浦东新区数据看板", ["appeals", "pushes", "followers", "activities", "surveys"]),
    ("keji", "市科委数据看板", ["appeals"]),
])
async def test_each_dashboard_draws_its_charts(page, busy_quarter, tmp_path, username, heading, sections):  # noqa: F811
    await sign_in(page, username)
    response = await page.goto("/admin/?period=last_30_days")
    assert response.status == 200
    assert await page.evaluate("document.characterSet") == "UTF-8"
    assert await page.inner_text("#dashboard-title") == heading
    for section in sections:
        assert await page.locator(f"#section-{section}").is_visible(), section
    assert await page.locator("#section-providers").count() == ("providers" in sections)

    trend = page.locator("#chart-trend svg.chart-svg")
    box = await trend.bounding_box()
    assert box and box["width"] > 300 and box["height"] > 100  # laid out, not collapsed by CSS
    assert await page.locator("#chart-trend svg rect").count() > 10
    assert await page.locator("#chart-status svg rect.chart-bar-value").count() >= 1
    assert await page.locator("#chart-rates table.chart-data").is_visible()  # the numbers beside the chart
    assert "响应率" in await page.locator("#chart-rates").inner_text()
    # Chinese glyphs are drawn with a CJK font: a three-character label is about three em wide.
    width = await page.evaluate(
        "() => { const t = [...document.querySelectorAll('#chart-rates svg text')]"
        ".find(e => e.textContent === '解决率'); return t ? t.getBBox().width : 0; }")
    assert width > 30
    assert await page.evaluate("getComputedStyle(document.querySelector('.stats')).display") == "flex"
    shot = tmp_path / f"dashboard-{username}.png"
    await page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 30_000
    assert not [m for m in page.console_messages if "Content Security Policy" in m]
