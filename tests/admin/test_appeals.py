"""Appeals in the panel: the dispatcher's queue and steps, the department handler's portal
scoped to their organisation, and staff entry of walk-in and forwarded appeals — over
real HTTP, as staff use them."""

from __future__ import annotations

import re
from datetime import timedelta
from types import SimpleNamespace

import aiohttp
import pytest

from app.appeal.models import (
    Appeal,
    AppealAttachment,
    AppealChannel,
    AppealEvent,
    AppealStatus,
    ContactPreference,
)
from app.appeal.service import AppealDraft, submit_appeal
from app.content_check.models import CheckKind, CheckStatus, ContentCheck
from app.enterprise.reference import District
from app.identity.models import WeChatUser
from app.organisation.models import Organisation
from app.staff.models import StaffRole
from tests.admin.support import make_staff
from tests.policy.factories import make_enterprise

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
async def shuiwu(accounts):
    """A 市税务局 handler, beside keji (市科委) from the shared accounts."""
    return await make_staff("shuiwu", StaffRole.department_handler, "city.taxation")


async def file_appeal(settings, *, held: bool = False, **overrides) -> Appeal:
    """An appeal filed from the mini-program by an enterprise user (through the service)."""
    user = await WeChatUser.create(unionid=f"u-{await WeChatUser.all().count() + 1}")
    values = {
        "channel": AppealChannel.miniprogram,
        "category": "technology",
        "description": "高新技术企业认定材料提交后三个月没有结果，想了解进度。",
        "title": "高企认定进度",
        "user": user,
        "contact_name": "王经理",
        "contact_phone": "13812345678",
        "contact_preference": ContactPreference.phone,
        "district": District.pudong,
        "idempotency_key": f"test-{user.id}",
    }
    values.update(overrides)

    async def hold_it(**_):
        return SimpleNamespace(needs_review=True, reason="疑似含有不当内容", id=None)

    result = await submit_appeal(draft=AppealDraft(**values), settings=settings, check_text=hold_it if held else None)
    return result.appeal


async def org(code: str) -> Organisation:
    return await Organisation.get(code=code)


def detail(appeal: Appeal) -> str:
    return f"/admin/appeals/{appeal.id}"


async def step(browser, appeal: Appeal, action: str, data: dict | list | None = None):
    """Press a step's button on the appeal's page: (status, page, response)."""
    return await browser.post(f"{detail(appeal)}/steps/{action}", data or {}, token_from=detail(appeal))


async def post_files(browser, path: str, fields: list[tuple[str, str]], files: list[tuple[str, bytes, str]],
                     *, token_from: str):
    """A multipart form as a browser sends it, with files in the `attachments` field."""
    form = aiohttp.FormData()
    for name, value in fields:
        form.add_field(name, value)
    form.add_field("csrf_token", await browser.token(token_from))
    for filename, data, content_type in files:
        form.add_field("attachments", data, filename=filename, content_type=content_type)
    async with browser.http.post(browser.base + path, data=form, allow_redirects=False) as response:
        return response.status, await response.text(), response


def buttons(page: str) -> set[str]:
    return set(re.findall(r'data-action="([a-z_]+)"', page.split('id="appeal-facts"')[0]))


def row_numbers(page: str) -> list[str]:
    return re.findall(r'<tr data-appeal="([^"]+)"', page)


async def refreshed(appeal: Appeal) -> Appeal:
    return await Appeal.get(id=appeal.id)


async def dispatched_to_keji(admin, settings) -> Appeal:
    appeal = await file_appeal(settings)
    assert (await step(admin, appeal, "accept"))[0] == 303
    science = await org("city.science-tech")
    status, page, _ = await step(admin, appeal, "dispatch", {"lead_organisation_id": science.id})
    assert status == 303, page
    return await refreshed(appeal)


# -- the dispatcher's queue and the handler's scope ------------------------------------------


