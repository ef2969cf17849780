"""Policies in the panel: the list, the editor and its audience estimate, four-eyes publishing,
import and the 惠企政策清单 export — over real HTTP, as staff use them."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from io import BytesIO
from urllib.parse import unquote

import aiohttp
import pytest
from openpyxl import Workbook, load_workbook

from app.audit.models import AuditLog
from app.enterprise.reference import District, SizeClass
from app.policy.importer import IMPORT_HEADERS
from app.policy.models import Policy, PolicyAttachment, PolicyEvent, PolicyStatus, SupportType
from app.policy.service import create_policy, shanghai_today
from app.policy.targeting import Targeting
from app.staff.models import StaffRole
from tests.admin.support import make_staff
from tests.policy.factories import make_enterprise, organisation, policy_input, published_policy

POLICY_PAGES = ["/admin/policies", "/admin/policies/new", "/admin/policies/review", "/admin/policies/import",
                "/admin/policies/export"]


@pytest.fixture
async def zhengce2(accounts):
    """A second policy editor, for the four-eyes rule."""
    return await make_staff("zhengce2", StaffRole.policy_editor, "city.coordination")


async def form(**overrides) -> list[tuple[str, str]]:
    """The editor's fields as a browser posts them (repeated names for multi-selects and rows)."""
    science = await organisation("city.science-tech")
    finance = await organisation("city.finance")
    values: dict[str, object] = {
        "title": "浦东科技型小微企业研发费用补贴",
        "doc_number": "浦科经委规〔2025〕3号",
        "issuing_organisation_ids": [science.id, finance.id],
        "publish_date": "2025-03-01",
        "effective_date": "2025-03-10",
        "expiry_date": "2030-12-31",
        "summary": "按上年度研发费用的10%给予补贴，最高50万元。",
        "body": "一、支持对象\n注册在浦东新区的科技型小微企业。",
        "support_type": "subsidy",
        "amount_min": "5",
        "amount_max": "50",
        "apply_start": "2025-04-01",
        "apply_end": "2030-06-30",
        "apply_where": "浦东新区企业服务中心",
        "contact": "021-50001101",
        "attachment_filename": ["申报指南.pdf", ""],
        "attachment_url": ["https://example.gov.cn/guide.pdf", ""],
        "districts": ["310115"],
        "industry_sections": ["I", "M"],
        "industry_divisions": [],
        "size_classes": ["small", "micro"],
        "ownerships": [],
        "lifecycle_stages": [],
        "min_years_established": "",
        "max_years_established": "",
        "min_registered_capital": "",
        "max_registered_capital": "",
        "tags": "",
    }
    values.update(overrides)
    fields: list[tuple[str, str]] = []
    for name, value in values.items():
        for item in value if isinstance(value, list) else [value]:
            fields.append((name, str(item)))
    return fields


def error_next_to(page: str, field: str) -> str:
    match = re.search(rf'id="error-{field}"[^>]*>([^<]*)<', page)
    assert match, f"no error shown next to {field}"
    return match.group(1)


async def create_through_the_editor(browser, **overrides) -> Policy:
    status, page, response = await browser.post("/admin/policies/new", await form(**overrides),
                                                token_from="/admin/policies/new")
    assert status == 303, page
    policy_id = int(response.headers["Location"].rsplit("/", 1)[1])
    return await Policy.get(id=policy_id)


async def step(browser, policy: Policy, action: str, note: str = "") -> str:
    """Press a lifecycle button on the detail page; returns the page it leads back to."""
    detail = f"/admin/policies/{policy.id}"
    status, _, response = await browser.post(f"{detail}/transition", {"action": action, "note": note},
                                             token_from=detail)
    assert status == 303 and response.headers["Location"] == detail
    return (await browser.get(detail))[1]


# -- who may open what ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", POLICY_PAGES)
async def test_policy_pages_open_for_editors_and_city_administrators(signed_in, path):
    for username in ("zhengce", "admin"):
        status, page, _ = await (await signed_in(username)).get(path)
        assert status == 200, (username, path, page)
        assert '<meta charset="utf-8">' in page


