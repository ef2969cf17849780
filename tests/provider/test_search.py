"""Keyword search of the public provider list: the query is cut into word groups (a word and
its synonyms) as policy searches are, a provider matches any group, and the providers
matching more groups come first -- groups in the name or a product name before groups only
in the description -- then the chosen sort."""

from __future__ import annotations

from app.provider import queries

from .factories import admitted_provider, product_of

UNRELATED = "为中小企业提供财务审计与税务筹划服务。"


async def test_a_segmented_query_finds_products_naming_its_words_and_synonyms(db, server, http):
    # 专利申请 -> 专利申请 / 专利 / 申请·申报: the product says 专利 and 申报, never 专利申请.
    agency, _ = await admitted_provider(name="上海智桥知识产权代理有限公司", description="服务科技型中小企业。")
    await product_of(agency, name="专利布局与申报代理")
    auditor, _ = await admitted_provider(name="上海恒信会计师事务所", description=UNRELATED)
    await product_of(auditor, name="年度审计")

    page = await queries.public_list(keyword="专利申请")

    assert [p.id for p in page.items] == [agency.id] and page.total == 1
    async with http.get(f"{server}/h5/providers", params={"q": "专利申请"}) as reply:
        text = await reply.text()
    assert reply.status == 200 and "上海智桥知识产权代理有限公司" in text and "上海恒信会计师事务所" not in text
    # Only stop words: nothing to search for, so the list is not narrowed.
    assert (await queries.public_list(keyword="有没有")).total == 2


async def test_more_matching_groups_first_then_name_and_products_then_the_sort(db):
    # Admitted oldest first, so the "newest" sort alone would give exactly the reverse order.
    whole, _ = await admitted_provider(name="上海专利申请代理有限公司", description="服务科技型中小企业。")
    in_products, _ = await admitted_provider(name="上海智桥知识产权代理有限公司", description="服务科技型中小企业。")
    await product_of(in_products, name="专利布局")
    await product_of(in_products, name="项目申报辅导")
    in_description, _ = await admitted_provider(name="上海知远咨询有限公司",
                                                description="协助企业梳理专利，代为申请各类资质。")
    one_older, _ = await admitted_provider(name="上海申远企业服务有限公司", description="服务科技型中小企业。")
    await product_of(one_older, name="资质申报")
    one_newer, _ = await admitted_provider(name="上海申达企业服务有限公司", description="服务科技型中小企业。")
    await product_of(one_newer, name="政策申报")
    withdrawn, _ = await admitted_provider(name="上海旧品企业服务有限公司", description=UNRELATED)
    product = await product_of(withdrawn, name="专利申请代理")
    product.is_active = False
    await product.save()
    await admitted_provider(name="上海恒信会计师事务所", description=UNRELATED)

    page = await queries.public_list(keyword="专利申请", sort="newest")

    # 3 groups; 2 in products; 2 only in the description; then 1 group each, newest first.
    assert [p.id for p in page.items] == [whole.id, in_products.id, in_description.id, one_newer.id, one_older.id]
    assert page.total == 5  # a withdrawn product is not searched
    second = await queries.public_list(keyword="专利申请", sort="newest", offset=2, limit=2)
    assert [p.id for p in second.items] == [in_description.id, one_newer.id] and second.has_next