async def test_admin_accepts_and_dispatches_and_only_the_lead_department_sees_it(signed_in, settings, shuiwu):
    appeal = await file_appeal(settings)
    admin = await signed_in("admin")

    status, page, _ = await admin.get("/admin/appeals")
    assert status == 200
    assert 'href="/admin/appeals"' in page and ">诉求<" in page  # the navigation entry
    assert row_numbers(page) == [appeal.number]  # 待受理 is the dispatcher's first tab
    assert "138****5678" in page and "13812345678" not in page  # lists mask the phone

    status, page, response = await step(admin, appeal, "accept")
    assert status == 303 and response.headers["Location"] == detail(appeal)
    page = (await admin.get(detail(appeal)))[1]
    assert "已受理，请分派承办单位" in page
    assert "dispatch" in buttons(page) and "accept" not in buttons(page)
    _, page, _ = await admin.get("/admin/appeals?tab=accepted")
    assert row_numbers(page) == [appeal.number]

    science = await org("city.science-tech")
    taxation = await org("city.taxation")
    status, page, _ = await step(admin, appeal, "dispatch", [("lead_organisation_id", science.id),
                                                              ("co_organisation_ids", taxation.id)])
    assert status == 303, page
    appeal = await refreshed(appeal)
    assert appeal.status is AppealStatus.dispatched and appeal.lead_organisation_id == science.id
    _, page, _ = await admin.get(detail(appeal))
    assert "上海市科学技术委员会" in page.split('id="appeal-lead"')[1].split("</dd>")[0]
    assert "承办单位：上海市科学技术委员会" in page  # on the timeline

    keji = await signed_in("keji")
    _, page, _ = await keji.get("/admin/appeals")
    assert row_numbers(page) == [appeal.number]  # a handler's first tab is 办理中
    assert 'data-tab="submitted"' not in page  # intake tabs are the dispatcher's
    status, page, _ = await keji.get(detail(appeal))
    assert status == 200 and appeal.number in page

    other = await signed_in("shuiwu")  # 市税务局 co-handles: it sees it too, but cannot reply
    status, page, _ = await other.get(detail(appeal))
    assert status == 200 and "reply" not in buttons(page) and "note" in buttons(page)


async def test_a_department_sees_nothing_of_appeals_it_does_not_handle(signed_in, settings, shuiwu):
    admin = await signed_in("admin")
    appeal = await dispatched_to_keji(admin, settings)

    shuiwu_browser = await signed_in("shuiwu")
    for tab in ("handling", "overdue", "done", "replied", "transfer"):
        _, page, _ = await shuiwu_browser.get(f"/admin/appeals?tab={tab}")
        assert appeal.number not in page, tab
    _, page, _ = await shuiwu_browser.get(f"/admin/appeals?tab=handling&q={appeal.number}")
    assert row_numbers(page) == []
    status, page, _ = await shuiwu_browser.get(detail(appeal))
    assert status == 404 and "未找到该诉求" in page  # not 403: its existence is not disclosed
    status, page, _ = await step(shuiwu_browser, appeal, "note", {"note": "看看"})
    assert status == 404
    assert not await AppealEvent.filter(appeal_id=appeal.id, action="note").exists()
    assert (await shuiwu_browser.get("/admin/appeals/999999"))[0] == 404


async def test_keji_signs_for_it_and_replies_with_a_pdf(signed_in, settings, shuiwu):
    admin = await signed_in("admin")
    appeal = await dispatched_to_keji(admin, settings)
    keji = await signed_in("keji")

    _, page, _ = await keji.get(detail(appeal))
    assert {"start", "reply", "return", "request_transfer", "note"} <= buttons(page)
    status, _, _ = await step(keji, appeal, "start")
    assert status == 303
    assert (await refreshed(appeal)).status is AppealStatus.in_progress

    status, page, _ = await post_files(
        keji, f"{detail(appeal)}/steps/reply", [("note", "已联系企业，认定结果将于下周公示。")],
        [("认定进度说明.pdf", PDF, "application/pdf")], token_from=detail(appeal),
    )
    assert status == 303, page
    appeal = await refreshed(appeal)
    assert appeal.status is AppealStatus.replied and appeal.replied_at is not None
    attachment = await AppealAttachment.get(appeal_id=appeal.id)
    assert attachment.content_type == "application/pdf" and attachment.filename == "认定进度说明.pdf"
    reply = await AppealEvent.get(appeal_id=appeal.id, action="reply")
    assert attachment.event_id == reply.id and reply.text == "已联系企业，认定结果将于下周公示。"

    _, page, _ = await keji.get(detail(appeal))
    assert "认定进度说明.pdf" in page and f"/files/appeal/{attachment.id}?expires=" in page
    _, page, _ = await keji.get("/admin/appeals?tab=replied")
    assert row_numbers(page) == [appeal.number]


