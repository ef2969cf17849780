"""Telling people about their appeal: every step the enterprise cares about reaches the
person who filed it, in the mini-program if they granted that message there, else on the
official account; handlers hear about what was dispatched to them. End to end: the appeal
service queues, the outbox delivers, the simulated WeChat receives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from app.appeal import service
from app.identity.models import Follower, MiniProgramUser, WeChatUser
from app.messagelog.models import MessageLog
from app.notification.service import record_miniprogram_grants
from app.outbox.delivery import LEASE, claim, deliver_pending, reclaim_expired
from app.outbox.models import OutboxMessage, OutboxStatus
from tests.appeal.factories import file_appeal, make_cast, take_to
from tests.appeal.notify_support import (
    configured,
    delivered,
    link_wechat,
    phrase,
    template_id,
)

pytestmark = pytest.mark.usefixtures("db")

BASE = "https://qiyun.example.gov.cn"


async def follower_of(user) -> Follower:
    return await Follower.get(user_id=user.id)


async def enterprise_rows() -> list[OutboxMessage]:
    return await OutboxMessage.filter(topic="appeal.notify_enterprise").order_by("id")


async def test_an_accepted_appeal_reaches_the_follower_as_a_template_message(settings, resources, wechat):
    notify = configured(resources)
    cast = await make_cast()
    appeal = await file_appeal(cast, settings)
    await service.accept(appeal_id=appeal.id, staff=cast.dispatcher)

    stats = await deliver_pending(notify)

    follower = await follower_of(cast.user)
    [message] = await delivered(wechat, kind="template", openid=follower.openid)
    body = message["payload"]
    [row] = await enterprise_rows()
    assert stats.sent == 1
    assert body["template_id"] == template_id("appeal_progress")
    assert body["url"] == f"{BASE}/h5/appeals/{appeal.id}"
    assert body["client_msg_id"] == f"outbox-{row.id}"
    assert phrase(message, "character_string1") == appeal.number
    assert phrase(message, "phrase3") == "已受理"
    assert (row.status, row.result) == (OutboxStatus.sent, "sent:template:appeal_progress")
    log = await MessageLog.get(related_type="appeal", related_id=appeal.id)
    assert (log.openid, log.kind, log.status) == (follower.openid, "template", "sent")


async def test_a_mini_program_user_who_granted_the_message_gets_it_there_instead(settings, resources, wechat):
    notify = configured(resources)
    cast = await make_cast()
    account = await MiniProgramUser.create(openid="o-mp-appeal-0001", user=cast.user)
    await record_miniprogram_grants(openid=account.openid, results={template_id("appeal_accepted"): "accept"},
                                    settings=notify.settings)
    appeal = await file_appeal(cast, settings)
    await service.accept(appeal_id=appeal.id, staff=cast.dispatcher)

    await deliver_pending(notify)

    [message] = await delivered(wechat, kind="subscribe", openid=account.openid)
    assert message["payload"]["template_id"] == template_id("appeal_accepted")
    assert message["payload"]["page"] == f"pages/appeal/detail?id={appeal.id}"
    assert await delivered(wechat, kind="template") == []
    assert (await enterprise_rows())[0].result == "sent:subscribe:appeal_accepted"
    assert await MessageLog.filter(related_type="appeal", related_id=appeal.id, kind="subscribe").count() == 1


async def test_a_step_without_a_grant_in_the_mini_program_goes_to_the_official_account(settings, resources, wechat):
    notify = configured(resources)
    cast = await make_cast()
    account = await MiniProgramUser.create(openid="o-mp-appeal-0002", user=cast.user)
    await record_miniprogram_grants(openid=account.openid, results={template_id("appeal_accepted"): "accept"},
                                    settings=notify.settings)
    appeal = await take_to("dispatched", cast, settings)

    await deliver_pending(notify)

    follower = await follower_of(cast.user)
    assert [m["payload"]["template_id"] for m in await delivered(wechat, openid=account.openid)] == [
        template_id("appeal_accepted")
    ]
    [dispatched] = await delivered(wechat, kind="template", openid=follower.openid)
    assert phrase(dispatched, "phrase3") == "已分派"
    assert phrase(dispatched, "thing4") == "由上海市科学技术委员会办理"
    assert appeal.status == "dispatched"


async def test_nobody_to_reach_is_recorded_as_skipped(settings, resources, wechat):
    notify = configured(resources)
    cast = await make_cast()
    cast.user = await WeChatUser.create()  # filed on a partner's site: no follower, no mini-program account
    appeal = await file_appeal(cast, settings)
    await service.accept(appeal_id=appeal.id, staff=cast.dispatcher)

    await deliver_pending(notify)

    [row] = await enterprise_rows()
    assert (row.status, row.result) == (OutboxStatus.skipped, "skipped:no_channel")
    assert await delivered(wechat) == []


async def test_each_step_says_its_own_status_and_explanation(settings, resources, wechat):
    notify = configured(resources)
    cast = await make_cast()
    appeal = await take_to("dispatched", cast, settings)
    await service.request_info(appeal_id=appeal.id, staff=cast.keji, question="请提供高企认定受理回执的照片")
    await service.start(appeal_id=appeal.id, staff=cast.keji)
    await service.reply(appeal_id=appeal.id, staff=cast.keji, settings=settings,
                        text="经核查，认定结果将于本月底公示，请留意市科委网站。")
    other = await file_appeal(cast, settings, description="想咨询一下本区是否有针对小微企业的房租补贴。")
    await service.decline(appeal_id=other.id, staff=cast.dispatcher, reason="该事项属于区级权限，请向所在区企业服务中心咨询")

    await deliver_pending(notify)

    follower = await follower_of(cast.user)
    messages = await delivered(wechat, kind="template", openid=follower.openid)
    told: dict[str, list[tuple[str, str]]] = {}
    for m in messages:  # one appeal's notices arrive in the order of its steps
        told.setdefault(phrase(m, "character_string1"), []).append((phrase(m, "phrase3"), phrase(m, "thing4")))
    assert told == {
        appeal.number: [
            ("已受理", "已受理，正在确定承办单位"),
            ("已分派", "由上海市科学技术委员会办理"),
            ("待补充", "请补充：请提供高企认定受理回执的照片"),  # 20 characters exactly
            ("已答复", "经核查，认定结果将于本月底公示，请留意…"),  # cut to WeChat's 20
        ],
        other.number: [("未受理", "该事项属于区级权限，请向所在区企业服务…")],
    }


async def test_a_resend_after_a_crash_is_dropped_by_wechat_as_a_duplicate(settings, resources, wechat):
    notify = configured(resources)
    cast = await make_cast()
    appeal = await file_appeal(cast, settings)
    await service.accept(appeal_id=appeal.id, staff=cast.dispatcher)
    from app.appeal.notices import notify_enterprise

    now = datetime.now(UTC)
    [taken] = await claim(now=now)
    await notify_enterprise(taken, notify)  # sent; then the worker died before recording it
    await reclaim_expired(now=now + LEASE + timedelta(seconds=1))
    await deliver_pending(notify, now=now + LEASE + timedelta(seconds=1))

    follower = await follower_of(cast.user)
    assert len(await delivered(wechat, kind="template", openid=follower.openid)) == 1
    [row] = await enterprise_rows()
    assert row.status == OutboxStatus.sent and row.attempts == 2


async def test_a_quota_refusal_waits_an_hour_and_then_goes_out(settings, resources, wechat):
    notify = configured(resources)
    cast = await make_cast()
    appeal = await file_appeal(cast, settings)
    await service.accept(appeal_id=appeal.id, staff=cast.dispatcher)
    async with aiohttp.ClientSession() as http:
        fault = {"api": "/cgi-bin/message/template/send", "kind": "errcode", "errcode": 45009, "times": 1}
        async with http.post(f"{wechat.url}/_sim/faults", json=fault) as response:
            assert response.status == 200

    now = datetime.now(UTC)
    await deliver_pending(notify, now=now)
    [row] = await enterprise_rows()
    assert row.status == OutboxStatus.pending and row.available_at == now + timedelta(hours=1)
    await deliver_pending(notify, now=now + timedelta(hours=1))

    assert (await enterprise_rows())[0].status == OutboxStatus.sent
    assert len(await delivered(wechat, kind="template")) == 1


async def test_dispatching_tells_the_lead_and_co_handling_staff_who_linked_their_wechat(settings, resources, wechat):
    notify = configured(resources)
    cast = await make_cast()
    keji = await link_wechat(cast.keji)
    shuiwu = await link_wechat(cast.shuiwu)
    appeal = await take_to("accepted", cast, settings)
    await service.dispatch(appeal_id=appeal.id, staff=cast.dispatcher, settings=settings,
                           lead_organisation_id=cast.orgs["city.science-tech"].id,
                           co_organisation_ids=[cast.orgs["city.taxation"].id])

    await deliver_pending(notify)

    [lead] = await delivered(wechat, kind="template", openid=keji.openid)
    [co] = await delivered(wechat, kind="template", openid=shuiwu.openid)
    assert lead["payload"]["template_id"] == template_id("appeal_assigned")
    assert lead["payload"]["url"] == f"{BASE}/admin/appeals/{appeal.id}"
    assert (phrase(lead, "phrase3"), phrase(co, "phrase3")) == ("主办", "协办")
    fan_out = await OutboxMessage.get(topic="appeal.notify_handlers")
    assert fan_out.result == "sent:fanout:2"
    assert await OutboxMessage.filter(topic="appeal.notify_staff", status=OutboxStatus.sent).count() == 2


async def test_a_handler_notice_for_a_step_overtaken_by_another_is_not_sent(settings, resources, wechat):
    notify = configured(resources)
    cast = await make_cast()
    await link_wechat(cast.keji)
    shuiwu = await link_wechat(cast.shuiwu)
    appeal = await take_to("dispatched", cast, settings)
    await service.redispatch(appeal_id=appeal.id, staff=cast.dispatcher, settings=settings, reason="属于税务事项",
                             lead_organisation_id=cast.orgs["city.taxation"].id)

    await deliver_pending(notify)

    results = await OutboxMessage.filter(topic="appeal.notify_handlers").order_by("id").values_list("result", flat=True)
    assert results == ["skipped:superseded", "sent:fanout:1"]
    assert [phrase(m, "phrase3") for m in await delivered(wechat, kind="template", openid=shuiwu.openid)] == ["主办"]
