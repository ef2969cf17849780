"""Activities through the mini-program API, over real HTTP: the schedule, sign-up (with the
reminder grant), the waiting list, tickets, and 200 people signing up at the same moment."""

from __future__ import annotations

import asyncio
import base64
import io
import uuid

from PIL import Image

from app.activity import service
from app.activity.models import ActivityEvent, ActivitySignup, SignupStatus
from app.notification.models import SubscribeGrant
from tests.activity.factories import make_activity, make_manager
from tests.activity.qr import decode_qr_png
from tests.miniprogram_api.conftest import MiniProgram, mp, server_with  # noqa: F401  (fixtures)


async def _sign_up(mp: MiniProgram, token: str, activity_id: int, name: str, **extra) -> object:  # noqa: F811
    return await mp.call("POST", f"/mp/v1/activities/{activity_id}/signups", token=token,
                         json_body={"contact_name": name, **extra}, headers={"Idempotency-Key": uuid.uuid4().hex})


async def test_the_schedule_lists_published_activities_only(mp: MiniProgram):  # noqa: F811
    staff = await make_manager()
    published = await make_activity(staff=staff, title="知识产权诊断服务日")
    await make_activity(staff=staff, publish=False, title="还在编辑的草稿")
    token, _ = await mp.login()

    listing = await mp.call("GET", "/mp/v1/activities", token=token)
    assert listing.status == 200
    assert [item["title"] for item in listing.json["items"]] == ["知识产权诊断服务日"]
    item = listing.json["items"][0]
    assert item["places_left"] == 50 and item["signup_open"] is True and item["audience"]
    assert item["organiser"] == "市中小企业服务中心"

    detail = await mp.call("GET", f"/mp/v1/activities/{published.id}", token=token)
    assert detail.status == 200 and detail.json["my_signup"] is None


async def test_sign_up_gives_a_ticket_whose_qr_code_holds_its_code_and_records_the_grant(mp: MiniProgram, settings):  # noqa: F811
    activity = await make_activity(capacity=1)
    token, user = await mp.login()
    template_id = "tmpl-activity-reminder"
    reply = await _sign_up(mp, token, activity.id, "李四", subscribe_results={template_id: "accept", "errMsg": "ok"})
    assert reply.status == 201, reply.text
    body = reply.json
    assert body["signup"]["status"] == "confirmed" and body["message"].startswith("报名成功")
    code = body["signup"]["ticket_code"]
    assert await SubscribeGrant.filter(template_id=template_id).exists()

    again = await _sign_up(mp, token, activity.id, "李四")
    assert again.status == 200 and again.json["signup"]["id"] == body["signup"]["id"]

    ticket = await mp.call("GET", f"/mp/v1/me/activity-signups/{body['signup']['id']}/ticket", token=token)
    assert ticket.status == 200
    png = base64.b64decode(ticket.json["qr_png_base64"])
    assert Image.open(io.BytesIO(png)).format == "PNG"
    assert decode_qr_png(png) == code

    other, _ = await mp.login()
    stranger = await mp.call("GET", f"/mp/v1/me/activity-signups/{body['signup']['id']}/ticket", token=other)
    assert stranger.status == 404 and stranger.error["code"] == "signup_not_found"

    waiting = await _sign_up(mp, other, activity.id, "王五")
    assert waiting.status == 201 and waiting.json["signup"]["status"] == "waitlisted"
    assert waiting.json["signup"]["ticket_code"] is None and waiting.json["signup"]["waitlist_position"] == 1

    cancelled = await mp.call("POST", f"/mp/v1/me/activity-signups/{body['signup']['id']}/cancel", token=token,
                              headers={"Idempotency-Key": uuid.uuid4().hex})
    assert cancelled.status == 200 and cancelled.json["signup"]["status"] == "cancelled"
    mine = await mp.call("GET", "/mp/v1/me/activity-signups", token=other)
    assert mine.json["items"][0]["signup"]["status"] == "confirmed"  # moved up from the waiting list


async def test_a_closed_activity_refuses_with_the_reason(mp: MiniProgram):  # noqa: F811
    staff = await make_manager()
    activity = await make_activity(staff=staff)
    await service.transition(staff=staff, activity_id=activity.id, action="cancel", reason="讲师临时有事")
    token, _ = await mp.login()
    reply = await _sign_up(mp, token, activity.id, "赵六")
    assert reply.status == 409 and reply.error["code"] == "signup_closed" and reply.error["message"] == "该活动已取消"


async def test_200_people_at_once_for_50_places_give_50_tickets_and_a_queue_of_150(mp: MiniProgram, server_with):  # noqa: F811
    server_with(api_rate_limit_per_minute=10_000)  # 200 sign-ins from one test client's address
    activity = await make_activity(capacity=50)
    tokens = await asyncio.gather(*(mp.login() for _ in range(200)))

    replies = await asyncio.gather(*(
        _sign_up(mp, token, activity.id, f"报名人{n}") for n, (token, _) in enumerate(tokens)
    ))

    assert sorted(r.status for r in replies) == [201] * 200, {r.status for r in replies}
    statuses = [r.json["signup"]["status"] for r in replies]
    assert statuses.count("confirmed") == 50 and statuses.count("waitlisted") == 150
    rows = await ActivitySignup.filter(activity_id=activity.id)
    confirmed = [s for s in rows if s.status == SignupStatus.confirmed]
    waiting = [s for s in rows if s.status == SignupStatus.waitlisted]
    assert len(confirmed) == 50 and len({s.ticket_code for s in confirmed}) == 50
    assert sorted(s.waitlist_position for s in waiting) == list(range(1, 151))
    # Arrival order: the order the sign-ups were recorded (their events) is the queue's order.
    order = await ActivityEvent.filter(activity_id=activity.id, action="signup").order_by("id").values_list(
        "signup_id", flat=True)
    position = {s.id: s.waitlist_position for s in waiting}
    assert [position[i] for i in order if i in position] == list(range(1, 151))
    counts = await service.get_activity(activity_id=activity.id)
    assert (counts.confirmed_count, counts.waitlist_count) == (50, 150)