async def test_a_reply_refuses_a_file_that_is_neither_image_nor_pdf(signed_in, settings):
    admin = await signed_in("admin")
    appeal = await dispatched_to_keji(admin, settings)
    keji = await signed_in("keji")
    status, page, _ = await post_files(
        keji, f"{detail(appeal)}/steps/reply", [("note", "答复内容")],
        [("说明.docx", b"PK\x03\x04 not really", "application/octet-stream")], token_from=detail(appeal),
    )
    assert status == 400
    assert re.search(r'id="error-reply"[^>]*>只能上传JPG、PNG、GIF、WEBP 图片或 PDF 文件<', page)
    assert "答复内容" in page  # what was typed is kept
    assert (await refreshed(appeal)).status is AppealStatus.dispatched


async def test_a_handler_can_neither_accept_nor_dispatch(signed_in, settings):
    admin = await signed_in("admin")
    appeal = await dispatched_to_keji(admin, settings)
    keji = await signed_in("keji")
    _, page, _ = await keji.get(detail(appeal))
    assert not buttons(page) & {"accept", "dispatch", "redispatch", "decline", "merge"}

    status, page, _ = await step(keji, appeal, "redispatch", {"lead_organisation_id": (await org("city.taxation")).id,
                                                               "note": "改给税务"})
    assert status == 403
    assert "您无权对该诉求执行「改派」" in page
    for action in ("accept", "dispatch"):
        status, page, _ = await step(keji, appeal, action, {"lead_organisation_id": (await org("city.taxation")).id})
        assert status == 400 and "操作未完成：" in page and "不能" in page, action
    appeal = await refreshed(appeal)
    assert appeal.status is AppealStatus.dispatched and appeal.lead_organisation_id == (await org("city.science-tech")).id


async def test_declining_needs_a_reason_the_enterprise_will_see(signed_in, settings):
    appeal = await file_appeal(settings)
    admin = await signed_in("admin")
    status, page, _ = await step(admin, appeal, "decline", {"note": "  "})
    assert status == 400
    assert re.search(r'id="error-decline"[^>]*>请填写不予受理的原因<', page)
    assert (await refreshed(appeal)).status is AppealStatus.submitted

    status, _, _ = await step(admin, appeal, "decline", {"note": "属于司法诉讼事项，请通过法院途径解决。"})
    assert status == 303
    appeal = await refreshed(appeal)
    assert appeal.status is AppealStatus.declined and appeal.decline_reason == "属于司法诉讼事项，请通过法院途径解决。"
    _, page, _ = await admin.get("/admin/appeals?tab=done")
    assert row_numbers(page) == [appeal.number]


async def test_a_returned_appeal_is_back_with_the_dispatcher_marked_returned(signed_in, settings):
    admin = await signed_in("admin")
    appeal = await dispatched_to_keji(admin, settings)
    keji = await signed_in("keji")

    status, page, _ = await step(keji, appeal, "return", {"note": ""})
    assert status == 400 and "请填写退回原因" in page
    status, _, response = await step(keji, appeal, "return", {"note": "不属于科委职责，应由区里办理。"})
    assert status == 303 and response.headers["Location"] == "/admin/appeals"  # no longer theirs
    assert (await keji.get(detail(appeal)))[0] == 404

    appeal = await refreshed(appeal)
    assert appeal.status is AppealStatus.accepted and appeal.flag == "returned"
    _, page, _ = await admin.get("/admin/appeals?tab=accepted")
    assert row_numbers(page) == [appeal.number]
    assert 'data-flag="returned">已退回<' in page
    _, page, _ = await admin.get(detail(appeal))
    assert "不属于科委职责，应由区里办理。" in page and "dispatch" in buttons(page)


