"""The public service directory in the mini-program: lists by kind, category and district,
search with the policies' search service, detail, entrances, parks, utility guides by
district, and the related services next to policy search results."""

from __future__ import annotations

from urllib.parse import quote

from app.directory.models import DirectoryCategory, DirectoryKind, UtilityType
from app.enterprise.reference import District
from tests.directory.factories import make_entry
from tests.handlers.test_policy_chat import publish


async def test_lists_filter_by_kind_category_and_district_and_page(mp) -> None:
    token, _ = await mp.login()
    for n in range(3):
        await make_entry(title=f"知识产权服务站{n}", category=DirectoryCategory.ip, sort_order=n)
    await make_entry(title="标准文献查询", category=DirectoryCategory.standards)
    await make_entry(DirectoryKind.park, title="张江科学城", district=District.pudong)
    await make_entry(DirectoryKind.park, title="漕河泾开发区", district=District.xuhui)
    await make_entry(title="草稿资源", category=DirectoryCategory.ip, publish=False)

    first = await mp.call("GET", "/mp/v1/directory/entries?kind=resource&category=ip&limit=2", token=token)
    assert first.status == 200, first.text
    assert [item["title"] for item in first.json["items"]] == ["知识产权服务站0", "知识产权服务站1"]
    assert first.json["total"] == 3 and first.json["items"][0]["category_label"] == "知识产权公共服务"
    rest = await mp.call("GET", f"/mp/v1/directory/entries?kind=resource&category=ip&limit=2&cursor={first.json['next_cursor']}",
                         token=token)
    assert [item["title"] for item in rest.json["items"]] == ["知识产权服务站2"] and rest.json["next_cursor"] is None

    parks = await mp.call("GET", "/mp/v1/directory/parks?district=310115", token=token)
    assert [item["title"] for item in parks.json["items"]] == ["张江科学城"]
    assert parks.json["items"][0]["district_label"] == "浦东新区"

    bad = await mp.call("GET", "/mp/v1/directory/entries?kind=casino", token=token)
    assert bad.status == 422 and bad.error["code"] == "validation_failed"
    assert (await mp.call("GET", "/mp/v1/directory/entries")).status == 401


async def test_search_ranks_like_policies_and_highlights(mp) -> None:
    token, _ = await mp.login()
    entrance = await make_entry(DirectoryKind.entrance, title="人才公寓申请", category=DirectoryCategory.talent,
                                miniprogram_appid="wx0123456789abcdef", miniprogram_path="pages/housing/apply", url="")
    await make_entry(title="海外人才一站式服务", category=DirectoryCategory.talent, summary="工作许可与居留")

    reply = await mp.call("GET", f"/mp/v1/directory/search?q={quote('人才公寓')}", token=token)
    assert reply.status == 200, reply.text
    items = reply.json["items"]
    assert items[0]["id"] == entrance.id and items[0]["title_html"] == "<em>人才公寓</em>申请"
    assert items[0]["miniprogram"] == {"appid": "wx0123456789abcdef", "path": "pages/housing/apply"}
    assert reply.json["total"] == 2  # 人才 alone matches the second

    empty = await mp.call("GET", "/mp/v1/directory/search?q=", token=token)
    assert empty.status == 422


async def test_detail_has_how_to_use_it_and_unpublished_entries_are_404(mp) -> None:
    token, _ = await mp.login()
    guide = await make_entry(DirectoryKind.utility_guide)
    draft = await make_entry(publish=False)

    reply = await mp.call("GET", f"/mp/v1/directory/entries/{guide.id}", token=token)
    assert reply.status == 200, reply.text
    assert reply.json["steps"] == ["线上申请", "现场勘查", "装表接电"]
    assert reply.json["materials"] == ["营业执照", "用电地址权属证明"]
    assert reply.json["utility_label"] == "用电" and reply.json["district_label"] == "全市"

    missing = await mp.call("GET", f"/mp/v1/directory/entries/{draft.id}", token=token)
    assert missing.status == 404 and missing.error["code"] == "directory_entry_not_found"
    assert missing.error["message"] == "该服务不存在或已下线"


async def test_utility_guides_by_district_fall_back_to_city_wide(mp) -> None:
    token, _ = await mp.login()
    await make_entry(DirectoryKind.utility_guide, title="全市用电接入指南")
    await make_entry(DirectoryKind.utility_guide, title="全市用水接入指南", utility_type=UtilityType.water)
    await make_entry(DirectoryKind.utility_guide, title="浦东用电接入指南", district=District.pudong)

    reply = await mp.call("GET", "/mp/v1/directory/utility-guides?district=310115", token=token)
    assert reply.status == 200, reply.text
    groups = {group["utility_type"]: [item["title"] for item in group["items"]] for group in reply.json["groups"]}
    assert groups == {"water": ["全市用水接入指南"], "power": ["浦东用电接入指南"], "gas": []}
    city = await mp.call("GET", "/mp/v1/directory/utility-guides", token=token)
    assert city.json["district_label"] == "全市" and city.json["groups"][1]["items"][0]["title"] == "全市用电接入指南"


async def test_entrances_and_the_catalogue(mp) -> None:
    token, _ = await mp.login()
    await make_entry(DirectoryKind.entrance)
    entrances = await mp.call("GET", "/mp/v1/directory/entrances", token=token)
    assert [item["title"] for item in entrances.json["items"]] == ["科技创新券申领"]
    catalogue = await mp.call("GET", "/mp/v1/directory/catalogue", token=token)
    assert {"code": "utility_guide", "label": "水电气接入指南"} in catalogue.json["kinds"]
    assert len(catalogue.json["districts"]) == 16


async def test_policy_search_shows_related_services_on_its_first_page(mp) -> None:
    token, _ = await mp.login()
    await publish("人才公寓租赁补贴办法", summary="人才公寓")
    entrance = await make_entry(DirectoryKind.entrance, title="人才公寓申请", category=DirectoryCategory.talent)

    reply = await mp.call("GET", f"/mp/v1/policies?q={quote('人才公寓')}", token=token)
    assert reply.status == 200, reply.text
    assert [item["title"] for item in reply.json["items"]] == ["人才公寓租赁补贴办法"]
    assert [service["id"] for service in reply.json["services"]] == [entrance.id]
    listing = await mp.call("GET", "/mp/v1/policies", token=token)
    assert listing.json["services"] == []