@pytest.mark.parametrize("username", ["keji", "pudong", "fuwu", "pinggu"])
async def test_other_roles_are_refused_every_policy_page(signed_in, username):
    browser = await signed_in(username)
    policy = await published_policy()
    for path in [*POLICY_PAGES, f"/admin/policies/{policy.id}", "/admin/policies/export.xlsx"]:
        status, page, _ = await browser.get(path)
        assert status == 403 and "无权访问" in page, path
    status, _, _ = await browser.post(f"/admin/policies/{policy.id}/transition", {"action": "withdraw", "note": "x"})
    assert status == 403
    assert (await Policy.get(id=policy.id)).status is PolicyStatus.published
    _, home, _ = await browser.get("/admin/")
    assert 'href="/admin/policies"' not in home


async def test_the_navigation_offers_policies_to_editors(signed_in):
    _, home, _ = await (await signed_in("zhengce")).get("/admin/")
    assert 'href="/admin/policies"' in home and "惠企政策" in home


# -- the editor and four eyes ---------------------------------------------------------------------


async def test_a_policy_is_entered_submitted_and_published_by_a_second_editor(signed_in, zhengce2):
    zhengce = await signed_in("zhengce")
    policy = await create_through_the_editor(zhengce)

    assert policy.status is PolicyStatus.draft
    assert policy.title == "浦东科技型小微企业研发费用补贴" and policy.doc_number == "浦科经委规〔2025〕3号"
    assert policy.expiry_date == date(2030, 12, 31) and policy.amount_max == Decimal("50")
    assert policy.support_type is SupportType.subsidy and policy.apply_where == "浦东新区企业服务中心"
    assert Targeting.from_stored(policy.targeting) == Targeting(
        districts=[District.pudong], industry_sections=["I", "M"], size_classes=[SizeClass.small, SizeClass.micro]
    )
    await policy.fetch_related("issuing_organisations")
    assert {org.code for org in policy.issuing_organisations} == {"city.science-tech", "city.finance"}
    attachments = await PolicyAttachment.filter(policy_id=policy.id)
    assert [(a.filename, a.url) for a in attachments] == [("申报指南.pdf", "https://example.gov.cn/guide.pdf")]

    _, page, _ = await zhengce.get(f"/admin/policies/{policy.id}")
    assert "政策已保存为草稿" in page and 'data-status="draft"' in page
    assert "注册区：浦东新区" in page and f'href="/admin/policies/{policy.id}/edit"' in page
    assert 'data-action="submit"' in page and 'data-action="approve"' not in page

    page = await step(zhengce, policy, "submit")
    assert "已提交审核" in page and 'data-status="in_review"' in page
    assert 'data-action="approve"' not in page  # the submitter is not offered approval
    assert "/edit" not in page  # nothing changes under the reviewer's eyes

    # Approving their own submission anyway is refused with the reason.
    page = await step(zhengce, policy, "approve")
    assert "不能审核自己提交的政策" in page
    assert (await Policy.get(id=policy.id)).status is PolicyStatus.in_review

    reviewer = await signed_in("zhengce2")
    _, queue, _ = await reviewer.get("/admin/policies/review")
    assert f'href="/admin/policies/{policy.id}"' in queue and "审核</a>" in queue
    _, own_queue, _ = await zhengce.get("/admin/policies/review")
    assert "您提交的，待他人审核" in own_queue

    page = await step(reviewer, policy, "approve")
    assert "已审核通过并发布" in page and 'data-status="published"' in page
    published = await Policy.get(id=policy.id)
    assert published.status is PolicyStatus.published
    history = [(e.from_status, e.to_status, e.staff_id) for e in await PolicyEvent.filter(policy_id=policy.id).order_by("id")]
    assert history == [
        (None, PolicyStatus.draft, (await zhengce_staff()).id),
        (PolicyStatus.draft, PolicyStatus.in_review, (await zhengce_staff()).id),
        (PolicyStatus.in_review, PolicyStatus.published, zhengce2.id),
    ]
    assert "zhengce2 测试" in page  # the history names who published
    assert 'id="push-button"' in page and f"/admin/campaigns/new?policy_id={policy.id}" in page
    _, queue, _ = await reviewer.get("/admin/policies/review")
    assert "没有待审核的政策" in queue
    actions = [a.action for a in await AuditLog.filter(target_type="policy").order_by("id")]
    assert actions == ["policy.create", "policy.submit", "policy.approve"]