async def test_a_transfer_request_waits_in_its_tab_with_the_suggestion_preselected(signed_in, settings):
    admin = await signed_in("admin")
    appeal = await dispatched_to_keji(admin, settings)
    keji = await signed_in("keji")
    taxation = await org("city.taxation")
    status, _, _ = await step(keji, appeal, "request_transfer",
                              {"note": "涉及研发费用加计扣除，应由税务部门办理。", "suggested_organisation_id": taxation.id})
    assert status == 303
    appeal = await refreshed(appeal)
    assert appeal.flag == "transfer_requested" and appeal.status is AppealStatus.dispatched

    _, page, _ = await admin.get("/admin/appeals?tab=transfer")
    assert row_numbers(page) == [appeal.number] and "申请转办" in page
    _, page, _ = await admin.get(detail(appeal))
    box = page.split('id="transfer-request"')[1].split("</section>")[0]
    assert "涉及研发费用加计扣除" in box and "上海市税务局" in box
    form = page.split('id="step-redispatch"')[1].split("</form>")[0]
    assert f'<option value="{taxation.id}" selected>' in form

    status, _, _ = await step(admin, appeal, "redispatch", {"lead_organisation_id": taxation.id, "note": "同意转办"})
    assert status == 303
    appeal = await refreshed(appeal)
    assert appeal.lead_organisation_id == taxation.id and appeal.flag == ""
    _, page, _ = await admin.get("/admin/appeals?tab=transfer")
    assert row_numbers(page) == []


async def test_internal_notes_are_on_the_timeline_marked_internal(signed_in, settings):
    admin = await signed_in("admin")
    appeal = await dispatched_to_keji(admin, settings)
    keji = await signed_in("keji")
    assert (await step(keji, appeal, "note", {"note": "已电话联系王经理，约周五上门。"}))[0] == 303
    _, page, _ = await admin.get(detail(appeal))
    entry = page.split('data-action="note"')[-1].split("</li>")[0]
    assert "已电话联系王经理，约周五上门。" in entry and "内部" in entry
    assert (await AppealEvent.get(appeal_id=appeal.id, action="note")).internal


async def test_the_detail_page_shows_the_full_number_only_to_those_allowed(signed_in, settings):
    admin = await signed_in("admin")
    appeal = await dispatched_to_keji(admin, settings)
    phone = lambda page: page.split('id="appeal-phone">')[1].split("<")[0]
    assert phone((await admin.get(detail(appeal)))[1]) == "13812345678"  # follower.phone
    keji = await signed_in("keji")
    assert phone((await keji.get(detail(appeal)))[1]) == "13812345678"  # the lead, asked to phone
    await Appeal.filter(id=appeal.id).update(contact_preference=ContactPreference.wechat)
    assert phone((await keji.get(detail(appeal)))[1]) == "138****5678"


# -- held content -------------------------------------------------------------------------------


async def test_held_content_is_released_or_declined_by_the_dispatcher(signed_in, settings):
    first = await file_appeal(settings, held=True)
    second = await file_appeal(settings, held=True)
    assert first.status is AppealStatus.held
    admin = await signed_in("admin")

    _, page, _ = await admin.get("/admin/appeals?tab=held")
    assert set(row_numbers(page)) == {first.number, second.number}
    await ContentCheck.create(subject_type="appeal", subject_id=first.id, kind=CheckKind.text,
                              status=CheckStatus.review, excerpt="高新技术企业认定材料")
    _, page, _ = await admin.get(detail(first))
    assert {"release", "decline"} <= buttons(page) and "accept" not in buttons(page)
    assert "疑似含有不当内容" in page  # why it was held
    verdicts = page.split('id="appeal-checks"')[1].split("</section>")[0]
    assert "需人工复核" in verdicts and "高新技术企业认定材料" in verdicts

    assert (await step(admin, first, "release"))[0] == 303
    assert (await refreshed(first)).status is AppealStatus.submitted
    _, page, _ = await admin.get(detail(first))
    assert "审核通过" in page.split('id="appeal-checks"')[1].split("</section>")[0]  # settled with the release
    assert (await step(admin, second, "decline", {"note": "内容与企业经营无关。"}))[0] == 303
    assert (await refreshed(second)).status is AppealStatus.declined

    _, page, _ = await admin.get("/admin/appeals?tab=held")
    assert row_numbers(page) == []
    _, page, _ = await admin.get("/admin/appeals?tab=submitted")
    assert row_numbers(page) == [first.number]


# -- deadlines -----------------------------------------------------------------------------------


