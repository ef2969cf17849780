"""The appeal report page: measures, league table and common issues, scoped, with numbers that open their lists."""

from __future__ import annotations

import re
from html import unescape

import pytest

from tests.appeal.test_common_issues import RENT
from tests.appeal.test_measures import at, make_appeal, month, orgs  # noqa: F401  (fixtures)
from tests.reporting.test_league import two_quarters  # noqa: F401  (fixture)

MARCH = "period=custom&start=2025-03-01&end=2025-03-31"


def row_html(page: str, table: str, key) -> str:
    """One row of a report table, by its data-key."""
    section = page.split(f'id="{table}"', 1)[1].split("</table>", 1)[0]
    match = re.search(rf'<tr[^>]*data-key="{key}"[^>]*>(.*?)</tr>', section, re.S)
    assert match, f"no row {key} in {table}"
    return match.group(1)


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip().replace(" / ", "/")


@pytest.fixture
async def reports(accounts, month, orgs):  # noqa: F811
    """March 2025 (see tests/appeal/test_measures.py) plus three appeals about the same 租金补贴 delay."""
    for n, (title, description) in enumerate(RENT[:3]):
        await make_appeal(orgs, lead="city.finance", replied_by=None, category="policy", title=title,
                          description=description, created_at=at(18 + n), status="in_progress")
    return month


async def test_the_report_shows_measures_league_and_common_issues(signed_in, reports, orgs):  # noqa: F811
    admin = await signed_in("admin")
    status, page, _ = await admin.get(f"/admin/appeal-reports?{MARCH}")
    assert status == 200, page
    assert "诉求统计报表" in page and "统计期 2025-03-01 至 2025-03-31" in page
    assert 'href="/admin/appeal-reports"' in page  # the 报表 entry of the navigation
    assert "指标口径说明" in page and "按期办结率" in page and "当前权重：响应率 0.2" in page

    keji = orgs["city.science-tech"].id
    row = text_of(row_html(page, "measure-table", keji))
    # 市科委: received 5, accepted 5, declined 0, closed 3; 响应率 3/5, 按期 2/4, 解决 1/2, 满意 1/2, 重办 1/3; score 52.
    assert row.startswith("市科委 5 5 0 3")
    assert "60.0% 3/5" in row and "50.0% 2/4" in row and "33.3% 1/3" in row and row.endswith("52.0")
    unassigned = text_of(row_html(page, "measure-table", "none"))
    assert unassigned.startswith("未分派 2 0 1 0") and "—" in unassigned  # no rate without cases
    total = text_of(row_html(page, "measure-table", "total"))
    assert total.startswith("合计 13")  # 10 of the month (B3 came in February) + 3 rent appeals

    league = row_html(page, "league-table", keji)
    assert text_of(league).startswith("1 市科委 5")
    assert "不排名" in row_html(page, "league-table", orgs["city.taxation"].id)  # only 3 cases

    issues = page.split('id="common-issues"', 1)[1]
    assert "租金补贴" in issues and "3 件" in issues and "市财政局 3 件" in issues


async def test_each_number_opens_the_list_it_counts(signed_in, reports, orgs):  # noqa: F811
    admin = await signed_in("admin")
    _, page, _ = await admin.get(f"/admin/appeal-reports?{MARCH}")
    keji = orgs["city.science-tech"].id
    link = re.search(r'href="(/admin/appeal-reports/appeals\?[^"]*measure=response_num[^"]*)"',
                     row_html(page, "measure-table", keji)).group(1)
    status, listing, _ = await admin.get(unescape(link))
    assert status == 200, listing
    assert "市科委 · 按时响应" in listing and "共 3 件" in listing
    assert sorted(re.findall(r'data-appeal="([^"]+)"', listing)) == sorted(
        [reports["A1"].number, reports["A4"].number, reports["A5"].number])


async def test_the_report_is_scoped_for_a_district(signed_in, reports, orgs):  # noqa: F811
    pudong = await signed_in("pudong")
    status, page, _ = await pudong.get(f"/admin/appeal-reports?{MARCH}")
    assert status == 200, page
    table = page.split('id="measure-table"', 1)[1].split("</table>", 1)[0]
    assert "浦东新区企服中心" in table
    assert "市科委" not in table and "市税务局" not in table
    assert text_of(row_html(page, "measure-table", "total")).startswith("合计 1")
    # Another organisation's numbers are not reachable by editing the link either.
    keji = orgs["city.science-tech"].id
    _, listing, _ = await pudong.get(f"/admin/appeal-reports/appeals?{MARCH}&group=organisation&key={keji}&measure=received")
    assert "共 0 件" in listing and reports["A1"].number not in listing


async def test_grouping_by_district_and_category(signed_in, reports):
    admin = await signed_in("admin")
    _, page, _ = await admin.get(f"/admin/appeal-reports?{MARCH}&group=district")
    assert text_of(row_html(page, "measure-table", "310115")).startswith("浦东新区 4")
    _, page, _ = await admin.get(f"/admin/appeal-reports?{MARCH}&group=category")
    assert text_of(row_html(page, "measure-table", "tax")).startswith("税费办理 2")


@pytest.mark.parametrize(("username", "status"), [("keji", 403), ("zhengce", 403), ("fuwu", 200), ("pinggu", 200)])
async def test_who_may_read_the_report(signed_in, accounts, username, status):
    browser = await signed_in(username)
    code, page, _ = await browser.get("/admin/appeal-reports")
    assert code == status, page
    _, home, _ = await browser.get("/admin/")
    assert ('href="/admin/appeal-reports"' in home) is (status == 200)


async def test_a_custom_period_the_wrong_way_round_is_explained(signed_in, accounts):
    admin = await signed_in("admin")
    status, page, _ = await admin.get("/admin/appeal-reports?period=custom&start=2025-03-31&end=2025-03-01")
    assert status == 200 and "开始日期不能晚于结束日期" in page
    status, page, _ = await admin.get("/admin/appeal-reports?period=last_month&group=nonsense")
    assert status == 200 and "按承办单位统计" in page


async def test_the_league_section_shows_the_change_since_the_period_before(signed_in, accounts, two_quarters):  # noqa: F811
    admin = await signed_in("admin")
    _, page, _ = await admin.get("/admin/appeal-reports?period=custom&start=2025-04-01&end=2025-06-30")
    assert "较上期：与 2025-01-01 至 2025-03-31 相比" in page
    keji, shuiwu = two_quarters["city.science-tech"].id, two_quarters["city.taxation"].id
    assert text_of(row_html(page, "league-table", keji)).endswith("100.0 +100.0 ↑2")
    assert text_of(row_html(page, "league-table", shuiwu)).endswith("0.0 -100.0 ↓3")
    # 市财政局 was not ranked last quarter (two cases): its rank change is not stated.
    assert text_of(row_html(page, "league-table", two_quarters["city.finance"].id)).endswith("80.0 -20.0 —")