async def zhengce_staff():
    from app.staff.models import Staff

    return await Staff.get(username="zhengce")


async def test_sending_back_and_withdrawing_need_a_reason(signed_in, zhengce2):
    zhengce = await signed_in("zhengce")
    policy = await create_through_the_editor(zhengce)
    await step(zhengce, policy, "submit")
    reviewer = await signed_in("zhengce2")

    page = await step(reviewer, policy, "reject")
    assert "请填写退回原因" in page
    page = await step(reviewer, policy, "reject", note="补充申报条件")
    assert "已退回修改" in page and "补充申报条件" in page and 'data-status="draft"' in page

    await step(zhengce, policy, "submit")
    await step(reviewer, policy, "approve")
    page = await step(zhengce, policy, "withdraw")
    assert "请填写撤回原因" in page
    page = await step(zhengce, policy, "withdraw", note="资金额度已用完")
    assert 'data-status="withdrawn"' in page and "资金额度已用完" in page
    assert 'id="push-button"' not in page and 'data-action="revise"' in page
    page = await step(zhengce, policy, "revise")
    assert 'data-status="draft"' in page and f"/admin/policies/{policy.id}/edit" in page


async def test_the_editor_changes_a_draft_and_refuses_to_edit_a_published_policy(signed_in):
    zhengce = await signed_in("zhengce")
    policy = await create_through_the_editor(zhengce)
    edit = f"/admin/policies/{policy.id}/edit"
    status, page, _ = await zhengce.get(edit)
    assert status == 200 and 'value="浦东科技型小微企业研发费用补贴"' in page
    assert 'value="310115" checked' in page and 'value="2030-12-31"' in page and "申报指南.pdf" in page

    status, _, _ = await zhengce.post(edit, await form(title="浦东研发费用补贴（修订）", amount_max="80",
                                                       attachment_filename=[], attachment_url=[]), token_from=edit)
    assert status == 303
    changed = await Policy.get(id=policy.id)
    assert changed.title == "浦东研发费用补贴（修订）" and changed.amount_max == Decimal("80")
    assert not await PolicyAttachment.filter(policy_id=policy.id).exists()

    published = await published_policy(title="已发布的政策")
    status, _, response = await zhengce.get(f"/admin/policies/{published.id}/edit")
    assert status == 303 and response.headers["Location"] == f"/admin/policies/{published.id}"
    _, page, _ = await zhengce.get(f"/admin/policies/{published.id}")
    assert "只有草稿可以修改" in page
    status, page, _ = await zhengce.post(f"/admin/policies/{published.id}/edit", await form(), token_from=edit)
    assert status == 400 and "已发布的政策不能直接修改" in page
    assert (await Policy.get(id=published.id)).title == "已发布的政策"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"expiry_date": "2025-03-01"}, "expiry_date", "失效日期（2025-03-01）早于生效日期（2025-03-10）"),
        ({"amount_min": "五万"}, "amount_min", "最低金额应为数字（万元）"),
        ({"amount_min": "80"}, "amount_min", "最低金额（80.00万元）大于最高金额（50.00万元）"),
        ({"apply_end": "2025-13-01"}, "apply_end", "申报截止日期应为日期（YYYY-MM-DD）"),
        ({"title": ""}, "title", "标题不能为空"),
        ({"support_type": ""}, "support_type", "请选择支持方式"),
        ({"min_years_established": "5", "max_years_established": "3"}, "targeting", "成立年限下限（5年）大于上限（3年）"),
        ({"min_registered_capital": "很多"}, "min_registered_capital", "注册资本下限应为数字（万元）"),
        ({"attachment_filename": ["指南.pdf"], "attachment_url": ["javascript:alert(1)"]}, "attachments",
         "附件「指南.pdf」的地址应以 https://、http:// 或 / 开头"),
    ],
)
async def test_a_refused_policy_shows_the_error_next_to_the_field_and_keeps_what_was_typed(
    signed_in, overrides, field, message
):
    zhengce = await signed_in("zhengce")
    status, page, _ = await zhengce.post("/admin/policies/new", await form(**overrides), token_from="/admin/policies/new")
    assert status == 400
    assert message in error_next_to(page, field)
    assert "保存失败" in page and "按上年度研发费用的10%给予补贴，最高50万元。" in page
    assert not await Policy.exists()


