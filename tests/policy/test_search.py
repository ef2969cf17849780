"""Policy search as the chat, the mini-program and the admin use it (`app.policy.search`).

Runs on the test database's backend: FTS5 on SQLite, tsvector + GIN on PostgreSQL.
"""

from __future__ import annotations

import itertools
from datetime import date

from tortoise.transactions import in_transaction

from app.enterprise.reference import District
from app.organisation.models import Organisation, OrganisationKind
from app.policy.models import Policy, PolicyStatus, SupportType
from app.policy.search import SearchFilters, rebuild_index, reindex_policy, search_policies

TODAY = date(2024, 6, 1)
_serial = itertools.count(1)


async def make_policy(
    title: str,
    *,
    summary: str = "",
    body: str = "",
    status: PolicyStatus = PolicyStatus.published,
    support_type: SupportType = SupportType.subsidy,
    publish_date: date | None = date(2024, 3, 1),
    issuers: tuple[Organisation, ...] = (),
    index: bool = True,
    **fields,
) -> Policy:
    """A policy as the policy service would leave it: saved, with issuers, and indexed."""
    policy = await Policy.create(
        title=title, summary=summary, body=body, status=status, support_type=support_type,
        publish_date=publish_date, doc_number=f"沪测〔2024〕{next(_serial)}号", **fields,
    )
    if issuers:
        await policy.issuing_organisations.add(*issuers)
    if index:
        await reindex_policy(policy_id=policy.id)
    return policy


async def make_organisation(name: str, short_name: str = "") -> Organisation:
    return await Organisation.create(
        code=f"test.org-{next(_serial)}", name=name, short_name=short_name, kind=OrganisationKind.city_department
    )


async def search(query: str, **kwargs):
    return await search_policies(query=query, today=TODAY, **kwargs)


def titles(result) -> list[str]:
    return [hit.policy.title for hit in result.hits]


# -- matching ----------------------------------------------------------------------------------


async def test_a_synonym_finds_the_policy_in_its_own_words(db):
    wanted = await make_policy("关于开展2024年度研发费用资助申报工作的通知", summary="对企业研发费用给予资助。")
    await make_policy("关于开展外贸企业境外展会补贴申报的通知", summary="支持企业参加境外展会。")

    result = await search("研发补贴")

    assert result.query_terms == ["研发", "补贴"]
    assert titles(result)[0] == wanted.title
    assert result.total == 2  # 展会补贴 matches 补贴 too, ranked lower
    assert result.hits[0].score > result.hits[1].score or len(result.hits) == 1


async def test_dictionary_terms_match_whole_and_by_their_parts(db):
    policy = await make_policy("研发费用加计扣除政策指引", support_type=SupportType.tax)

    for query in ("加计扣除", "研发费用", "研发费用加计扣除"):
        assert titles(await search(query)) == [policy.title], query


async def test_a_policy_matching_more_terms_ranks_first(db):
    one_term = await make_policy("研发创新券管理办法")
    both_terms = await make_policy("关于服务业发展的若干措施", body="对研发投入大的企业给予贷款贴息。")

    result = await search("研发贷款")

    assert titles(result) == [both_terms.title, one_term.title]


async def test_a_title_match_outranks_a_body_match(db):
    in_body = await make_policy("关于印发若干措施的通知", body="对符合条件的企业给予稳岗补贴，按规定执行。")
    in_title = await make_policy("稳岗补贴申领指南", body="按规定执行。")

    assert titles(await search("稳岗补贴")) == [in_title.title, in_body.title]


async def test_a_policy_naming_every_term_in_its_title_outranks_a_short_title_naming_one(db):
    # bm25 alone prefers the short title; the query's words in the title matter more.
    short = await make_policy("建设研发机构若干措施", summary="经认定的给予最高300万元建设资助。")
    full = await make_policy("浦东新区科技型小微企业研发费用补贴实施细则", summary="按研发费用的10%给予补贴。")

    assert titles(await search("研发补贴")) == [full.title, short.title]


async def test_newer_policies_rank_above_older_equal_ones(db):
    older = await make_policy("人才公寓申请指南", publish_date=date(2019, 1, 1))
    newer = await make_policy("人才公寓申请指南（修订）", publish_date=date(2024, 5, 1))

    assert titles(await search("人才公寓")) == [newer.title, older.title]


async def test_drafts_and_withdrawn_policies_are_never_found(db):
    for status in (PolicyStatus.draft, PolicyStatus.in_review, PolicyStatus.withdrawn):
        await make_policy(f"专精特新企业奖励（{status.label}）", status=status)
    published = await make_policy("专精特新企业奖励")

    result = await search("专精特新")

    assert titles(result) == [published.title]
    assert result.total == 1
    assert (await search("")).total == 1


