"""H5 public service pages: kinds as tabs, search, district filter, utility guides grouped by
type for a district, and an entry with its link or mini-program hint; public, UTF-8, escaped."""

from __future__ import annotations

from app.directory.models import DirectoryCategory, DirectoryKind, UtilityType
from app.enterprise.reference import District
from tests.directory.factories import make_entry


async def get(http, url: str) -> tuple[int, str]:
    async with http.get(url) as response:
        return response.status, await response.text()


async def test_the_list_has_tabs_a_search_and_a_district_filter(server, http, db):
    await make_entry(title="上海研发公共服务平台")
    await make_entry(title="知识产权保护中心", category=DirectoryCategory.ip)
    await make_entry(DirectoryKind.park, title="张江科学城", district=District.pudong)
    await make_entry(DirectoryKind.park, title="漕河泾开发区", district=District.xuhui)

    status, page = await get(http, f"{server}/h5/services")
    assert status == 200 and '<meta charset="utf-8">' in page
    assert "上海研发公共服务平台" in page and "张江科学城" not in page  # the first tab: resources
    for label in ("公共服务资源", "一站式入口", "园区信息", "水电气接入指南"):
        assert label in page

    status, page = await get(http, f"{server}/h5/services?kind=park&district=310115")
    assert "张江科学城" in page and "漕河泾开发区" not in page

    status, page = await get(http, f"{server}/h5/services?q=知识产权")
    assert "<em>知识产权</em>保护中心" in page and "<h2>上海研发公共服务平台</h2>" not in page


async def test_utility_guides_are_grouped_for_the_district(server, http, db):
    await make_entry(DirectoryKind.utility_guide, title="全市用电接入指南")
    await make_entry(DirectoryKind.utility_guide, title="浦东用电接入指南", district=District.pudong)
    await make_entry(DirectoryKind.utility_guide, title="浦东用气接入指南", district=District.pudong,
                     utility_type=UtilityType.gas)

    status, page = await get(http, f"{server}/h5/services?kind=utility_guide&district=310115")
    assert status == 200
    assert "浦东用电接入指南" in page and "全市用电接入指南" not in page and "浦东用气接入指南" in page
    assert "暂无用水接入指南" in page


async def test_the_detail_shows_how_and_the_link_or_the_mini_program_hint(server, http, db):
    web = await make_entry(DirectoryKind.entrance, title="科技创新券<b>申领</b>")
    jump = await make_entry(DirectoryKind.entrance, title="人才公寓申请", url="",
                            miniprogram_appid="wx0123456789abcdef", miniprogram_path="pages/apply/index")
    draft = await make_entry(publish=False)

    status, page = await get(http, f"{server}/h5/services/{web.id}")
    assert status == 200 and "&lt;b&gt;申领&lt;/b&gt;" in page
    assert 'href="https://zwdt.sh.gov.cn/"' in page and "前往办理" in page
    assert "<li>登录一网通办</li>" in page and "在本市注册的科技型中小企业" in page

    status, page = await get(http, f"{server}/h5/services/{jump.id}")
    assert "微信小程序中办理" in page and "pages/apply/index" in page and "前往办理" not in page

    for entry_id in (draft.id, 999_999):
        status, page = await get(http, f"{server}/h5/services/{entry_id}")
        assert status == 404 and "该服务不存在或已下线" in page
