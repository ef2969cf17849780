"""Directory search: the policies' segmentation and synonyms, ranked by coverage, then title
coverage, then recency; filters; and an index that follows every change."""

from __future__ import annotations

from app.directory import service
from app.directory.models import DirectoryCategory, DirectoryKind, DirectorySearchTerm, UtilityType
from app.directory.search import DirectoryFilters, search_directory
from app.enterprise.reference import District

from .factories import entry_input, make_entry


async def titles(query: str, **filters) -> list[str]:
    result = await search_directory(query=query, filters=DirectoryFilters(**filters))
    return [hit.entry.title for hit in result.hits]


async def test_entries_covering_more_query_terms_rank_first(db):
    await make_entry(DirectoryKind.utility_guide, title="用水接入指南", utility_type=UtilityType.water,
                     district=District.pudong, summary="浦东新区企业用水报装")
    both = await make_entry(DirectoryKind.utility_guide, title="浦东新区低压用电接入指南", district=District.pudong)
    await make_entry(DirectoryKind.utility_guide, title="闵行区低压用电接入指南", district=District.minhang)

    found = await titles("浦东 用电")

    assert found[0] == both.title
    assert set(found) == {"用水接入指南", "浦东新区低压用电接入指南", "闵行区低压用电接入指南"}


async def test_a_title_match_outranks_a_body_match_and_then_the_newest_wins(db):
    await make_entry(title="上海市标准化公共服务平台", category=DirectoryCategory.standards,
                     summary="标准文献查询", body="提供知识产权相关的标准检索")
    older = await make_entry(title="知识产权公共服务平台", category=DirectoryCategory.ip, summary="专利检索")
    newer = await make_entry(title="知识产权保护中心", category=DirectoryCategory.ip, summary="快速预审")

    found = await titles("知识产权")

    assert found == [newer.title, older.title, "上海市标准化公共服务平台"]


async def test_synonyms_and_segmentation_are_the_policies(db):
    entry = await make_entry(DirectoryKind.entrance, title="人才公寓申请", category=DirectoryCategory.talent,
                             summary="为引进人才提供租赁住房")

    assert await titles("人才公寓") == [entry.title]
    # A longer sentence is cut into words; stop words do not match everything.
    assert await titles("怎么申请人才公寓") == [entry.title]
    assert await titles("有什么") == []


async def test_filters_narrow_by_kind_category_district_and_utility(db):
    await make_entry(DirectoryKind.utility_guide, title="城市用气接入指南", utility_type=UtilityType.gas)
    pudong = await make_entry(DirectoryKind.utility_guide, title="浦东用气接入指南", utility_type=UtilityType.gas,
                              district=District.pudong)
    await make_entry(DirectoryKind.utility_guide, title="闵行用气接入指南", utility_type=UtilityType.gas,
                     district=District.minhang)
    await make_entry(title="燃气安全检测服务", category=DirectoryCategory.testing, summary="用气设备检测",
                     platform_name="检测平台", url="https://example.org/")

    in_pudong = await titles("用气", kinds=[DirectoryKind.utility_guide], district=District.pudong)
    assert set(in_pudong) == {"城市用气接入指南", pudong.title}
    assert await titles("用气", category=DirectoryCategory.testing) == ["燃气安全检测服务"]
    assert await titles("接入", utility_type=UtilityType.power) == []


async def test_the_index_follows_edit_unpublish_publish_archive_and_delete(db, accounts_for_directory):
    staff = accounts_for_directory
    entry = await make_entry(title="技术转移服务平台", category=DirectoryCategory.tech_transfer, publish=False)
    assert await titles("技术转移") == []  # drafts are not indexed
    await service.transition_entry(staff=staff, entry_id=entry.id, action="publish")
    assert await titles("技术转移") == ["技术转移服务平台"]

    await service.update_entry(staff=staff, entry_id=entry.id,
                               data=entry_input(title="科技成果转化服务平台", category=DirectoryCategory.tech_transfer))
    assert await titles("技术转移服务平台") == ["科技成果转化服务平台"]  # the category label still matches
    assert await titles("成果转化") == ["科技成果转化服务平台"]

    await service.transition_entry(staff=staff, entry_id=entry.id, action="unpublish")
    assert await titles("成果转化") == [] and not await DirectorySearchTerm.filter(entry_id=entry.id).exists()
    await service.transition_entry(staff=staff, entry_id=entry.id, action="publish")
    await service.transition_entry(staff=staff, entry_id=entry.id, action="archive")
    assert await titles("成果转化") == []
    await service.delete_entry(staff=staff, entry_id=entry.id)
    assert not await DirectorySearchTerm.filter(entry_id=entry.id).exists()


async def test_paging_counts_every_match(db):
    for n in range(7):
        await make_entry(title=f"招聘用工服务站第{n}号", category=DirectoryCategory.recruitment)

    first = await search_directory(query="招聘", limit=5)
    second = await search_directory(query="招聘", limit=5, offset=5)
    beyond = await search_directory(query="招聘", limit=5, offset=50)

    assert first.total == second.total == beyond.total == 7
    assert len(first.hits) == 5 and len(second.hits) == 2 and beyond.hits == []
    assert {hit.entry.id for hit in first.hits}.isdisjoint(hit.entry.id for hit in second.hits)
    assert "<em>招聘</em>" in first.hits[0].title_html