async def test_expired_policies_are_flagged_and_ranked_below_live_ones(db):
    expired_by_status = await make_policy("首台套保险补偿专项", status=PolicyStatus.expired)
    past_expiry = await make_policy("首台套首批次奖励", expiry_date=date(2024, 5, 31))
    live = await make_policy("关于支持高端装备的若干措施", body="首台套项目按合同金额给予奖励。", expiry_date=TODAY)

    result = await search("首台套")

    assert titles(result)[0] == live.title
    assert {hit.policy.title: hit.expired for hit in result.hits} == {
        live.title: False, expired_by_status.title: True, past_expiry.title: True,
    }
    live_only = await search("首台套", filters=SearchFilters(include_expired=False))
    assert titles(live_only) == [live.title] and live_only.total == 1


# -- filters -------------------------------------------------------------------------------------


async def test_filter_by_support_type(db):
    await make_policy("科技企业贷款贴息", support_type=SupportType.financing)
    subsidy = await make_policy("科技企业研发补贴", support_type=SupportType.subsidy)
    talent = await make_policy("科技企业人才公寓", support_type=SupportType.talent)

    result = await search("科技", filters=SearchFilters(support_types=[SupportType.subsidy, SupportType.talent]))

    assert sorted(titles(result)) == sorted([subsidy.title, talent.title])
    assert result.total == 2


async def test_filter_by_district_includes_policies_for_every_district(db):
    pudong = await make_policy("张江科学城研发补贴", targeting={"districts": [District.pudong.value]})
    everywhere = await make_policy("全市研发补贴", targeting={})
    also_everywhere = await make_policy("市级研发补贴", targeting={"districts": [], "tags": ["专精特新"]})
    await make_policy("徐汇区研发补贴", targeting={"districts": [District.xuhui.value]})

    result = await search("研发补贴", filters=SearchFilters(district=District.pudong))

    assert sorted(titles(result)) == sorted([pudong.title, everywhere.title, also_everywhere.title])


async def test_filter_by_issuing_organisation(db):
    sci_tech = await make_organisation("上海市科学技术委员会", "市科委")
    finance = await make_organisation("上海市地方金融监督管理局", "市金融局")
    joint = await make_policy("科技信贷贴息办法", issuers=(sci_tech, finance))
    own = await make_policy("科技创新券办法", issuers=(sci_tech,))
    await make_policy("融资担保费补贴办法", issuers=(finance,))

    result = await search("", filters=SearchFilters(organisation_id=sci_tech.id))

    assert sorted(titles(result)) == sorted([joint.title, own.title])
    # Issuers are searchable by name too.
    assert set(titles(await search("市金融局"))) == {joint.title, "融资担保费补贴办法"}


async def test_filter_open_now_keeps_policies_whose_application_window_contains_today(db):
    open_window = await make_policy("开放中：研发补贴", apply_start=date(2024, 5, 1), apply_end=date(2024, 6, 30))
    ends_today = await make_policy("今天截止：研发补贴", apply_start=date(2024, 5, 1), apply_end=TODAY)
    all_year = await make_policy("常年受理：研发补贴")
    await make_policy("已截止：研发补贴", apply_start=date(2024, 1, 1), apply_end=date(2024, 3, 31))
    await make_policy("未开始：研发补贴", apply_start=date(2024, 7, 1), apply_end=date(2024, 7, 31))
    await make_policy("已失效：研发补贴", status=PolicyStatus.expired)

    result = await search("研发补贴", filters=SearchFilters(open_now=True))

    assert sorted(titles(result)) == sorted([open_window.title, ends_today.title, all_year.title])


# -- what a hit shows ----------------------------------------------------------------------------


async def test_snippet_escapes_html_and_highlights_a_window_around_the_first_match(db):
    body = "第一条 总则。" + "为优化营商环境，" * 10 + "对<b>科技型</b>企业给予研发费用资助 & 奖励。" + "其他事项另行通知。" * 10
    await make_policy("关于<script>创新</script>的若干措施", body=body)

    hit = (await search("研发补贴")).hits[0]

    assert "&lt;b&gt;科技型&lt;/b&gt;" in hit.snippet_html and "&amp;" in hit.snippet_html
    assert "<em>研发</em>" in hit.snippet_html and "<em>资助</em>" in hit.snippet_html
    assert "<b>" not in hit.snippet_html and "<script>" not in hit.title_html
    assert hit.snippet_html.startswith("…") and hit.snippet_html.endswith("…")
    visible = hit.snippet_html.replace("<em>", "").replace("</em>", "").replace("&lt;", "<").replace("&gt;", ">")
    assert 70 <= len(visible.replace("&amp;", "&").strip("…")) <= 80
    assert hit.title_html == "关于&lt;script&gt;创新&lt;/script&gt;的若干措施"


async def test_title_is_highlighted_and_summary_is_preferred_for_the_snippet(db):
    await make_policy("专精特新企业贷款贴息", summary="专精特新企业贷款给予贴息。", body="贷款" * 100)

    hit = (await search("贷款贴息")).hits[0]

    assert hit.title_html == "专精特新企业<em>贷款贴息</em>"
    assert hit.snippet_html == "专精特新企业<em>贷款</em>给予<em>贴息</em>。"