async def test_submitting_an_incomplete_policy_says_what_is_missing(signed_in):
    zhengce = await signed_in("zhengce")
    policy = await create_through_the_editor(zhengce, issuing_organisation_ids=[], summary="", body="")
    page = await step(zhengce, policy, "submit")
    assert "提交审核前请填写：发文单位、摘要或正文" in page
    assert (await Policy.get(id=policy.id)).status is PolicyStatus.draft


# -- the audience estimate --------------------------------------------------------------------------


async def test_the_audience_estimate_counts_the_register_before_saving(signed_in):
    await make_enterprise(district=District.pudong, size_class=SizeClass.small, industry_section="I", industry_division="65")
    await make_enterprise(district=District.pudong, size_class=SizeClass.micro, industry_section="M", industry_division="73")
    await make_enterprise(district=District.pudong, size_class=SizeClass.medium)
    await make_enterprise(district=District.xuhui, size_class=SizeClass.small)
    await make_enterprise(district=District.pudong, size_class=SizeClass.small, industry_section="C",
                          industry_division="39")
    zhengce = await signed_in("zhengce")
    token = await zhengce.token("/admin/policies/new")
    htmx = {"HX-Request": "true", "X-CSRF-Token": token}

    status, fragment, _ = await zhengce.post("/admin/policies/audience", await form(), token=None, headers=htmx)
    assert status == 200 and "<html" not in fragment
    assert re.search(r"预估覆盖企业 <strong>2</strong> 家", fragment)
    assert "注册区：浦东新区" in fragment and "企业规模：小型、微型" in fragment

    _, fragment, _ = await zhengce.post("/admin/policies/audience", await form(districts=[], size_classes=[],
                                                                             industry_sections=[]),
                                        token=None, headers=htmx)
    assert re.search(r"预估覆盖企业 <strong>5</strong> 家", fragment) and "不限" in fragment

    _, fragment, _ = await zhengce.post("/admin/policies/audience", await form(industry_sections=[],
                                                                             industry_divisions=["39"]),
                                        token=None, headers=htmx)
    assert re.search(r"<strong>1</strong>", fragment) and "39 计算机、通信和其他电子设备制造业" in fragment

    _, fragment, _ = await zhengce.post("/admin/policies/audience", await form(max_years_established="abc"),
                                        token=None, headers=htmx)
    assert "无法估算" in fragment and "成立年限上限应为整数" in fragment

    # Saved, the detail page shows the same count.
    policy = await create_through_the_editor(zhengce)
    _, page, _ = await zhengce.get(f"/admin/policies/{policy.id}")
    assert '<strong id="audience-count">2</strong>' in page


# -- the list ----------------------------------------------------------------------------------------


async def test_the_list_filters_by_status_support_type_keyword_and_issuer_and_pages(signed_in, accounts):
    pudong = await organisation("district.310115")
    await published_policy(title="浦东人才公寓租金补贴", support_type=SupportType.talent, issuing_organisation_ids=[pudong.id])
    await published_policy(title="研发费用加计扣除", support_type=SupportType.tax, doc_number="财税〔2025〕7号")
    await create_policy(staff=accounts["zhengce"], data=await policy_input(title="草稿：首台套奖励"))
    zhengce = await signed_in("zhengce")

    _, page, _ = await zhengce.get("/admin/policies")
    assert all(title in page for title in ("浦东人才公寓租金补贴", "研发费用加计扣除", "草稿：首台套奖励"))
    assert 'data-status="published"' in page and 'data-status="draft"' in page

    def titles(page: str) -> set[str]:
        return set(re.findall(r'href="/admin/policies/\d+">([^<]+)</a>', page))

    assert titles((await zhengce.get("/admin/policies?status=draft"))[1]) == {"草稿：首台套奖励"}
    assert titles((await zhengce.get("/admin/policies?support_type=tax"))[1]) == {"研发费用加计扣除"}
    assert titles((await zhengce.get("/admin/policies?q=财税"))[1]) == {"研发费用加计扣除"}
    assert titles((await zhengce.get("/admin/policies?q=公寓"))[1]) == {"浦东人才公寓租金补贴"}
    assert titles((await zhengce.get(f"/admin/policies?issuer={pudong.id}"))[1]) == {"浦东人才公寓租金补贴"}
    _, page, _ = await zhengce.get("/admin/policies?status=expired")
    assert "没有符合筛选条件的政策" in page

    for number in range(31):
        await published_policy(title=f"批量政策{number:02d}")
    _, first, _ = await zhengce.get("/admin/policies?q=批量政策")
    assert len(titles(first)) == 30 and "第 1 / 2 页，共 31 条" in first
    assert "q=%E6%89%B9%E9%87%8F%E6%94%BF%E7%AD%96&amp;page=2" in first
    _, second, _ = await zhengce.get("/admin/policies?q=批量政策&page=2")
    assert len(titles(second)) == 1


