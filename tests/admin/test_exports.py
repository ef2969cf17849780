"""The "导出 Excel" of every admin list, over HTTP as staff use them: the file holds the rows
the list shows for the same filters and scope, phones masked unless the role may take them
out unmasked (city administrator), refused to a role that cannot see the list, and audited."""

from __future__ import annotations

import io
import re
from urllib.parse import unquote

from openpyxl import load_workbook

from app.appeal.models import Appeal
from app.audit.models import AuditLog
from app.exports import XLSX
from app.organisation.models import Organisation
from app.push.models import CampaignStatus, DeliveryReason, DeliveryStatus, PushCampaign, PushDelivery
from tests.activity.factories import make_activity, make_person, sign_up
from tests.admin.test_appeals import file_appeal, row_numbers
from tests.engagement import factories as engagement_factories
from tests.provider.factories import add_ratings, admitted_provider
from tests.push.factories import make_follower, make_policy


async def download(browser, path: str) -> tuple[int, list[tuple], dict]:
    """(status, the sheet's rows — [] unless an XLSX came back, headers)."""
    async with browser.http.get(browser.base + path, allow_redirects=False) as response:
        body = await response.read()
        headers = dict(response.headers)
        if response.status != 200 or not response.headers.get("Content-Type", "").startswith(XLSX):
            return response.status, [], headers
    return 200, list(load_workbook(io.BytesIO(body)).active.iter_rows(values_only=True)), headers


def data(rows: list[tuple], header: int = 0) -> list[dict]:
    """The rows under the header (row `header`) as dicts by column name."""
    names = rows[header]
    return [dict(zip(names, row)) for row in rows[header + 1:]]


async def last_audit(action: str) -> AuditLog:
    return await AuditLog.filter(action=action).order_by("-id").first()


# -- appeals ----------------------------------------------------------------------------------


async def test_the_appeal_queue_exports_its_tab_with_its_filters_and_scope(signed_in, accounts, settings):
    city = await file_appeal(settings, title="市级诉求", contact_phone="13812345678")
    pudong_one = await file_appeal(settings, title="浦东诉求甲", contact_phone="13900001111")
    pudong_two = await file_appeal(settings, title="浦东诉求乙", category="tax", contact_phone="13900002222")
    district = await Organisation.get(code="district.310115")
    await Appeal.filter(id__in=[pudong_one.id, pudong_two.id]).update(owner_organisation_id=district.id)

    admin = await signed_in("admin")
    _, page, _ = await admin.get("/admin/appeals?tab=submitted")
    assert 'href="/admin/appeals/export.xlsx?tab=submitted"' in page
    status, rows, headers = await download(admin, "/admin/appeals/export.xlsx?tab=submitted")
    assert status == 200 and headers["Content-Type"].startswith(XLSX)
    assert unquote(headers["Content-Disposition"].split("UTF-8''")[1]).startswith("企业诉求-待受理-")
    exported = data(rows)
    assert [r["编号"] for r in exported] == row_numbers(page) and len(exported) == 3
    assert {r["联系电话"] for r in exported} == {"13812345678", "13900001111", "13900002222"}  # city: in full
    assert (await last_audit("export.appeals")).detail == {
        "filters": {"tab": "submitted"}, "rows": 3, "truncated": False, "unmasked": True}

    # The same filters as the page.
    _, page, _ = await admin.get("/admin/appeals?tab=submitted&category=tax")
    _, rows, _ = await download(admin, "/admin/appeals/export.xlsx?tab=submitted&category=tax")
    assert [r["编号"] for r in data(rows)] == row_numbers(page) == [pudong_two.number]
    assert 'href="/admin/appeals/export.xlsx?category=tax&amp;tab=submitted"' in page

    # A district administrator: only their district's appeals, phones masked.
    pudong = await signed_in("pudong")
    _, page, _ = await pudong.get("/admin/appeals?tab=submitted")
    status, rows, _ = await download(pudong, "/admin/appeals/export.xlsx?tab=submitted")
    exported = data(rows)
    assert status == 200 and [r["编号"] for r in exported] == row_numbers(page)
    assert {r["编号"] for r in exported} == {pudong_one.number, pudong_two.number} and city.number not in str(rows)
    assert {r["联系电话"] for r in exported} == {"139****1111", "139****2222"}
    entry = await last_audit("export.appeals")
    assert entry.staff_id == accounts["pudong"].id and entry.detail["unmasked"] is False and entry.detail["rows"] == 2

    # A role that cannot see the queue cannot export it.
    status, rows, _ = await download(await signed_in("fuwu"), "/admin/appeals/export.xlsx?tab=submitted")
    assert status == 403 and rows == []


