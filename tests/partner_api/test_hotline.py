"""The 12345 hotline's API: signed tickets become appeals once, and their progress goes back."""

from __future__ import annotations

import asyncio
import hashlib
import json
import hmac
import time
from datetime import datetime, timedelta, timezone

import pytest
from pydantic import SecretStr

from app.appeal import service
from app.appeal.access import staff_appeals
from app.appeal.errors import AppealNotFound
from app.appeal.models import Appeal, AppealChannel, AppealEvent, AppealStatus, ContactPreference
from app.content_check.models import ContentCheck
from app.outbox.delivery import deliver_pending
from app.outbox.models import OutboxMessage, OutboxStatus
from tests.appeal.factories import make_cast
from tests.partner_api.conftest import HOTLINE_SECRET, HotlineClient, HotlineServer

pytestmark = pytest.mark.usefixtures("db")


def a_ticket(ticket_no: str = "12345-2024-000001", **fields) -> dict:
    return {
        "ticket_no": ticket_no,
        "category": "税务咨询",
        "title": "出口退税迟迟未到账",
        "content": "我公司三月份申报的出口退税至今未到账，多次询问税务专管员没有明确答复，请帮助协调。",
        "caller_name": "王经理",
        "caller_phone": "021-6888 1234",
        "enterprise_name": "上海示例贸易有限公司",
        "district": "浦东新区",
        "address": "浦东新区世纪大道 100 号",
        "created_at": "2024-05-06T09:30:00+08:00",
        **fields,
    }


async def test_a_signed_ticket_is_filed_once_into_the_dispatchers_queue(hotline: HotlineClient):
    cast = await make_cast()
    reply = await hotline.file(a_ticket())
    assert reply.status == 201, reply.text
    body = reply.json
    assert body["created"] is True and body["warnings"] == []
    assert body["ticket_no"] == "12345-2024-000001"
    assert (body["status"], body["status_label"], body["hotline_status"]) == ("submitted", "已提交", "pending")
    assert reply.headers["Location"] == "/partner/12345/v1/tickets/12345-2024-000001"

    appeal = await Appeal.get(number=body["appeal_number"])
    assert appeal.channel == AppealChannel.hotline_12345
    assert appeal.external_id == "12345-2024-000001"
    assert appeal.category == "tax"  # 税务咨询 -> 税费办理
    assert (appeal.contact_name, appeal.contact_phone) == ("王经理", "02168881234")
    assert appeal.contact_preference == ContactPreference.phone  # no WeChat behind a phone call
    assert appeal.district.value == "310115"
    queue = await staff_appeals(cast.dispatcher, Appeal.filter(status=AppealStatus.submitted))
    assert [a.number for a in await queue] == [body["appeal_number"]]


async def test_the_same_ticket_twice_and_concurrently_is_still_one_appeal(hotline: HotlineClient):
    await make_cast()
    first = await hotline.file(a_ticket("T-1"))
    again = await hotline.file(a_ticket("T-1", content="同一工单号的第二次推送，内容即使不同也不另立诉求。"))
    assert (first.status, again.status) == (201, 200)
    assert again.json["created"] is False
    assert again.json["appeal_number"] == first.json["appeal_number"]

    replies = await asyncio.gather(*(hotline.file(a_ticket("T-2")) for _ in range(6)))
    assert sorted(r.status for r in replies) == [200] * 5 + [201], [r.text for r in replies]
    assert len({r.json["appeal_number"] for r in replies}) == 1
    assert await Appeal.filter(channel=AppealChannel.hotline_12345).count() == 2
    # Each filed text was checked once; the losers of the race left no check without an appeal.
    appeal = await Appeal.get(number=replies[0].json["appeal_number"])
    assert await ContentCheck.filter(subject_type="appeal", subject_id=appeal.id).count() == 1
    assert await ContentCheck.filter(subject_id=0).count() == 0