async def test_overdue_appeals_are_in_the_supervision_tab_with_a_red_badge(signed_in, settings):
    late = await file_appeal(settings)
    soon = await file_appeal(settings)
    calm = await file_appeal(settings)
    now = late.created_at
    await Appeal.filter(id=late.id).update(accept_due_at=now - timedelta(hours=2))
    await Appeal.filter(id=soon.id).update(accept_due_at=now + timedelta(hours=3))
    await Appeal.filter(id=calm.id).update(accept_due_at=now + timedelta(days=5))
    admin = await signed_in("admin")

    _, page, _ = await admin.get("/admin/appeals?tab=submitted")
    badges = dict(re.findall(r'<tr data-appeal="([^"]+)".*?data-deadline="(\w+)"', page, re.DOTALL))
    assert badges.get(late.number) == "danger" and badges.get(soon.number) == "warn"
    assert 'data-deadline="danger">超期<' in page and 'data-deadline="warn">即将到期<' in page
    _, page, _ = await admin.get("/admin/appeals?tab=overdue")
    assert row_numbers(page) == [late.number]


# -- filters -------------------------------------------------------------------------------------


async def test_the_queue_filters_by_category_district_channel_and_text(signed_in, settings):
    tech = await file_appeal(settings, title="高企认定进度")
    tax = await file_appeal(settings, category="tax", title="退税进度", district=District.xuhui)
    admin = await signed_in("admin")
    for query, expected in [("category=tax", [tax.number]), ("district=310115", [tech.number]),
                            ("channel=miniprogram", [tech.number, tax.number]), ("channel=walk_in", []),
                            ("q=退税", [tax.number]), (f"q={tech.number}", [tech.number])]:
        _, page, _ = await admin.get(f"/admin/appeals?tab=submitted&{query}")
        assert row_numbers(page) == expected, query


# -- staff entry ---------------------------------------------------------------------------------


def walk_in_form(token: str, **overrides) -> list[tuple[str, str]]:
    values = {
        "form_token": token, "credit_code": "", "enterprise_name": "", "category": "licence", "district": "",
        "title": "", "description": "变更经营范围时需要的前置许可不清楚，请协助说明。", "contact_name": "李女士",
        "contact_phone": "13900001111", "contact_preference": "phone", "address": "",
    }
    values.update(overrides)
    return list(values.items())


async def test_a_walk_in_form_posted_twice_files_one_appeal(signed_in, settings):
    enterprise = await make_enterprise(name="上海张江示例科技有限公司", district=District.pudong)
    admin = await signed_in("admin")
    status, page, _ = await admin.get("/admin/appeals/new")
    assert status == 200
    token = re.search(r'name="form_token" value="([^"]+)"', page).group(1)
    assert "转交市级协调" not in page  # the coordination office dispatches what it enters

    _, fragment, _ = await admin.get(f"/admin/appeals/enterprise?credit_code={enterprise.credit_code.lower()}")
    assert "上海张江示例科技有限公司" in fragment
    _, fragment, _ = await admin.get("/admin/appeals/enterprise?credit_code=91310115MA1K4ABC")
    assert "统一社会信用代码应为18位，实际为16位" in fragment and "企业库" not in fragment

    form = walk_in_form(token, credit_code=enterprise.credit_code)
    first = await post_files(admin, "/admin/appeals/new", form, [("营业执照.png", PNG, "image/png")],
                             token_from="/admin/appeals/new")
    second = await post_files(admin, "/admin/appeals/new", form, [("营业执照.png", PNG, "image/png")],
                              token_from="/admin/appeals/new")
    assert first[0] == 303 and second[0] == 303, first[1]
    assert await Appeal.all().count() == 1
    appeal = await Appeal.get()
    assert first[2].headers["Location"] == second[2].headers["Location"] == detail(appeal)
    assert appeal.channel is AppealChannel.walk_in and appeal.enterprise_id == enterprise.id
    assert appeal.district is District.pudong and appeal.contact_phone == "13900001111"
    assert await AppealAttachment.filter(appeal_id=appeal.id).count() == 1
    submitted = await AppealEvent.get(appeal_id=appeal.id, action="submit")
    assert submitted.staff_id is not None
    _, page, _ = await admin.get(detail(appeal))
    assert "该表单已提交过，未重复登记" in page and "营业执照.png" in page

    # A new form (a new token) is a new appeal.
    _, page, _ = await admin.get("/admin/appeals/new")
    other = re.search(r'name="form_token" value="([^"]+)"', page).group(1)
    assert other != token
    assert (await admin.post("/admin/appeals/new", walk_in_form(other, enterprise_name="个体户老王"),
                             token_from="/admin/appeals/new"))[0] == 303
    assert await Appeal.all().count() == 2