# -- import ----------------------------------------------------------------------------------------


def sheet_bytes(rows: list[dict[str, object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(IMPORT_HEADERS))
    for values in rows:
        sheet.append([values.get(header, "") for header in IMPORT_HEADERS])
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


IMPORT_ROW = {"标题": "徐汇区人工智能企业算力补贴", "发文单位": "市科委", "摘要": "算力费用补贴。", "支持方式": "资金补贴",
              "最高金额(万元)": 100, "适用区": "徐汇区", "企业规模": "小型、微型", "失效日期": "2030-12-31"}


async def upload(browser, content: bytes, filename: str, **fields: str) -> tuple[int, str]:
    """Post a file through the import form (multipart, with the page's CSRF token)."""
    token = await browser.token("/admin/policies/import")
    data = aiohttp.FormData()
    data.add_field("csrf_token", token)
    for name, value in fields.items():
        data.add_field(name, value)
    data.add_field("file", content, filename=filename, content_type="application/octet-stream")
    async with browser.http.post(browser.base + "/admin/policies/import", data=data, allow_redirects=False) as response:
        return response.status, await response.text()


async def test_importing_a_good_spreadsheet_creates_drafts(signed_in):
    zhengce = await signed_in("zhengce")
    content = sheet_bytes([IMPORT_ROW, IMPORT_ROW | {"标题": "徐汇区人工智能人才奖励", "支持方式": "人才服务"}])
    status, page = await upload(zhengce, content, "徐汇政策.xlsx")
    assert status == 200, page
    assert "已导入 2 条政策（草稿，请逐条提交审核）" in page
    policies = await Policy.all().order_by("id")
    assert [p.title for p in policies] == ["徐汇区人工智能企业算力补贴", "徐汇区人工智能人才奖励"]
    assert all(p.status is PolicyStatus.draft for p in policies)
    assert f'href="/admin/policies/{policies[0].id}"' in page
    assert await AuditLog.filter(action="policy.import").count() == 2


async def test_importing_a_bad_spreadsheet_names_each_line_and_imports_nothing(signed_in):
    zhengce = await signed_in("zhengce")
    csv_text = "标题,支持方式,适用区,发文单位\n好政策,资金补贴,浦东新区,市科委\n坏政策,发钱,火星区,市科委\n,税收优惠,,\n"
    status, page = await upload(zhengce, csv_text.encode("utf-8"), "政策.csv")
    assert status == 400
    assert "未导入" in page
    assert "第 3 行" in page and "支持方式「发钱」不是可用的值" in page and "适用区「火星区」" in page
    assert "第 4 行" in page and "标题不能为空" in page
    assert not await Policy.exists()

    status, page = await upload(zhengce, b"", "empty.xlsx")
    assert status == 400 and "请选择要导入的 XLSX 或 CSV 文件" in page


async def test_only_a_city_administrator_may_publish_on_import(signed_in):
    content = sheet_bytes([IMPORT_ROW])
    status, page = await upload(await signed_in("zhengce"), content, "a.xlsx", publish="on")
    assert status == 400 and "只有市级管理员可以在导入时直接发布" in page
    assert not await Policy.exists()
    status, page = await upload(await signed_in("admin"), content, "a.xlsx", publish="on")
    assert status == 200 and "已导入 1 条政策并直接发布" in page
    assert (await Policy.get()).status is PolicyStatus.published


async def test_the_import_template_downloads_as_a_workbook_with_the_headers(signed_in):
    zhengce = await signed_in("zhengce")
    _, page, _ = await zhengce.get("/admin/policies/import")
    assert 'href="/admin/policies/import/template.xlsx"' in page
    async with zhengce.http.get(zhengce.base + "/admin/policies/import/template.xlsx") as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("application/vnd.openxmlformats")
        disposition = response.headers["Content-Disposition"]
        content = await response.read()
    assert disposition.startswith("attachment;")
    assert unquote(disposition.split("filename*=UTF-8''", 1)[1]) == "惠企政策导入模板.xlsx"
    sheet = load_workbook(BytesIO(content)).active
    assert [cell.value for cell in sheet[1]] == list(IMPORT_HEADERS)


# -- export ----------------------------------------------------------------------------------------


async def test_the_policy_list_export_downloads_a_workbook_for_the_period_and_issuer(signed_in):
    science = await organisation("city.science-tech")
    pudong = await organisation("district.310115")
    today = shanghai_today()
    await published_policy(title="市科委研发补贴", issuing_organisation_ids=[science.id], publish_date=date(2025, 2, 1),
                           effective_date=date(2025, 2, 1), today=today)
    await published_policy(title="市科委去年的政策", issuing_organisation_ids=[science.id], publish_date=date(2024, 2, 1),
                           effective_date=date(2024, 2, 1), today=today)
    await published_policy(title="浦东政策", issuing_organisation_ids=[pudong.id], publish_date=date(2025, 3, 1), today=today)
    zhengce = await signed_in("zhengce")
    _, page, _ = await zhengce.get("/admin/policies/export")
    assert 'action="/admin/policies/export.xlsx"' in page

    query = f"?start=2025-01-01&end=2025-12-31&organisation_id={science.id}"
    async with zhengce.http.get(zhengce.base + "/admin/policies/export.xlsx" + query) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        disposition = response.headers["Content-Disposition"]
        content = await response.read()
    assert 'filename="policy-list.xlsx"' in disposition
    assert unquote(disposition.split("filename*=UTF-8''", 1)[1]) == "惠企政策清单_市科委_2025-01-01至2025-12-31.xlsx"
    sheet = load_workbook(BytesIO(content)).active
    assert sheet["A1"].value == "上海市科学技术委员会惠企政策清单"
    assert [row[1].value for row in sheet.iter_rows(min_row=4)] == ["市科委研发补贴"]

    status, page, _ = await zhengce.get("/admin/policies/export.xlsx?start=2025-02-30")
    assert status == 400 and "开始日期「2025-02-30」不是有效日期" in page
    status, page, _ = await zhengce.get("/admin/policies/export.xlsx?start=2025-06-01&end=2025-01-01")
    assert status == 400 and "开始日期（2025-06-01）晚于结束日期（2025-01-01）" in page
    status, page, _ = await zhengce.get("/admin/policies/export.xlsx?organisation_id=999999")
    assert status == 400 and "所选发文单位不存在" in page


async def test_an_unknown_policy_is_a_404(signed_in):
    zhengce = await signed_in("zhengce")
    for path in ("/admin/policies/999999", "/admin/policies/999999/edit"):
        status, page, _ = await zhengce.get(path)
        assert status == 404 and "未找到该政策" in page
    status, _, _ = await zhengce.post("/admin/policies/999999/transition", {"action": "submit"})
    assert status == 404


async def test_staff_preview_every_notification_with_what_is_shortened(signed_in):
    editor = await signed_in("admin")
    status, page, _ = await editor.get("/admin/notifications")
    assert status == 200
    for title in ("政策推送通知", "诉求受理通知", "活动开始提醒"):
        assert title in page
    assert "未配置" in page and "TEMPLATE_POLICY_PUSH" in page  # the test settings configure no template ids
    handler = await signed_in("keji")
    assert (await handler.get("/admin/notifications"))[0] == 403
