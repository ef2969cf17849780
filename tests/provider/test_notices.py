"""The provider's members are told about its review and standing by the `provider_status`
subscribe message, through the outbox and the simulated WeChat."""

from __future__ import annotations

import dataclasses

from app.identity.models import MiniProgramUser, WeChatUser
from app.notification.ledger import record_miniprogram_grants
from app.outbox.delivery import deliver_pending
from app.outbox.models import OutboxMessage
from app.provider import admission
from tests.appeal.notify_support import delivered

from .factories import draft, service_manager


async def test_members_with_a_grant_are_told_why(resources, wechat):
    settings = resources.settings.model_copy(update={"template_provider_status": "TPL_provider_status"})
    configured = dataclasses.replace(resources, settings=settings)
    owner, colleague = await WeChatUser.create(), await WeChatUser.create()
    await MiniProgramUser.create(user=owner, openid="mp-owner-1")
    await record_miniprogram_grants(openid="mp-owner-1", results={"TPL_provider_status": "accept"}, settings=settings)
    provider = await admission.apply(user=owner, draft=draft())
    await admission.join(user=colleague, code=provider.invite_code)

    await admission.review(staff=await service_manager(), provider_id=provider.id, action="request_info",
                           reason="请补充近三年服务合同")
    await deliver_pending(configured)

    sent = [m for m in await delivered(wechat, openid="mp-owner-1")
            if m["payload"].get("template_id") == "TPL_provider_status"]
    assert len(sent) == 1
    data = sent[0]["payload"]["data"]
    assert data["phrase2"]["value"] == "待补充材料" and data["thing3"]["value"].startswith("请补充：请补充近三年")
    results = sorted(await OutboxMessage.filter(topic="provider.notify_member").values_list("result", flat=True))
    assert results == ["sent:subscribe:provider_status", "skipped:no_grant"]  # the colleague granted nothing
