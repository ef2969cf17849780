"""Sending one rendered notification: through the right WeChat API, recorded in the message
log, a subscribe message only with a grant (refused here, not by WeChat, without one), and
WeChat's refusals returned as errcodes for the push worker to classify."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import BaseModel

import templates_msg
from app.identity.models import Follower
from app.messagelog.models import MessageChannel, MessageLog
from app.notification import service as notification
from app.notification.models import GrantChannel, SubscribeGrant
from app.wechat import WeChatClient, WeChatTransientError
from templates_msg import Channel, Field, MessageKind, TemplateError
from tests.conftest import TEST_MP_APPID, TEST_MP_SECRET

from .conftest import template_id

OPENID = "oSendFollower01"
MP_OPENID = "oSendMpUser0001"
TEMPLATE_API = "/cgi-bin/message/template/send"
SUBSCRIBE_API = "/cgi-bin/message/subscribe/send"
BIZSEND_API = "/cgi-bin/message/subscribe/bizsend"


def render(name: str, settings, **values):
    definition = templates_msg.get(name)
    return definition.render({**definition.example, **values}, settings=settings)


async def grant(settings, name: str, times: int = 1) -> None:
    for _ in range(times):
        await notification.record_miniprogram_grants(
            openid=MP_OPENID, results={template_id(name): "accept"}, settings=settings
        )


async def remaining(name: str) -> int:
    balance = await notification.available_grants(
        channel=GrantChannel.miniprogram, openid=MP_OPENID, template_id=template_id(name)
    )
    return balance.remaining


# -- template messages -----------------------------------------------------------------


async def test_a_template_message_is_sent_and_recorded_with_its_msgid(resources, notify_settings, sim):
    follower = await Follower.create(openid=OPENID)
    message = render("policy_push", notify_settings, policy_id=9, title="研发费用加计扣除政策解读与申报指引（2024年版）")
    outcome = await notification.send_rendered(
        wechat=resources.official_account, openid=OPENID, message=message, follower=follower,
        context="push_campaign:12", client_msg_id="campaign-12-follower-1",
    )
    assert outcome.ok and outcome.errcode == 0 and outcome.msgid and not outcome.refused_locally

    [sent] = await sim.messages(OPENID, kind="template")
    assert sent["template_id"] == template_id("policy_push") and sent["msgid"] == outcome.msgid
    assert sent["payload"]["data"] == message.data
    assert sent["payload"]["url"].endswith("/h5/policies/9")

    entry = await MessageLog.get(id=outcome.log_id)
    assert (entry.kind, entry.channel, entry.status, entry.errcode) == ("template", MessageChannel.official_account,
                                                                        "sent", 0)
    assert entry.wechat_msg_id == str(outcome.msgid) and entry.follower_id == follower.id
    assert (entry.related_type, entry.related_id) == ("push_campaign", 12)
    assert entry.summary.startswith("政策推送通知｜政策名称：研发费用加计扣除政策解读与申报指引…")
    assert entry.payload["template"] == "policy_push" and entry.payload["context"] == "push_campaign:12"


async def test_a_refusal_by_wechat_is_returned_not_raised_and_recorded(resources, notify_settings, sim):
    await sim.fault(TEMPLATE_API, 43004)
    outcome = await notification.send_rendered(
        wechat=resources.official_account, openid=OPENID, message=render("survey_invitation", notify_settings),
        follower=None, context="survey:3",
    )
    assert (outcome.ok, outcome.errcode, outcome.refused_locally) == (False, 43004, False)
    assert outcome.errmsg
    entry = await MessageLog.get(id=outcome.log_id)
    assert (entry.status, entry.errcode, entry.related_type, entry.related_id) == ("failed", 43004, "survey", 3)
    assert not await sim.messages(OPENID)


async def test_a_template_id_wechat_does_not_know_is_an_errcode_too(resources, notify_settings, sim):
    await sim.control("POST", "/_sim/invalid_templates", json={"template_ids": [template_id("appeal_overdue")]})
    outcome = await notification.send_rendered(
        wechat=resources.official_account, openid=OPENID, message=render("appeal_overdue", notify_settings),
        follower=None,
    )
    assert (outcome.ok, outcome.errcode) == (False, 40037)


# -- subscribe messages: the ledger decides before WeChat is asked ---------------------


async def test_without_a_grant_a_subscribe_message_is_refused_here_and_wechat_is_not_called(
    resources, notify_settings, sim
):
    outcome = await notification.send_rendered(
        wechat=resources.miniprogram, openid=MP_OPENID, message=render("activity_reminder", notify_settings),
        follower=None, context="activity:5",
    )
    assert (outcome.ok, outcome.errcode, outcome.refused_locally) == (False, 43101, True)
    assert await sim.calls(SUBSCRIBE_API) == 0
    entry = await MessageLog.get(id=outcome.log_id)
    assert (entry.kind, entry.channel, entry.status, entry.errcode) == (
        "subscribe", MessageChannel.miniprogram, "refused:no_grant", None
    )


async def test_each_grant_carries_exactly_one_message(resources, notify_settings, sim):
    await grant(notify_settings, "activity_reminder")
    message = render("activity_reminder", notify_settings, activity_id=5)
    first = await notification.send_rendered(wechat=resources.miniprogram, openid=MP_OPENID, message=message,
                                             follower=None)
    second = await notification.send_rendered(wechat=resources.miniprogram, openid=MP_OPENID, message=message,
                                              follower=None)
    assert first.ok and first.msgid and second.refused_locally
    assert await sim.calls(SUBSCRIBE_API) == 1
    [delivered] = await sim.messages(MP_OPENID, kind="subscribe")
    assert delivered["payload"]["page"] == "pages/activity/detail?id=5"
    assert delivered["payload"]["data"] == message.data
    assert await remaining("activity_reminder") == 0


async def test_a_long_term_grant_carries_every_update(resources, notify_settings, sim):
    await grant(notify_settings, "appeal_replied")
    for _ in range(3):
        outcome = await notification.send_rendered(
            wechat=resources.miniprogram, openid=MP_OPENID, message=render("appeal_replied", notify_settings),
            follower=None, context="appeal:1",
        )
        assert outcome.ok
    assert await sim.calls(SUBSCRIBE_API) == 3


async def test_when_wechat_has_no_grant_after_all_the_ledger_believes_it(resources, notify_settings, sim):
    await grant(notify_settings, "provider_engagement", times=2)
    await sim.control("POST", "/_sim/config", json={"require_grants": True})  # WeChat knows of none
    outcome = await notification.send_rendered(
        wechat=resources.miniprogram, openid=MP_OPENID, message=render("provider_engagement", notify_settings),
        follower=None,
    )
    assert (outcome.ok, outcome.errcode, outcome.refused_locally) == (False, 43101, False)
    assert await remaining("provider_engagement") == 0
    assert (await MessageLog.get(id=outcome.log_id)).status == "failed"


async def test_a_grant_wechat_did_not_use_is_given_back(resources, notify_settings, sim):
    await grant(notify_settings, "activity_reminder")
    await sim.fault(SUBSCRIBE_API, 45009)
    outcome = await notification.send_rendered(
        wechat=resources.miniprogram, openid=MP_OPENID, message=render("activity_reminder", notify_settings),
        follower=None,
    )
    assert (outcome.ok, outcome.errcode) == (False, 45009)
    assert await remaining("activity_reminder") == 1
    retry = await notification.send_rendered(
        wechat=resources.miniprogram, openid=MP_OPENID, message=render("activity_reminder", notify_settings),
        follower=None,
    )
    assert retry.ok and await remaining("activity_reminder") == 0


async def test_a_network_failure_raises_the_clients_error_and_keeps_the_grant(redis, notify_settings, wechat, sim, db):
    await grant(notify_settings, "activity_reminder")
    await sim.control("POST", "/_sim/faults", json={"api": SUBSCRIBE_API, "kind": "http", "http_status": 502})
    async with WeChatClient(appid=TEST_MP_APPID, secret=TEST_MP_SECRET, redis=redis, api_base=wechat.url,
                            max_attempts=1) as client:
        with pytest.raises(WeChatTransientError):
            await notification.send_rendered(
                wechat=client, openid=MP_OPENID, message=render("activity_reminder", notify_settings), follower=None
            )
    assert await remaining("activity_reminder") == 1
    assert not await MessageLog.exists()  # the caller retries; the attempt that gets an answer is logged


# -- official-account subscribe notifications (bizsend) --------------------------------


class _NoticeContext(BaseModel):
    title: str
    at: datetime


@pytest.fixture
def oa_subscribe_definition(notify_settings):
    definition = templates_msg.TemplateDefinition(
        name="test_oa_notice", title="办事提醒", setting="template_policy_push", kind=MessageKind.subscribe,
        channel=Channel.official_account, context=_NoticeContext,
        fields=(Field("thing1", "事项", "title"), Field("time2", "时间", "at")),
        example={"title": "样例", "at": "2024-05-01T10:00:00+08:00"}, url=lambda c: "/h5/",
    )
    templates_msg.register(definition)
    yield definition
    templates_msg.unregister(definition.name)


async def test_an_official_account_subscribe_notification_goes_by_bizsend_and_spends_its_grant(
    resources, notify_settings, sim, oa_subscribe_definition
):
    await notification.record_grants(
        channel=GrantChannel.official_account, openid=OPENID,
        decisions={template_id("policy_push"): "accept"}, settings=notify_settings,
    )
    message = oa_subscribe_definition.render(
        {"title": "您预约的政策咨询今天办理", "at": datetime(2024, 5, 1, 2, tzinfo=UTC)}, settings=notify_settings
    )
    sent = await notification.send_rendered(wechat=resources.official_account, openid=OPENID, message=message,
                                            follower=None)
    again = await notification.send_rendered(wechat=resources.official_account, openid=OPENID, message=message,
                                             follower=None)
    assert sent.ok and sent.msgid is None and again.refused_locally
    [delivered] = await sim.messages(OPENID, kind="bizsend")
    assert delivered["payload"]["page"].endswith("/h5/") and delivered["payload"]["data"]["time2"] == {
        "value": "2024年5月1日 10:00"
    }
    assert await sim.calls(BIZSEND_API) == 1
    assert [e.kind for e in await MessageLog.filter(openid=OPENID).order_by("id")] == ["bizsend", "bizsend"]


# -- mistakes by the caller ------------------------------------------------------------


async def test_a_message_sent_through_the_wrong_app_is_refused_before_anything_happens(resources, notify_settings,
                                                                                       sim):
    await grant(notify_settings, "activity_reminder")
    with pytest.raises(ValueError, match="mini-program client"):
        await notification.send_rendered(
            wechat=resources.official_account, openid=MP_OPENID,
            message=render("activity_reminder", notify_settings), follower=None,
        )
    assert await remaining("activity_reminder") == 1 and not await MessageLog.exists()


async def test_a_preview_cannot_be_sent(resources, settings, sim, db):
    preview = templates_msg.preview("policy_push", settings=settings)
    with pytest.raises(TemplateError, match="without a template id"):
        await notification.send_rendered(wechat=resources.official_account, openid=OPENID, message=preview.message,
                                         follower=None)
    assert await sim.calls(TEMPLATE_API) == 0


# -- every definition, end to end ------------------------------------------------------


async def test_every_definition_example_is_accepted_by_the_simulated_wechat(resources, notify_settings, sim):
    for definition in templates_msg.all_definitions():
        message = definition.render(definition.example, settings=notify_settings)
        if message.channel is Channel.miniprogram:
            await grant(notify_settings, definition.name)
            wechat, openid = resources.miniprogram, MP_OPENID
        else:
            wechat, openid = resources.official_account, OPENID
        outcome = await notification.send_rendered(wechat=wechat, openid=openid, message=message, follower=None)
        assert outcome.ok, (definition.name, outcome)
    assert await SubscribeGrant.filter(remaining__gt=0).count() == 0
    assert await MessageLog.filter(status="sent").count() == len(templates_msg.all_definitions())
