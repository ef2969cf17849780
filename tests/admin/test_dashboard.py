"""The admin home page's dashboard over HTTP: each role's sections, numbers and links, the
period selector and its messages."""

from __future__ import annotations

import itertools
import re
from datetime import datetime, timedelta, timezone

import pytest

from app.appeal.models import Appeal, AppealChannel, AppealStatus
from app.organisation.models import Organisation
from app.reporting import refresh

_serial = itertools.count(1)


@pytest.fixture
async def appeals(accounts, settings) -> None:
    """Open appeals now: 市科委 one overdue, Pudong's intake one waiting, Xuhui's centre one overdue."""
    orgs = {org.code: org for org in await Organisation.all()}
    now = datetime.now(timezone.utc)

    async def make(lead: str | None, owner: str, **columns) -> None:
        await Appeal.create(
            number=f"SQ2026H{next(_serial):07d}", channel=AppealChannel.miniprogram, category="technology",
            title="首页看板诉求", description="首页看板诉求", owner_organisation=orgs[owner],
            lead_organisation=orgs[lead] if lead else None, created_at=now - timedelta(hours=30), **columns)

    await make("city.science-tech", "city.coordination", status=AppealStatus.dispatched,
               dispatched_at=now - timedelta(hours=29), respond_due_at=now - timedelta(hours=2),
               resolve_due_at=now + timedelta(days=9))
    await make(None, "district.310115", status=AppealStatus.submitted, accept_due_at=now + timedelta(days=2))
    await make("district.310104.service-centre", "district.310104", status=AppealStatus.in_progress,
               first_response_at=now - timedelta(hours=20), resolve_due_at=now - timedelta(hours=1))
    await refresh.refresh_summaries(settings=settings, full=True)


def tile(page: str, tile_id: str) -> str:
    """The number shown in one tile."""
    found = re.search(rf'id="{tile_id}".*?<span class="stat-value">(?:<span[^>]*>)?([\d,]+)', page, re.S)
    assert found, tile_id
    return found.group(1)


async def test_the_city_dashboard_shows_every_section_with_links(signed_in, appeals):
    status, page, response = await (await signed_in("admin")).get("/admin/")
    assert status == 200 and "charset=utf-8" in response.headers["Content-Type"].lower()
    assert '<meta charset="utf-8">' in page
    assert "全市数据看板" in page and "数据更新于" in page
    for section in ("appeals", "pushes", "followers", "providers", "activities", "surveys"):
        assert f'id="section-{section}"' in page, section
    assert tile(page, "tile-overdue") == "2" and tile(page, "tile-received") == "3"
    assert page.count('<svg xmlns="http://www.w3.org/2000/svg" class="chart-svg"') >= 4
    assert 'class="chart-data grid"' in page  # the numbers beside each chart
    for link in ("/admin/appeals?tab=overdue", "/admin/appeals?tab=submitted", "/admin/appeal-reports?period=custom",
                 "/admin/appeal-reports/appeals?period=custom", "/admin/campaigns", "/admin/surveys"):
        assert f'href="{link}' in page, link
    assert "我可以做的事" in page and "管理工作人员账号" in page  # the account facts, kept


async def test_a_district_sees_its_own_numbers_only(signed_in, appeals):
    _, page, _ = await (await signed_in("pudong")).get("/admin/")
    assert "浦东新区数据看板" in page
    assert tile(page, "tile-received") == "1" and tile(page, "tile-overdue") == "0"  # not Xuhui's, not 市科委's
    assert 'id="section-providers"' not in page
    assert 'id="section-followers"' in page and 'id="tile-subscribed"' not in page  # bindings only
    _, xuhui, _ = await (await signed_in("xuhui")).get("/admin/")
    assert tile(xuhui, "tile-received") == "1" and tile(xuhui, "tile-overdue") == "1"


async def test_a_department_sees_only_its_appeals(signed_in, appeals):
    _, page, _ = await (await signed_in("keji")).get("/admin/")
    assert "市科委数据看板" in page
    assert tile(page, "tile-received") == "1" and tile(page, "tile-overdue") == "1"
    assert 'id="section-appeals"' in page
    for section in ("pushes", "followers", "providers", "activities", "surveys"):
        assert f'id="section-{section}"' not in page, section
    assert 'href="/admin/appeals?tab=handling"' in page
    assert "/admin/appeal-reports" not in page  # a handler does not read the reports


async def test_a_policy_editor_sees_pushes_but_no_appeal_links(signed_in, appeals):
    _, page, _ = await (await signed_in("zhengce")).get("/admin/")
    assert 'id="section-pushes"' in page and 'id="section-appeals"' not in page
    assert 'href="/admin/appeals' not in page


@pytest.mark.parametrize("query, message", [
    ("?period=custom&start=2026-13-01&end=2026-02-01", "无法识别"),
    ("?period=custom&start=2026-03-01&end=2026-02-01", "开始日期不能晚于结束日期"),
    ("?period=custom&start=&end=2026-02-01", "请填写开始日期和结束日期"),
    ("?period=custom&start=2020-01-01&end=2026-02-01", "统计期不能超过一年"),
    ("?period=forever", "未知的统计期"),
])
async def test_a_bad_period_falls_back_with_a_chinese_message(signed_in, appeals, query, message):
    status, page, _ = await (await signed_in("admin")).get("/admin/" + query)
    assert status == 200 and 'role="alert"' in page and message in page
    assert '<option value="this_quarter" selected>' in page


async def test_the_period_selector_changes_the_period(signed_in, appeals):
    browser = await signed_in("admin")
    _, page, _ = await browser.get("/admin/?period=custom&start=2025-01-01&end=2025-03-31")
    assert "2025年第一季度" in page and "2024-10-01 至 2024-12-31" in page  # compared with the quarter before
    assert tile(page, "tile-received") == "0"
    _, page, _ = await browser.get("/admin/?period=last_30_days")
    assert '<option value="last_30_days" selected>' in page and tile(page, "tile-received") == "3"