async def test_the_walk_in_form_shows_errors_next_to_the_fields(signed_in, settings):
    admin = await signed_in("admin")
    token = "t" * 32
    status, page, _ = await admin.post("/admin/appeals/new", walk_in_form(token, credit_code="91310115ABC"),
                                       token_from="/admin/appeals/new")
    assert status == 400 and re.search(r'id="error-credit_code"[^>]*>[^<]+<', page)
    status, page, _ = await admin.post("/admin/appeals/new", walk_in_form(token), token_from="/admin/appeals/new")
    assert status == 400 and re.search(r'id="error-enterprise_name"[^>]*>请填写企业的统一社会信用代码或企业名称<', page)
    status, page, _ = await admin.post("/admin/appeals/new", walk_in_form(token, enterprise_name="某公司", description="太短"),
                                       token_from="/admin/appeals/new")
    assert status == 400 and re.search(r'id="error-description"[^>]*>请把诉求描述清楚', page)
    assert f'name="form_token" value="{token}"' in page and 'value="某公司"' in page
    assert await Appeal.all().count() == 0


async def test_a_district_service_centre_forwards_for_city_coordination(signed_in, settings):
    centre = await signed_in("pudong-centre")
    _, page, _ = await centre.get("/admin/appeals/new")
    assert "转交市级协调" in page
    status, _, response = await centre.post(
        "/admin/appeals/new", walk_in_form("f" * 32, enterprise_name="浦东某制造企业", forward="1"),
        token_from="/admin/appeals/new",
    )
    assert status == 303 and response.headers["Location"] == "/admin/appeals/new"  # now the city's to dispatch
    appeal = await Appeal.get()
    assert appeal.channel is AppealChannel.forwarded
    assert appeal.owner_organisation_id == (await org("city.coordination")).id
    _, page, _ = await centre.get("/admin/appeals/new")
    assert f"已登记诉求 {appeal.number}，已转市协调办协调受理。" in page
    admin = await signed_in("admin")
    _, page, _ = await admin.get("/admin/appeals?tab=submitted")
    assert row_numbers(page) == [appeal.number] and "部门转办" in page
    status, page, _ = await admin.get(detail(appeal))
    assert status == 200 and "部门转办（浦东新区企业服务中心）" in page and "浦东某制造企业" in page
    assert "accept" in buttons(page)

    # Without the box it is the district's own walk-in intake.
    await centre.post("/admin/appeals/new", walk_in_form("g" * 32, enterprise_name="浦东某服务企业"),
                      token_from="/admin/appeals/new")
    walk_in = await Appeal.get(channel=AppealChannel.walk_in)
    assert walk_in.owner_organisation_id == (await org("district.310115")).id
    _, page, _ = await (await signed_in("pudong")).get("/admin/appeals?tab=submitted")
    assert row_numbers(page) == [walk_in.number]


# -- who may open the pages; CSRF --------------------------------------------------------------


@pytest.mark.parametrize("username", ["zhengce", "fuwu", "pinggu"])
async def test_roles_without_appeal_work_are_refused(signed_in, settings, username):
    appeal = await file_appeal(settings)
    browser = await signed_in(username)
    _, home, _ = await browser.get("/admin/")
    assert 'href="/admin/appeals"' not in home
    for path in ("/admin/appeals", detail(appeal), "/admin/appeals/new"):
        status, page, _ = await browser.get(path)
        assert status == 403 and "无权访问" in page, path
    status, _, _ = await browser.post(f"{detail(appeal)}/steps/accept", {})
    assert status == 403
    assert (await refreshed(appeal)).status is AppealStatus.submitted