async def test_the_supervision_tab_exports_with_its_overdue_columns(signed_in, accounts, settings):
    await file_appeal(settings)
    admin = await signed_in("admin")
    status, rows, _ = await download(admin, "/admin/appeals/export.xlsx?tab=overdue")
    assert status == 200 and rows[0][-3:] == ("超期环节", "督办等级", "已发督办")
    _, page, _ = await admin.get("/admin/appeals?tab=overdue")
    assert [r["编号"] for r in data(rows)] == row_numbers(page)


# -- pushes and deliveries ----------------------------------------------------------------------


async def test_campaigns_and_one_campaigns_deliveries_export(signed_in, accounts):
    policy = await make_policy(title="研发费用补贴")
    done = await PushCampaign.create(title="十月推送", policy=policy, template_name="policy_push",
                                     status=CampaignStatus.completed, total=2)
    await PushCampaign.create(title="草稿推送", template_name="policy_push", status=CampaignStatus.draft)
    delivered, blocked = await make_follower("oDelivered"), await make_follower("oBlocked")
    await type(delivered.user).filter(id=delivered.user_id).update(phone="13711112222")
    await PushDelivery.create(campaign=done, follower=delivered, openid=delivered.openid, status=DeliveryStatus.delivered)
    await PushDelivery.create(campaign=done, follower=blocked, openid=blocked.openid, status=DeliveryStatus.failed,
                              reason=DeliveryReason.user_block.value, error="=cmd|' /C calc'!A0")

    editor = await signed_in("zhengce")
    _, page, _ = await editor.get("/admin/campaigns?status=completed")
    assert 'href="/admin/campaigns/export.xlsx?status=completed"' in page
    status, rows, _ = await download(editor, "/admin/campaigns/export.xlsx?status=completed")
    assert status == 200 and [(r["活动"], r["政策"], r["状态"]) for r in data(rows)] == [("十月推送", "研发费用补贴", "已完成")]
    _, rows, _ = await download(editor, "/admin/campaigns/export.xlsx")
    assert [r["活动"] for r in data(rows)] == ["草稿推送", "十月推送"]  # the page's order: newest first

    _, page, _ = await editor.get(f"/admin/campaigns/{done.id}")
    assert f'href="/admin/campaigns/{done.id}/deliveries.xlsx"' in page
    assert f'href="/admin/campaigns/{done.id}/deliveries.xlsx?only=failures"' in page
    status, rows, _ = await download(editor, f"/admin/campaigns/{done.id}/deliveries.xlsx")
    by_openid = {r["OpenID"]: r for r in data(rows)}
    assert status == 200 and set(by_openid) == {"oDelivered", "oBlocked"}
    assert by_openid["oDelivered"]["手机号"] == "137****2222"  # a policy editor may not unmask
    assert by_openid["oBlocked"]["错误信息"] == "=cmd|' /C calc'!A0"  # text, not a formula
    _, rows, _ = await download(editor, f"/admin/campaigns/{done.id}/deliveries.xlsx?only=failures&reason=user_block")
    assert [r["OpenID"] for r in data(rows)] == ["oBlocked"]
    entry = await last_audit("export.deliveries")
    assert entry.target_id == str(done.id) and entry.detail["filters"] == {"failures_only": True, "reason": "user_block"}

    _, rows, _ = await download(await signed_in("admin"), f"/admin/campaigns/{done.id}/deliveries.xlsx")
    assert {r["手机号"] for r in data(rows)} == {"13711112222", None}  # an empty cell reads back as None
    status, _, _ = await download(await signed_in("fuwu"), "/admin/campaigns/export.xlsx")
    assert status == 403
    status, _, _ = await download(editor, "/admin/campaigns/999999/deliveries.xlsx")
    assert status == 404


# -- providers and their ratings; engagements ----------------------------------------------------


