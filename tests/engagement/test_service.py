"""The engagement service as a specification: the transition table, who is told what, the
automatic completion, and the rating's content check."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from app.content_check import service as content_check
from app.content_check.models import ContentCheck, ReviewDecision
from app.engagement import ratings, service
from app.engagement.jobs import engagement_auto_complete
from app.engagement.models import CommentCheck, Engagement, EngagementEvent, EngagementStatus, ProviderRating
from app.identity.models import Follower
from app.engagement.workflow import TRANSITIONS, Actor, Role, authorise
from app.outbox.delivery import deliver_pending
from app.outbox.models import OutboxMessage
from app.provider.errors import ProviderConflict, ProviderError, ProviderPermissionError
from app.staff.models import StaffRole
from tests.admin.support import make_staff, seed_organisations
from tests.appeal.notify_support import delivered
from tests.engagement.factories import configured, engage, make_cast, take_to

pytestmark = pytest.mark.usefixtures("db")

ENTERPRISE = Actor(frozenset({Role.enterprise}), "企业")
PROVIDER = Actor(frozenset({Role.provider}), "机构")


def test_the_table_says_who_may_cancel_when():
    assert authorise("cancel", status=EngagementStatus.requested, actor=ENTERPRISE, note="不需要了").target == "cancelled"
    with pytest.raises(ProviderPermissionError):
        authorise("cancel", status=EngagementStatus.requested, actor=PROVIDER, note="不接")  # decline instead
    assert authorise("cancel", status=EngagementStatus.accepted, actor=PROVIDER, note="人手不足").target == "cancelled"
    with pytest.raises(ProviderError, match="请填写取消的原因"):
        authorise("cancel", status=EngagementStatus.accepted, actor=ENTERPRISE)
    with pytest.raises(ProviderError, match="服务订单当前状态为「已完成」，不能确认完成"):
        authorise("confirm", status=EngagementStatus.completed, actor=ENTERPRISE)
    assert {t.action for t in TRANSITIONS if Role.system in t.roles} == {"auto_complete"}


async def test_each_step_is_an_event_and_the_provider_refresh_follows_completion(settings):
    cast = await make_cast()
    engagement = await take_to("completed", cast, settings)
    events = await EngagementEvent.filter(engagement_id=engagement.id).order_by("id")
    assert [(e.action, e.role, e.by) for e in events] == [
        ("request", "enterprise", cast.enterprise.name), ("accept", "provider", cast.provider.name),
        ("deliver", "provider", cast.provider.name), ("confirm", "enterprise", cast.enterprise.name),
    ]
    assert events[2].text == "申报材料已提交"
    refresh = await OutboxMessage.filter(topic="provider.refresh")
    assert [r.payload for r in refresh] == [{"provider_id": cast.provider.id}]
    row = await Engagement.get(id=engagement.id)
    assert row.open_key is None and row.completed_at is not None
    again = await engage(cast)  # closed: the product may be engaged again
    assert again.id != engagement.id


async def test_a_sent_back_delivery_returns_to_the_provider_with_the_reason(settings, resources, wechat):
    cast = await make_cast()
    engagement = await take_to("delivered", cast, settings)
    await service.reopen(engagement_id=engagement.id, user=cast.user, reason="审计报告还没有给我们")
    row = await Engagement.get(id=engagement.id)
    assert row.status == EngagementStatus.accepted and row.confirm_due_at is None
    await deliver_pending(configured(resources))
    member_openid = (await Follower.get(user_id=cast.member.id)).openid
    messages = await delivered(wechat, kind="template")
    phrases = [(m["openid"], m["payload"]["data"]["phrase3"]["value"], m["payload"]["data"]["thing4"]["value"])
               for m in messages]
    assert (member_openid, "未完成", "审计报告还没有给我们") in phrases
    assert (member_openid, "新委托", f"{cast.enterprise.name}委托，请及时处理") in phrases
    assert any(p[1] == "待确认" and p[0] != member_openid for p in phrases)  # the enterprise's


async def test_unconfirmed_deliveries_complete_once_with_two_workers(settings, resources):
    cast = await make_cast()
    engagement = await take_to("delivered", cast, settings)
    later = datetime.now(UTC) + timedelta(days=settings.engagement_confirm_days, minutes=1)
    ctx = {"resources": resources}
    results = await asyncio.gather(engagement_auto_complete(ctx, now=later), engagement_auto_complete(ctx, now=later))
    assert sorted(r["completed"] for r in results) == [0, 1]
    assert (await Engagement.get(id=engagement.id)).status == EngagementStatus.completed
    assert await EngagementEvent.filter(engagement_id=engagement.id, action="auto_complete", role="system").count() == 1
    early = await take_to("delivered", await make_cast(), settings)
    assert (await engagement_auto_complete(ctx))["completed"] == 0
    assert (await Engagement.get(id=early.id)).status == EngagementStatus.delivered


async def test_two_providers_members_accepting_at_once_make_one_step(settings):
    cast = await make_cast()
    engagement = await engage(cast)
    outcomes = await asyncio.gather(
        *(service.accept(engagement_id=engagement.id, user=cast.member) for _ in range(3)), return_exceptions=True)
    assert sum(not isinstance(o, Exception) for o in outcomes) == 1
    assert all(isinstance(o, (ProviderConflict, ProviderError)) for o in outcomes if isinstance(o, Exception))
    assert await EngagementEvent.filter(engagement_id=engagement.id, action="accept").count() == 1


async def test_a_held_comment_counts_once_a_reviewer_approves_it(settings, resources):
    cast = await make_cast()
    engagement = await take_to("completed", cast, settings)
    result = await ratings.rate(engagement_id=engagement.id, user=cast.user, overall=2,
                                comment="这是一段包含违禁词测试的评语", miniprogram=resources.miniprogram)
    assert result.held and not result.rating.counts
    assert await OutboxMessage.filter(topic="provider.refresh", dedupe_key__startswith="provider_rating:").count() == 0
    check = await ContentCheck.get(subject_type="provider_rating")
    assert check.subject_id == result.rating.id
    await seed_organisations()
    reviewer = await make_staff("fuwu", StaffRole.service_manager, "city.coordination")
    await content_check.record_review(check_id=check.id, staff=reviewer, decision=ReviewDecision.approved,
                                      note="批评意见，不违规")
    rating = await ProviderRating.get(id=result.rating.id)
    assert rating.counts and rating.comment_check == CommentCheck.approved
    assert await OutboxMessage.filter(topic="provider.refresh", dedupe_key__startswith="provider_rating:").count() == 1


async def test_the_provider_itself_cannot_engage_or_rate_itself(settings):
    from tests.identity.factories import make_enterprise

    cast = await make_cast()
    own = await make_enterprise(name="机构自己", credit_code=cast.provider.credit_code)
    from app.identity.models import EnterpriseBinding

    await EnterpriseBinding.create(user=cast.user, enterprise=own, role="contact", verified_by="test")
    with pytest.raises(ProviderError, match="不能委托本企业自己的服务机构"):
        await engage(cast, enterprise_id=own.id)