async def test_a_step_without_the_csrf_token_is_refused(signed_in, settings):
    appeal = await file_appeal(settings)
    admin = await signed_in("admin")
    status, page, _ = await admin.post(f"{detail(appeal)}/steps/accept", {}, token=None)
    assert status == 403 and "表单安全校验未通过" in page
    status, page, _ = await admin.post(f"{detail(appeal)}/steps/accept", {}, token="forged")
    assert status == 403
    status, _, _ = await admin.post("/admin/appeals/new", walk_in_form("h" * 32, enterprise_name="某公司"), token=None)
    assert status == 403
    assert (await refreshed(appeal)).status is AppealStatus.submitted
    assert await Appeal.all().count() == 1


# -- dispatch help -------------------------------------------------------------------------------


async def test_the_dispatch_form_starts_with_the_routing_suggestion_and_its_reason(signed_in, settings):
    from app.appeal.models import AppealRoutingRule
    from app.appeal.routing import clear_corpus_cache

    clear_corpus_cache()
    economy = await org("city.economy-it")
    await AppealRoutingRule.create(category="technology", keywords="集成电路", organisation=economy, priority=5)
    appeal = await file_appeal(settings, description="集成电路设计企业的流片补贴申请，想了解审核进度。")
    admin = await signed_in("admin")
    assert (await step(admin, appeal, "accept"))[0] == 303

    _, page, _ = await admin.get(detail(appeal))
    form = page.split('id="step-dispatch"')[1].split("</form>")[0]
    suggestions = form.split('id="routing-suggestions-dispatch"')[1].split("</div>")[0]
    assert economy.name in suggestions and "集成电路" in suggestions  # the rule, with why
    assert f'<option value="{economy.id}" selected>' in form
    assert (await step(admin, appeal, "dispatch", {"lead_organisation_id": economy.id}))[0] == 303
    assert (await refreshed(appeal)).lead_organisation_id == economy.id


async def test_a_likely_duplicate_is_offered_and_merged(signed_in, settings):
    text = "园区用电报装申请提交两个月仍未接电，影响新生产线投产，请协调供电公司尽快接电。"
    first = await file_appeal(settings, category="utilities", title="用电报装迟迟未接电", description=text)
    second = await file_appeal(settings, category="utilities", title="用电报装还没接电",
                               description=text.replace("两个月", "六十多天"))
    unrelated = await file_appeal(settings, category="utilities", title="宽带接入",
                                  description="新办公楼宽带运营商无法接入，请协调通信管理部门。")
    admin = await signed_in("admin")

    _, page, _ = await admin.get(detail(second))
    offered = page.split('id="likely-duplicates"')[1].split("</fieldset>")[0]
    assert first.number in offered and unrelated.number not in offered and "相似度" in offered

    status, page, _ = await step(admin, second, "merge", {"note": ""})
    assert status == 400 and "请选择要并入的诉求" in page
    status, _, _ = await step(admin, second, "merge", {"into_appeal_id": first.id, "note": "同一企业同一事项"})
    assert status == 303
    second = await refreshed(second)
    assert second.status is AppealStatus.closed and second.duplicate_of_id == first.id
    _, page, _ = await admin.get(detail(second))
    assert f'<a href="/admin/appeals/{first.id}">{first.number}</a>' in page


async def test_a_photo_larger_than_the_form_limit_can_be_attached_and_an_oversized_upload_is_refused(
    signed_in, settings
):
    admin = await signed_in("admin")
    appeal = await dispatched_to_keji(admin, settings)
    keji = await signed_in("keji")
    photo = PNG + b"\x00" * (3 * 1024 * 1024)  # a phone photo: far above the 1 MiB body cap of plain forms
    status, page, _ = await post_files(keji, f"{detail(appeal)}/steps/reply", [("note", "现场照片见附件")],
                                       [("现场.png", photo, "image/png")], token_from=detail(appeal))
    assert status == 303, page
    assert (await AppealAttachment.get(appeal_id=appeal.id)).size == len(photo)

    too_big = b"%PDF-" + b"0" * (settings.upload_max_bytes * 9 + 2 * 1024 * 1024)
    status, page, _ = await post_files(admin, "/admin/appeals/new", walk_in_form("z" * 32, enterprise_name="某公司"),
                                       [("大文件.pdf", too_big, "application/pdf")], token_from="/admin/appeals/new")
    assert status == 413 and "上传内容过大" in page
    assert await Appeal.all().count() == 1
