"""The subscribe-grant ledger: grants recorded from the official account's events and from
the mini-program, spent one message at a time and never twice, long-term ones never used up."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

from app.messagelog.models import MessageLog
from app.notification import service as notification
from app.notification.models import GrantChannel, SubscribeGrant

from .conftest import template_id

OPENID = "oGrantUser0001"
MP_OPENID = "oMpGrantUser01"
ONE_TIME = template_id("activity_reminder")  # a one-time template
LONG_TERM = template_id("appeal_replied")  # a long-term subscription template (政务民生)
OA = GrantChannel.official_account
MP = GrantChannel.miniprogram


def popup(*items: dict[str, str]) -> dict:
    return {"SubscribeMsgPopupEvent": {"List": list(items) if len(items) > 1 else items[0]}}


async def balance(channel: GrantChannel, openid: str, template: str) -> notification.GrantBalance:
    return await notification.available_grants(channel=channel, openid=openid, template_id=template)


# -- grants from the official account's events -----------------------------------------


async def test_each_accepted_popup_adds_one_grant_and_a_settings_reject_withdraws_them_all(callback, db):
    accept = {"TemplateId": "tpl_oa_notice", "SubscribeStatusString": "accept", "PopupScene": "2"}
    await callback.event(OPENID, "subscribe_msg_popup_event", **popup(accept))
    await callback.event(OPENID, "subscribe_msg_popup_event", **popup(accept))
    assert await balance(OA, OPENID, "tpl_oa_notice") == notification.GrantBalance(remaining=2, long_term=False)
    assert (await callback.grants(OPENID)) == {"tpl_oa_notice": 2}  # the simulated WeChat agrees

    declined = {"TemplateId": "tpl_oa_notice", "SubscribeStatusString": "reject", "PopupScene": "2"}
    await callback.event(OPENID, "subscribe_msg_popup_event", **popup(declined))
    assert (await balance(OA, OPENID, "tpl_oa_notice")).remaining == 2  # a declined popup takes nothing

    turned_off = {"SubscribeMsgChangeEvent": {"List": {"TemplateId": "tpl_oa_notice", "SubscribeStatusString": "reject"}}}
    await callback.event(OPENID, "subscribe_msg_change_event", **turned_off)
    assert not (await balance(OA, OPENID, "tpl_oa_notice")).can_send
    assert (await callback.grants(OPENID)) == {"tpl_oa_notice": 0}

    logged = await MessageLog.filter(openid=OPENID, kind="event").order_by("id")
    assert len(logged) == 4 and logged[0].payload["grants"] == [accept]  # the events stay in the log


async def test_one_popup_can_grant_several_templates(callback, db):
    await callback.event(
        OPENID,
        "subscribe_msg_popup_event",
        **popup(
            {"TemplateId": "tpl_a", "SubscribeStatusString": "accept", "PopupScene": "0"},
            {"TemplateId": "tpl_b", "SubscribeStatusString": "reject", "PopupScene": "0"},
        ),
    )
    assert await notification.grant_balances(channel=OA, openid=OPENID) == {
        "tpl_a": notification.GrantBalance(remaining=1),
        "tpl_b": notification.GrantBalance(remaining=0),
    }


async def test_wechat_reporting_43101_for_a_sent_notification_empties_the_ledger(callback, db):
    accept = {"TemplateId": "tpl_oa_notice", "SubscribeStatusString": "accept", "PopupScene": "2"}
    await callback.event(OPENID, "subscribe_msg_popup_event", **popup(accept))
    report = {"TemplateId": "tpl_oa_notice", "MsgID": "1700000001", "ErrorCode": "43101", "ErrorStatus": "refuse"}
    await callback.event(OPENID, "subscribe_msg_sent_event", SubscribeMsgSentEvent={"List": report})
    assert (await balance(OA, OPENID, "tpl_oa_notice")).remaining == 0


# -- grants from the mini-program ------------------------------------------------------


async def test_the_mini_program_records_what_wx_request_subscribe_message_returned(notify_settings, db):
    results = {ONE_TIME: "accept", "tpl_other": "reject", "errMsg": "requestSubscribeMessage:ok"}
    balances = await notification.record_miniprogram_grants(openid=MP_OPENID, results=results, settings=notify_settings)
    assert balances == {ONE_TIME: notification.GrantBalance(remaining=1), "tpl_other": notification.GrantBalance()}
    assert (await balance(MP, MP_OPENID, ONE_TIME)).remaining == 1
    assert (await balance(OA, MP_OPENID, ONE_TIME)).remaining == 0  # openids are per app: channels never mix


async def test_an_unknown_decision_is_refused_and_nothing_is_recorded(notify_settings, db):
    with pytest.raises(notification.GrantError, match="unknown decision 'maybe'"):
        await notification.record_miniprogram_grants(
            openid=MP_OPENID, results={ONE_TIME: "accept", "tpl_x": "maybe"}, settings=notify_settings
        )
    assert not await SubscribeGrant.exists()


async def test_ban_withdraws_every_grant(notify_settings, db):
    for _ in range(3):
        await notification.record_miniprogram_grants(openid=MP_OPENID, results={ONE_TIME: "accept"},
                                                     settings=notify_settings)
    await notification.record_miniprogram_grants(openid=MP_OPENID, results={ONE_TIME: "ban"}, settings=notify_settings)
    assert not (await balance(MP, MP_OPENID, ONE_TIME)).can_send


# -- spending --------------------------------------------------------------------------


async def test_grants_are_spent_one_by_one(notify_settings, db):
    await notification.record_miniprogram_grants(openid=MP_OPENID, results={ONE_TIME: "accept"}, settings=notify_settings)
    await notification.record_miniprogram_grants(openid=MP_OPENID, results={ONE_TIME: "accept"}, settings=notify_settings)
    spend = dict(channel=MP, openid=MP_OPENID, template_id=ONE_TIME)
    assert (await notification.spend_grant(**spend)).long_term is False
    assert (await balance(MP, MP_OPENID, ONE_TIME)).remaining == 1
    assert await notification.spend_grant(**spend) is not None
    assert await notification.spend_grant(**spend) is None
    row = await SubscribeGrant.get(channel=MP, openid=MP_OPENID, template_id=ONE_TIME)
    assert (row.remaining, row.granted_total, row.spent_total) == (0, 2, 2) and row.last_spent_at


async def test_concurrent_spending_never_exceeds_the_grants(notify_settings, db):
    for _ in range(5):
        await notification.record_miniprogram_grants(openid=MP_OPENID, results={ONE_TIME: "accept"},
                                                     settings=notify_settings)
    claims = await asyncio.gather(
        *(notification.spend_grant(channel=MP, openid=MP_OPENID, template_id=ONE_TIME) for _ in range(20))
    )
    assert sum(claim is not None for claim in claims) == 5
    row = await SubscribeGrant.get(channel=MP, openid=MP_OPENID, template_id=ONE_TIME)
    assert (row.remaining, row.spent_total) == (0, 5)


@pytest.mark.slow
async def test_processes_spending_at_once_never_exceed_the_grants(notify_settings, db):
    for _ in range(12):
        await notification.record_miniprogram_grants(openid=MP_OPENID, results={ONE_TIME: "accept"},
                                                     settings=notify_settings)
    worker = Path(__file__).with_name("spend_worker.py")
    root = Path(__file__).resolve().parents[2]
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable, str(worker), notify_settings.effective_database_url, MP_OPENID, ONE_TIME, "8",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, cwd=root,
        )
        for _ in range(3)
    ]
    outputs = [await process.communicate() for process in processes]
    assert all(process.returncode == 0 for process in processes), [err.decode()[-2000:] for _, err in outputs]
    spent = sum(int(out.decode().strip()) for out, _ in outputs)
    assert spent == 12  # 24 attempts by three processes, each grant taken exactly once
    row = await SubscribeGrant.get(channel=MP, openid=MP_OPENID, template_id=ONE_TIME)
    assert (row.remaining, row.spent_total) == (0, 12)


async def test_a_long_term_grant_is_never_used_up_until_withdrawn(notify_settings, db):
    await notification.record_miniprogram_grants(openid=MP_OPENID, results={LONG_TERM: "accept"},
                                                 settings=notify_settings)
    assert await balance(MP, MP_OPENID, LONG_TERM) == notification.GrantBalance(remaining=0, long_term=True)
    for _ in range(10):
        claim = await notification.spend_grant(channel=MP, openid=MP_OPENID, template_id=LONG_TERM)
        assert claim is not None and claim.long_term
    assert (await balance(MP, MP_OPENID, LONG_TERM)).long_term
    await notification.record_miniprogram_grants(openid=MP_OPENID, results={LONG_TERM: "reject"},
                                                 settings=notify_settings)
    assert await notification.spend_grant(channel=MP, openid=MP_OPENID, template_id=LONG_TERM) is None


async def test_long_term_is_decided_per_channel_by_the_definition(callback, notify_settings, db):
    long_term_oa = {"TemplateId": LONG_TERM, "SubscribeStatusString": "accept", "PopupScene": "2"}
    await callback.event(OPENID, "subscribe_msg_popup_event", **popup(long_term_oa))
    # appeal_replied is a mini-program definition: the same id granted on the official account is one-time
    assert await balance(OA, OPENID, LONG_TERM) == notification.GrantBalance(remaining=1, long_term=False)
    assert await balance(MP, OPENID, LONG_TERM) == notification.GrantBalance()
