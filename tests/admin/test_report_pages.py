"""The report pages: the league table with its changes since the quarter before, and the
common issues for the joint meeting — scoped to the viewer, charts with their numbers, and
every number or example a link to what it counts."""

from __future__ import annotations

import functools
import re
from html import unescape

import pytest

from app.appeal.common_issues import cached_common_issues
from tests.admin.test_appeal_reports import row_html, text_of
from tests.appeal.test_common_issues import march  # noqa: F401  (fixture)
from tests.reporting.test_league import KEJI, orgs, two_quarters  # noqa: F401  (fixtures)

Q2 = "period=custom&start=2025-04-01&end=2025-06-30"
MARCH = "period=custom&start=2025-03-01&end=2025-03-31"


async def test_the_league_shows_scores_ranks_and_changes(signed_in, accounts, two_quarters):  # noqa: F811
    admin = await signed_in("admin")
    status, page, _ = await admin.get(f"/admin/reports/league?{Q2}")
    assert status == 200, page
    assert "承办单位综合得分排名" in page and "较上期 2025-01-01 至 2025-03-31" in page
    keji, shuiwu = two_quarters[KEJI].id, two_quarters["city.taxation"].id
    caizheng = two_quarters["city.finance"].id
    # 市科委 went from last (0 points, 3rd) to first (100): up two places, +100.
    assert text_of(row_html(page, "league-table", keji)).startswith("1 ↑2 市科委 5 5 5")
    assert "+100.0" in row_html(page, "league-table", keji)
    assert re.search(rf'data-key="{keji}"[^>]*data-moved="up"', page)
    assert text_of(row_html(page, "league-table", shuiwu)).startswith("4 ↓3 市税务局")
    assert "-100.0" in row_html(page, "league-table", shuiwu)
    # Not ranked last quarter: no rank change, the score change still shown.
    caizheng_row = text_of(row_html(page, "league-table", caizheng))
    assert caizheng_row.startswith("2 — 市财政局") and "-20.0" in caizheng_row
    # The chart of scores, with last quarter's as comparison and its numbers in a table beside it.
    chart = page.split('id="league-chart"', 1)[1].split("</figure>", 1)[0]
    assert "<svg" in chart and 'class="chart-data grid"' in chart
    assert re.search(r"1\. 市科委</th><td class=\"num\">100\.0分</td><td class=\"num\">0\.0分</td>", chart)


async def test_each_league_number_opens_its_appeals(signed_in, accounts, two_quarters):  # noqa: F811
    admin = await signed_in("admin")
    _, page, _ = await admin.get(f"/admin/reports/league?{Q2}")
    keji = two_quarters[KEJI].id
    links = re.findall(r'href="(/admin/appeal-reports/appeals\?[^"]*)"', row_html(page, "league-table", keji))
    cases = next(unescape(link) for link in links if "measure=cases" in link and "start=2025-04-01" in link)
    status, listing, _ = await admin.get(cases)
    assert status == 200 and "市科委 · 计入考核的案件" in listing and "共 5 件" in listing
    # Last quarter's score opens last quarter's cases.
    previous = next(unescape(link) for link in links if "start=2025-01-01" in link)
    _, listing, _ = await admin.get(previous)
    assert "共 5 件" in listing and "2025-01-01" in listing


async def test_a_district_ranks_its_own(signed_in, accounts, two_quarters):  # noqa: F811
    pudong = await signed_in("pudong")
    status, page, _ = await pudong.get(f"/admin/reports/league?{Q2}")
    assert status == 200, page
    table = page.split('id="league-table"', 1)[1].split("</table>", 1)[0]
    assert "浦东新区企服中心" in table and "市科委" not in table and "市税务局" not in table
    centre = two_quarters["district.310115.service-centre"].id
    assert text_of(row_html(page, "league-table", centre)).startswith("1 持平 浦东新区企服中心")


@pytest.mark.parametrize("path", ["/admin/reports/league", "/admin/reports/common-issues"])
@pytest.mark.parametrize(("username", "status"), [("keji", 403), ("zhengce", 403), ("fuwu", 200), ("pinggu", 200),
                                                  ("pudong", 200)])
async def test_who_may_read_the_report_pages(signed_in, accounts, path, username, status):
    browser = await signed_in(username)
    code, page, _ = await browser.get(path)
    assert code == status, page


async def test_the_common_issues_page(signed_in, accounts, march):  # noqa: F811
    admin = await signed_in("admin")
    status, page, _ = await admin.get(f"/admin/reports/common-issues?{MARCH}")
    assert status == 200, page
    assert "对统计期内提交的 9 件诉求" in page and 'id="issues-truncated"' not in page
    hot = page.split('id="hot-words"', 1)[1].split("</section>", 1)[0]
    assert "租金补贴" in hot
    chart = page.split('id="issues-chart"', 1)[1].split("</figure>", 1)[0]
    assert "<svg" in chart and re.search(r"问题1：[^<]*</th><td class=\"num\">4件</td>", chart)
    assert re.search(r"问题2：[^<]*</th><td class=\"num\">3件</td>", chart)
    first = page.split('id="issue-1"', 1)[1].split("</article>", 1)[0]
    assert "4 件" in first and "浦东新区企服中心 2 件" in first and "未分派 1 件" in first
    assert "政策咨询与兑现 3 件" in first
    assert f'href="/admin/appeals/{march["rent"][3].id}"' in first


async def test_the_common_issues_page_is_scoped_and_says_when_it_was_cut(signed_in, accounts, march, monkeypatch):  # noqa: F811
    pudong = await signed_in("pudong")
    _, page, _ = await pudong.get(f"/admin/reports/common-issues?{MARCH}")
    assert "对统计期内提交的 2 件诉求" in page and 'id="issue-1"' not in page  # two: fewer than three
    monkeypatch.setattr("admin.views.report_pages.cached_common_issues", functools.partial(cached_common_issues, max_appeals=5))
    admin = await signed_in("admin")
    _, page, _ = await admin.get(f"/admin/reports/common-issues?{MARCH}")
    assert 'id="issues-truncated"' in page and "仅分析了最近提交的 5 件" in page