# -- queries without words, and without hits -----------------------------------------------------


async def test_an_empty_query_lists_the_newest_live_policies_first(db):
    old = await make_policy("旧政策", publish_date=date(2020, 1, 1))
    new = await make_policy("新政策", publish_date=date(2024, 5, 1))
    expired = await make_policy("过期政策", publish_date=date(2024, 5, 20), status=PolicyStatus.expired)

    for query in ("", "   ", "有什么政策？"):
        result = await search(query)
        assert titles(result) == [new.title, old.title, expired.title], query
        assert result.total == 3 and result.query_terms == [] and result.suggestion is None


async def test_pages_and_total(db):
    for number in range(5):
        await make_policy(f"研发补贴第{number}号", publish_date=date(2024, 1, 1 + number))

    first = await search("研发补贴", limit=2)
    second = await search("研发补贴", limit=2, offset=2)
    beyond = await search("研发补贴", limit=2, offset=10)

    assert first.total == second.total == beyond.total == 5
    assert len(first.hits) == len(second.hits) == 2 and beyond.hits == []
    assert not {hit.policy.id for hit in first.hits} & {hit.policy.id for hit in second.hits}


async def test_no_hits_suggests_popular_searches(db):
    await make_policy("研发补贴")

    result = await search("火星移民")

    assert result.hits == [] and result.total == 0
    assert result.suggestion == "试试：研发补贴、专精特新、贷款贴息"


async def test_no_hits_under_filters_says_how_many_there_are_without_them(db):
    await make_policy("研发补贴", support_type=SupportType.subsidy)

    result = await search("研发", filters=SearchFilters(support_types=[SupportType.tax]))

    assert result.hits == [] and result.suggestion == "去掉筛选条件可找到1条相关政策"


async def test_no_hits_suggests_a_support_type_that_sounds_like_the_query(db):
    await make_policy("增值税留抵退税办理指引", support_type=SupportType.tax)

    result = await search("税惠")  # colloquial for 税收优惠, which no text says

    assert result.total == 0 and result.suggestion == "试试按支持方式“税收优惠”查看"


# -- keeping the index current --------------------------------------------------------------------


async def test_reindex_after_an_edit_finds_the_new_words_only(db):
    policy = await make_policy("稳岗补贴申领指南")
    assert titles(await search("稳岗")) == [policy.title]

    policy.title = "人才安居租房补贴申领指南"
    await policy.save()
    await reindex_policy(policy_id=policy.id)

    assert (await search("稳岗")).total == 0
    assert titles(await search("租房补贴")) == [policy.title]
    await policy.refresh_from_db()
    assert "租房补贴" in policy.search_text.split()


async def test_publishing_is_seen_once_reindexed(db):
    policy = await make_policy("小巨人企业奖励", status=PolicyStatus.in_review)
    assert (await search("小巨人")).total == 0

    policy.status = PolicyStatus.published
    await policy.save()
    await reindex_policy(policy_id=policy.id)

    assert titles(await search("小巨人")) == [policy.title]


async def test_reindex_inside_a_transaction_commits_and_rolls_back_with_it(db):
    async with in_transaction():
        committed = await make_policy("科技小巨人培育计划")
    assert titles(await search("科技小巨人")) == [committed.title]

    class Abort(Exception):
        pass

    try:
        async with in_transaction():
            await make_policy("首版次软件奖励")
            assert (await search("首版次")).total == 1  # visible inside the transaction
            raise Abort
    except Abort:
        pass
    assert (await search("首版次")).total == 0


async def test_reindex_of_a_deleted_policy_drops_its_entry(db):
    policy = await make_policy("节能减排专项资金")
    await policy.delete()
    await reindex_policy(policy_id=policy.id)
    replacement = await make_policy("另一项政策")

    assert (await search("节能减排")).total == 0
    assert titles(await search("另一项")) == [replacement.title]


async def test_rebuild_index_indexes_every_policy(db):
    policies = [await make_policy(f"数字化转型补贴{number}", index=False) for number in range(3)]
    await make_policy("数字化转型草稿", status=PolicyStatus.draft, index=False)
    assert (await search("数字化转型")).total == 0

    assert await rebuild_index() == 4

    assert sorted(titles(await search("数字化转型"))) == sorted(policy.title for policy in policies)
    assert await rebuild_index() == 4  # idempotent
    assert (await search("数字化转型")).total == 3


async def test_a_policy_changed_behind_the_index_shows_as_it_is_now(db):
    withdrawn = await make_policy("技改补贴细则")
    await Policy.filter(id=withdrawn.id).update(status=PolicyStatus.withdrawn)  # no reindex
    deleted = await make_policy("技改专项资金")
    await deleted.delete()
    lapsed = await make_policy("技改贴息办法", expiry_date=date(2025, 1, 1))
    await Policy.filter(id=lapsed.id).update(expiry_date=date(2024, 1, 1))  # no reindex

    result = await search("技改")

    assert titles(result) == [lapsed.title]
    assert result.hits[0].expired