async def test_providers_ratings_and_engagements_export(signed_in, accounts):
    provider, _ = await admitted_provider(name="上海甲知识产权代理有限公司", contact_phone="13800138000")
    await admitted_provider(name="上海乙财税咨询有限公司", category="legal")
    await add_ratings(provider, [5, 1])

    manager = await signed_in("fuwu")
    _, page, _ = await manager.get("/admin/providers?category=ip")
    assert 'href="/admin/providers/export.xlsx?category=ip"' in page
    status, rows, _ = await download(manager, "/admin/providers/export.xlsx?category=ip")
    listed = re.findall(r'<tr data-provider="(\d+)"', page)
    exported = data(rows)
    assert status == 200 and len(exported) == len(listed) == 1
    assert exported[0]["机构"] == "上海甲知识产权代理有限公司" and exported[0]["联系电话"] == "138****8000"
    assert exported[0]["统一社会信用代码"] == provider.credit_code  # a business, not a person: in full
    _, rows, _ = await download(await signed_in("admin"), "/admin/providers/export.xlsx?category=ip")
    assert data(rows)[0]["联系电话"] == "13800138000"

    _, page, _ = await manager.get(f"/admin/providers/{provider.id}")
    assert f'href="/admin/providers/{provider.id}/ratings.xlsx"' in page
    status, rows, _ = await download(manager, f"/admin/providers/{provider.id}/ratings.xlsx")
    assert status == 200 and sorted(r["总体评分"] for r in data(rows)) == [1, 5]
    assert (await last_audit("export.ratings")).target_id == str(provider.id)

    status, rows, _ = await download(manager, "/admin/engagements/export.xlsx?status=completed")
    _, page, _ = await manager.get("/admin/engagements?status=completed")
    assert 'href="/admin/engagements/export.xlsx?status=completed"' in page
    listed = [int(n) for n in re.findall(r'<tr data-engagement="(\d+)"', page)]
    assert status == 200 and [r["编号"] for r in data(rows)] == listed and len(listed) == 2
    assert sorted(r["评价（星）"] for r in data(rows)) == [1, 5]

    editor = await signed_in("zhengce")
    for path in ("/admin/providers/export.xlsx", f"/admin/providers/{provider.id}/ratings.xlsx",
                 "/admin/engagements/export.xlsx"):
        status, _, _ = await download(editor, path)
        assert status == 403, path


async def test_engagement_export_masks_the_requesters_phone(signed_in, accounts, settings):
    cast = await engagement_factories.make_cast()
    await engagement_factories.engage(cast)
    _, rows, _ = await download(await signed_in("fuwu"), "/admin/engagements/export.xlsx")
    assert [r["委托人手机号"] for r in data(rows)] == ["138****5678"]
    _, rows, _ = await download(await signed_in("admin"), "/admin/engagements/export.xlsx")
    assert [r["委托人手机号"] for r in data(rows)] == ["13812345678"]


# -- activity sign-ups ---------------------------------------------------------------------------


async def test_activity_sign_ups_export_masked_for_the_service_manager_and_full_for_the_city(signed_in, accounts):
    activity = await make_activity(staff=accounts["fuwu"])
    await sign_up(activity, await make_person(phone="13912345678"), name="周敏")
    _, page, _ = await (await signed_in("fuwu")).get(f"/admin/activities/{activity.id}")
    assert f'href="/admin/activities/{activity.id}/attendance.xlsx"' in page
    for username, phone in (("fuwu", "139****5678"), ("admin", "13912345678")):
        status, rows, _ = await download(await signed_in(username), f"/admin/activities/{activity.id}/attendance.xlsx")
        assert status == 200 and rows[0][0] == activity.title
        assert [(r["姓名"], r["手机号"]) for r in data(rows, header=2)] == [("周敏", phone)]
    entry = await last_audit("export.signups")
    assert entry.target_type == "activity" and entry.target_id == str(activity.id) and entry.detail["unmasked"]
    status, _, _ = await download(await signed_in("pudong"), f"/admin/activities/{activity.id}/attendance.xlsx")
    assert status == 403


# -- followers -----------------------------------------------------------------------------------


async def test_followers_export_with_the_search_and_masked_phones(signed_in, accounts):
    one = await make_follower("oFollowerOne", remark="张江企业")
    await type(one.user).filter(id=one.user_id).update(phone="13655556666")
    await make_follower("oFollowerTwo", remark="其他")

    manager = await signed_in("fuwu")
    _, page, _ = await manager.get("/admin/followers?q=%E5%BC%A0%E6%B1%9F")
    assert "/admin/followers/export.xlsx?q=" in page
    status, rows, _ = await download(manager, "/admin/followers/export.xlsx?q=%E5%BC%A0%E6%B1%9F")
    assert status == 200 and [(r["openid"], r["手机号"]) for r in data(rows)] == [("oFollowerOne", "136****6666")]
    assert (await last_audit("export.followers")).detail["filters"] == {"q": "张江"}
    _, rows, _ = await download(await signed_in("admin"), "/admin/followers/export.xlsx")
    assert {r["openid"]: r["手机号"] for r in data(rows)} == {"oFollowerOne": "13655556666", "oFollowerTwo": None}
    status, _, _ = await download(await signed_in("zhengce"), "/admin/followers/export.xlsx")
    assert status == 403