async def test_unsigned_forged_stale_and_replayed_requests_are_refused(hotline: HotlineClient, redis):
    await make_cast()
    body = b'{"ticket_no": "T-9", "content": "\xe4\xbc\x81\xe4\xb8\x9a\xe8\xaf\x89\xe6\xb1\x82\xe5\x86\x85\xe5\xae\xb9\xe6\xb5\x8b\xe8\xaf\x95"}'

    forged = await hotline.send("POST", "/tickets", body, secret="not-the-shared-secret")
    assert forged.status == 401 and forged.json["error"]["code"] == "invalid_signature"
    assert forged.json["error"]["message_zh"].startswith("签名校验失败")

    stale = await hotline.send("POST", "/tickets", body, timestamp=int(time.time()) - 301)
    assert stale.status == 401 and stale.json["error"]["code"] == "stale_timestamp"
    assert "s behind server time" in stale.json["error"]["message"]
    future = await hotline.send("POST", "/tickets", body, timestamp=int(time.time()) + 400)
    assert future.json["error"]["code"] == "stale_timestamp"

    tampered = await hotline.send("POST", "/tickets", body, signature=hmac.new(
        HOTLINE_SECRET.encode(), b"other", hashlib.sha256).hexdigest())
    assert tampered.json["error"]["code"] == "invalid_signature"

    unsigned = await hotline.http.post(f"{hotline.base}/partner/12345/v1/tickets", data=body)
    assert unsigned.status == 401
    assert (await unsigned.json())["error"]["code"] == "missing_signature"

    assert await Appeal.all().count() == 0
    accepted = await hotline.send("POST", "/tickets", body, nonce="nonce-used-once-1")
    assert accepted.status == 201, accepted.text
    replayed = await hotline.send("POST", "/tickets", body, nonce="nonce-used-once-1")
    assert replayed.status == 401 and replayed.json["error"]["code"] == "replayed_nonce"
    ttl = await redis.ttl("qiyun:hotline:nonce:nonce-used-once-1")
    assert 590 <= ttl <= 600  # remembered as long as a timestamp can stay acceptable (2 x skew)
    # A forged request did not burn its nonce: the hotline's genuine retry still goes through.
    forged_nonce = await hotline.send("GET", "/tickets/T-9", nonce="nonce-of-a-forgery", secret="wrong")
    assert forged_nonce.status == 401
    genuine = await hotline.send("GET", "/tickets/T-9", nonce="nonce-of-a-forgery")
    assert genuine.status == 200, genuine.text


async def test_without_a_configured_secret_the_api_is_unavailable(hotline: HotlineClient, partner):
    partner(hotline_secret=SecretStr(""))
    reply = await hotline.file(a_ticket())
    assert reply.status == 503
    assert reply.json["error"] == {"code": "not_configured", "message": "hotline integration not configured",
                                   "message_zh": "12345热线对接未配置"}


async def test_invalid_tickets_are_refused_listing_every_field(hotline: HotlineClient):
    await make_cast()
    reply = await hotline.file({"ticket_no": "", "content": 12, "latitude": 200,
                                "attachments": ["ftp://example.com/a.jpg"], "created_at": "2024-05-06 09:30"})
    assert reply.status == 422
    fields = {f["field"]: f["code"] for f in reply.json["error"]["fields"]}
    assert fields == {"ticket_no": "required", "content": "not_a_string", "latitude": "invalid_number",
                      "attachments[0]": "invalid_url", "created_at": "invalid_datetime"}
    both = await hotline.file(a_ticket("x" * 65, content="太慢"))
    assert {f["field"]: f["code"] for f in both.json["error"]["fields"]} == {"ticket_no": "too_long",
                                                                             "content": "too_short"}

    short = await hotline.file(a_ticket(content="太慢"))
    assert short.status == 422
    assert short.json["error"]["fields"][0]["field"] == "content"
    assert short.json["error"]["fields"][0]["message_zh"].startswith("请把诉求描述清楚")

    not_json = await hotline.send("POST", "/tickets", b"ticket_no=1")
    assert not_json.status == 400 and not_json.json["error"]["code"] == "invalid_json"
    assert await Appeal.all().count() == 0


async def test_values_misheard_on_the_phone_are_filed_with_warnings(hotline: HotlineClient):
    await make_cast()
    reply = await hotline.file(a_ticket(category="噪音扰民", district="火星区", credit_code="91310000ABCDEFGH12"))
    assert reply.status == 201, reply.text
    warned = {w["field"]: w["code"] for w in reply.json["warnings"]}
    assert warned == {"category": "unknown_category", "district": "unknown_district",
                      "credit_code": "invalid_credit_code"}
    appeal = await Appeal.get(number=reply.json["appeal_number"])
    assert (appeal.category, appeal.district, appeal.enterprise_id) == ("other", None, None)


async def test_risky_text_is_held_for_review_not_refused(hotline: HotlineClient):
    await make_cast()
    reply = await hotline.file(a_ticket("T-held", content="来电反映的内容包含违禁词测试，需要人工审核后再受理。"))
    assert reply.status == 201, reply.text
    assert reply.json["status"] == "held"
    appeal = await Appeal.get(number=reply.json["appeal_number"])
    check = await ContentCheck.get(subject_type="appeal", subject_id=appeal.id)
    assert check.status.value == "risky" and check.detail["version"] == 1  # no openid: v1


