"""The activity schedule in the admin, over HTTP: publish, sign-ups with masked phones, the
waiting list, cancelling on someone's behalf, the door check-in (once, even with two
scanners at the same moment), the attendance XLSX, and the WeChat check-in QR code."""

from __future__ import annotations

import asyncio
import io
import re
from datetime import timedelta

from openpyxl import load_workbook

from app.activity import service
from app.activity.models import Activity, ActivitySignup, SignupStatus
from tests.activity.factories import make_person, sign_up
from tests.activity.qr import decode_qr_png


def _local(moment) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M")


async def test_staff_publish_and_run_an_activity_end_to_end(signed_in, accounts):
    admin = await signed_in("fuwu")
    start = service.now_local().replace(second=0, microsecond=0) + timedelta(days=2)
    status, _, response = await admin.post("/admin/activities/new", {
        "title": "专精特新企业培育专题培训", "kind": "training", "starts_at": _local(start),
        "ends_at": _local(start + timedelta(hours=3)), "place": "市中小企业服务中心二楼培训室", "capacity": "1",
        "audience": "专精特新培育库企业", "organiser_name": "市中小企业服务中心", "description": "政策解读与申报辅导",
        "signup_deadline": "", "organiser_id": "",
    })
    assert status == 303, _
    activity_id = int(response.headers["Location"].rsplit("/", 1)[-1])
    status, _, _ = await admin.post(f"/admin/activities/{activity_id}/transition", {"action": "publish"})
    assert status == 303
    activity = await Activity.get(id=activity_id)
    assert activity.status == "published"

    first, second, third = (await make_person(phone="13912345678"), await make_person(), await make_person())
    held = (await sign_up(activity, first, name="周敏")).signup
    waiting = (await sign_up(activity, second, name="吴刚")).signup
    (await sign_up(activity, third, name="郑洁")).signup

    status, page, _ = await admin.get(f"/admin/activities/{activity_id}")
    assert status == 200 and "周敏" in page and "139****5678" in page and "13912345678" not in page
    waitlist = page[page.index('id="activity-waitlist"'):]
    assert waitlist.index("吴刚") < waitlist.index("郑洁")

    status, week, _ = await admin.get(f"/admin/activities?week={start.date().isoformat()}")
    assert status == 200 and "专精特新企业培育专题培训" in week
    status, listed, _ = await admin.get("/admin/activities?view=list&status=published")
    assert status == 200 and "专精特新企业培育专题培训" in listed
    status, listed, _ = await admin.get("/admin/activities?view=list&status=draft")
    assert status == 200 and "专精特新企业培育专题培训" not in listed

    # Cancelling on someone's behalf moves the first waiting person up.
    status, _, _ = await admin.post(f"/admin/activities/signups/{held.id}/cancel", {"reason": "本人来电说明无法参加"})
    assert status == 303
    promoted = await ActivitySignup.get(id=waiting.id)
    assert promoted.status == SignupStatus.confirmed

    # The door: the promoted person's ticket, scanned twice at once, checks in once.
    token = await admin.token(f"/admin/activities/{activity_id}/checkin")
    results = await asyncio.gather(*(
        admin.post(f"/admin/activities/{activity_id}/checkin", {"code": promoted.ticket_code.lower() + "\n"},
                   token=token) for _ in range(2)
    ))
    pages = sorted(text for _, text, _ in results)
    assert sum("签到成功" in text for text in pages) == 1
    assert sum(re.search(r"已签到（\d\d:\d\d 签到）", text) is not None for text in pages) == 1
    status, text, _ = await admin.post(f"/admin/activities/{activity_id}/checkin", {"code": held.ticket_code}, token=token)
    assert status == 409 and "报名已取消" in text
    third_signup = await ActivitySignup.get(user_id=third.id)
    status, text, _ = await admin.post(f"/admin/activities/{activity_id}/checkin", {"code": third_signup.ticket_code},
                                       token=token)
    assert status == 409 and "候补" in text

    # Attendance list: names, enterprise column, status, check-in time; phones masked.
    async with admin.http.get(admin.base + f"/admin/activities/{activity_id}/attendance.xlsx") as download:
        assert download.status == 200 and "filename*=UTF-8''" in download.headers["Content-Disposition"]
        book = load_workbook(io.BytesIO(await download.read()))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[2][:6] == ("序号", "姓名", "手机号", "企业", "报名渠道", "状态")
    by_name = {row[1]: row for row in rows[3:]}
    assert by_name["吴刚"][5] == "已签到" and by_name["吴刚"][8]
    assert by_name["周敏"][2] == "139****5678" and by_name["周敏"][5] == "已取消"


async def test_the_wechat_check_in_qr_code_is_made_through_wechat_and_shown(signed_in, accounts):
    admin = await signed_in("fuwu")
    staff = accounts["fuwu"]
    from tests.activity.factories import make_activity

    activity = await make_activity(staff=staff)
    status, page, _ = await admin.get(f"/admin/activities/{activity.id}/wechat-qr")
    assert status == 200 and "有效期至" in page
    stored = await Activity.get(id=activity.id)
    assert stored.qr_ticket and stored.qr_expires_at - service.now_local() > timedelta(days=29)
    async with admin.http.get(admin.base + f"/admin/activities/{activity.id}/wechat-qr.png") as response:
        assert response.status == 200
        png = await response.read()
    assert decode_qr_png(png) == stored.qr_url


async def test_capacity_below_the_confirmed_is_refused_on_the_form(signed_in, accounts):
    admin = await signed_in("fuwu")
    from tests.activity.factories import make_activity

    activity = await make_activity(staff=accounts["fuwu"], capacity=2)
    for _ in range(2):
        await sign_up(activity, await make_person())
    data = {"title": activity.title, "kind": "briefing", "starts_at": _local(activity.starts_at.astimezone(service.SHANGHAI)),
            "ends_at": _local(activity.ends_at.astimezone(service.SHANGHAI)), "place": activity.place, "capacity": "1",
            "organiser_name": "市中小企业服务中心", "organiser_id": "", "audience": "", "signup_deadline": "",
            "description": ""}
    status, page, _ = await admin.post(f"/admin/activities/{activity.id}/edit", data)
    assert status == 400 and "已有2人报名成功，名额不能少于2" in page


async def test_only_activity_managers_see_the_schedule(signed_in, accounts):
    handler = await signed_in("keji")
    status, _, _ = await handler.get("/admin/activities")
    assert status == 403