async def test_the_status_query_shows_the_public_timeline(hotline: HotlineClient, settings):
    cast = await make_cast()
    filed = await hotline.file(a_ticket("T-status", category="technology"))
    appeal = await Appeal.get(number=filed.json["appeal_number"])
    await service.accept(appeal_id=appeal.id, staff=cast.dispatcher, note="已受理 将转市科委办理")
    await service.add_note(appeal_id=appeal.id, staff=cast.dispatcher, text="内部备注：企业此前也来过电话")
    await service.dispatch(appeal_id=appeal.id, staff=cast.dispatcher,
                           lead_organisation_id=cast.orgs["city.science-tech"].id, settings=settings)
    await service.start(appeal_id=appeal.id, staff=cast.keji)
    await service.reply(appeal_id=appeal.id, staff=cast.keji, settings=settings, text="退税已于今日办理完毕。")

    reply = await hotline.status("T-status")
    assert reply.status == 200, reply.text
    body = reply.json
    assert (body["status"], body["hotline_status"], body["hotline_status_label"]) == ("replied", "replied", "已答复")
    assert body["lead_organisation"] == cast.orgs["city.science-tech"].name
    assert body["reply"]["text"] == "退税已于今日办理完毕。"
    assert [e["action"] for e in body["timeline"]] == ["submit", "accept", "dispatch", "start", "reply"]
    assert body["timeline"][1]["text"] == "已受理 将转市科委办理"
    assert "内部备注" not in reply.text
    assert body["satisfaction"] is None

    missing = await hotline.status("no-such-ticket")
    assert missing.status == 404 and missing.json["error"]["code"] == "ticket_not_found"


async def test_status_changes_are_posted_back_signed(hotline: HotlineClient, partner, hotline_server: HotlineServer):
    resources = partner(hotline_callback_url=hotline_server.url)
    cast = await make_cast()
    filed = await hotline.file(a_ticket("T-sync"))
    appeal = await Appeal.get(number=filed.json["appeal_number"])
    await service.accept(appeal_id=appeal.id, staff=cast.dispatcher, note="已受理")

    stats = await deliver_pending(resources)
    assert stats.sent == 1, (stats, await OutboxMessage.all().values("status", "available_at", "attempts", "result"))
    [notice] = hotline_server.received
    headers = {k.lower(): v for k, v in notice.headers.items()}
    digest = hashlib.sha256(notice.body).hexdigest()
    expected = hmac.new(HOTLINE_SECRET.encode(),
                        f"{headers['x-qiyun-timestamp']}\n{headers['x-qiyun-nonce']}\n{digest}".encode(),
                        hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["x-qiyun-signature"], expected)
    assert abs(int(headers["x-qiyun-timestamp"]) - time.time()) < 60
    body = notice.json
    assert (body["ticket_no"], body["appeal_number"]) == ("T-sync", appeal.number)
    assert (body["status"], body["status_label"], body["hotline_status"]) == ("accepted", "已受理", "accepted")
    assert body["event"]["action"] == "accept" and body["event"]["text"] == "已受理"
    assert body["satisfaction"] is None
    row = await OutboxMessage.get(topic="appeal.hotline_sync")
    assert (row.status, row.result) == (OutboxStatus.sent, "sent:200")


async def test_a_hotline_that_is_down_gets_the_notice_later(hotline: HotlineClient, partner,
                                                            hotline_server: HotlineServer):
    resources = partner(hotline_callback_url=hotline_server.url)
    cast = await make_cast()
    filed = await hotline.file(a_ticket("T-down"))
    appeal = await Appeal.get(number=filed.json["appeal_number"])
    await service.decline(appeal_id=appeal.id, staff=cast.dispatcher, reason="不属于企业诉求受理范围")

    hotline_server.status = 503
    stats = await deliver_pending(resources)
    assert (stats.sent, stats.retried) == (0, 1)
    row = await OutboxMessage.get(topic="appeal.hotline_sync")
    assert row.status == OutboxStatus.pending and row.attempts == 1
    assert row.result.startswith("retry:hotline answered HTTP 503")
    assert row.available_at > datetime.now(timezone.utc)

    hotline_server.status = 200
    assert (await deliver_pending(resources)).claimed == 0  # not before its back-off
    later = datetime.now(timezone.utc) + timedelta(minutes=1)
    assert (await deliver_pending(resources, now=later)).sent == 1
    assert [r.json["status"] for r in hotline_server.received] == ["declined", "declined"]
    assert hotline_server.received[-1].json["decline_reason"] == "不属于企业诉求受理范围"


async def test_an_unreachable_hotline_is_retried_and_an_unconfigured_one_skipped(hotline: HotlineClient, partner):
    from tests.conftest import free_port

    resources = partner(hotline_callback_url=f"http://127.0.0.1:{free_port()}/closed")
    cast = await make_cast()
    filed = await hotline.file(a_ticket("T-net"))
    await service.accept(appeal_id=(await Appeal.get(number=filed.json["appeal_number"])).id, staff=cast.dispatcher)
    assert (await deliver_pending(resources)).retried == 1
    assert (await OutboxMessage.get(topic="appeal.hotline_sync")).result.startswith("retry:hotline unreachable")

    resources = partner(hotline_callback_url="")
    later = datetime.now(timezone.utc) + timedelta(minutes=1)
    assert (await deliver_pending(resources, now=later)).skipped == 1
    row = await OutboxMessage.get(topic="appeal.hotline_sync")
    assert (row.status, row.result) == (OutboxStatus.skipped, "skipped:not_configured")


async def test_attachments_are_kept_as_links_and_unknown_paths_answer_in_the_api_format(hotline: HotlineClient):
    await make_cast()
    reply = await hotline.file(a_ticket("T-files", attachments=[
        "https://12345.example.gov.cn/files/%E7%8E%B0%E5%9C%BA.jpg", {"url": "https://12345.example.gov.cn/f/2", "name": "录音.mp3"}]))
    assert reply.status == 201, reply.text
    appeal = await Appeal.get(number=reply.json["appeal_number"]).prefetch_related("attachments")
    assert sorted((a.filename, a.storage_key) for a in appeal.attachments) == [
        ("录音.mp3", "url:https://12345.example.gov.cn/f/2"),
        ("现场.jpg", "url:https://12345.example.gov.cn/files/%E7%8E%B0%E5%9C%BA.jpg"),
    ]
    unknown = await hotline.send("GET", "/calls")
    assert unknown.status == 404 and unknown.json["error"]["code"] == "not_found"
    wrong_method = await hotline.send("DELETE", "/tickets")
    assert wrong_method.status == 405 and wrong_method.json["error"]["code"] == "method_not_allowed"
    assert wrong_method.headers["Allow"] == "POST"


async def test_the_hotlines_follow_up_call_confirms_or_reopens_the_appeal(hotline: HotlineClient, settings):
    cast = await make_cast()
    filed = await hotline.file(a_ticket("T-follow-up", category="technology"))
    appeal = await Appeal.get(number=filed.json["appeal_number"])

    async def answered() -> None:
        await service.accept(appeal_id=appeal.id, staff=cast.dispatcher)
        await service.dispatch(appeal_id=appeal.id, staff=cast.dispatcher,
                               lead_organisation_id=cast.orgs["city.science-tech"].id, settings=settings)
        await service.reply(appeal_id=appeal.id, staff=cast.keji, settings=settings, text="已协调办理。")

    def feedback(**body) -> bytes:
        return json.dumps(body, ensure_ascii=False).encode()

    too_early = await hotline.send("POST", "/tickets/T-follow-up/feedback",
                                   feedback(resolved=True, satisfaction="满意"))
    assert too_early.status == 400 and too_early.json["error"]["code"] == "wrong_state"

    await answered()
    bad = await hotline.send("POST", "/tickets/T-follow-up/feedback", feedback(resolved="maybe", satisfaction="满意"))
    assert bad.status == 400 and bad.json["error"]["code"] == "invalid_resolved"

    reopened = await hotline.send("POST", "/tickets/T-follow-up/feedback",
                                  feedback(resolved=False, satisfaction="不满意", comment="企业称退税仍未到账"))
    assert reopened.status == 200, reopened.text
    assert reopened.json["status"] == "accepted"
    assert (await Appeal.get(id=appeal.id)).reopen_count == 1

    await service.dispatch(appeal_id=appeal.id, staff=cast.dispatcher,
                           lead_organisation_id=cast.orgs["city.science-tech"].id, settings=settings)
    await service.reply(appeal_id=appeal.id, staff=cast.keji, settings=settings, text="已再次协调，款项已到账。")
    closed = await hotline.send("POST", "/tickets/T-follow-up/feedback",
                                feedback(resolved=True, satisfaction="very_satisfied"))
    assert closed.status == 200 and closed.json["status"] == "closed"
    stored = await Appeal.get(id=appeal.id)
    assert stored.satisfaction == "very_satisfied" and stored.close_reason == "resolved"
    who = await AppealEvent.filter(appeal_id=appeal.id, action="confirm").values_list("payload", flat=True)
    assert who[0]["by"] == "12345热线回访"


async def test_only_hotline_tickets_take_a_follow_up(settings):
    cast = await make_cast()
    from tests.appeal.factories import take_to

    appeal = await take_to("replied", cast, settings)  # filed in the mini-program
    with pytest.raises(AppealNotFound):
        await service.confirm(appeal_id=appeal.id, user=None, resolved=True, satisfaction="satisfied",
                              settings=settings, hotline_follow_up=True)
