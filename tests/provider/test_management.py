"""Admission steps and dynamic management: the transition table enforced, every step on the
timeline, warnings then suspension from the rules, staff reinstatement, complaints."""

from __future__ import annotations

import asyncio

import pytest

from app.identity.models import EnterpriseBinding, WeChatUser
from app.outbox.models import OutboxMessage
from app.provider import admission, management, queries
from app.provider.errors import ProviderConflict, ProviderError, ProviderNotFound
from app.provider.jobs import rescore_all
from app.provider.models import ProviderEvent, ProviderStatus
from tests.identity.factories import make_enterprise

from .factories import add_ratings, admitted_provider, draft, service_manager, status_of


async def test_an_application_is_reviewed_through_the_table(db):
    owner = await WeChatUser.create()
    staff = await service_manager()
    provider = await admission.apply(user=owner, draft=draft())

    with pytest.raises(ProviderError) as missing:
        await admission.review(staff=staff, provider_id=provider.id, action="request_info", reason=" ")
    assert missing.value.code == "reason_required"
    await admission.review(staff=staff, provider_id=provider.id, action="request_info", reason="请补充执业许可证")
    with pytest.raises(ProviderError) as wrong:
        await admission.review(staff=staff, provider_id=provider.id, action="admit")
    assert wrong.value.code == "wrong_state" and "待补充材料" in wrong.value.message

    await admission.resubmit(user=owner, provider_id=provider.id)
    await admission.review(staff=staff, provider_id=provider.id, action="admit")

    assert await status_of(provider) is ProviderStatus.admitted
    events = await ProviderEvent.filter(provider_id=provider.id).order_by("id").values_list("action", "reason")
    assert events == [("apply", ""), ("request_info", "请补充执业许可证"), ("resubmit", ""), ("admit", "")]
    notices = await OutboxMessage.filter(topic="provider.notify_members").count()
    assert notices == 2  # request_info and admit; the applicant's own resubmission is not news to them


async def test_one_application_per_credit_code_and_a_refused_one_is_resubmitted(db):
    owner, other = await WeChatUser.create(), await WeChatUser.create()
    staff = await service_manager()
    first = draft()
    provider = await admission.apply(user=owner, draft=first)
    await admission.review(staff=staff, provider_id=provider.id, action="refuse", reason="资质已过期")

    with pytest.raises(ProviderConflict) as again:
        await admission.apply(user=owner, draft=draft(credit_code=first.credit_code))
    assert again.value.code == "provider_exists" and "重新提交" in again.value.message
    with pytest.raises(ProviderConflict):
        await admission.apply(user=other, draft=draft(credit_code=first.credit_code.lower()))

    await admission.resubmit(user=owner, provider_id=provider.id, draft=draft(credit_code=first.credit_code,
                                                                               name="更正后的机构名称有限公司"))
    assert await status_of(provider) is ProviderStatus.applied


async def test_bad_input_names_the_field(db):
    owner = await WeChatUser.create()
    for overrides, field in [({"credit_code": "91310115ABCDEFGH12"}, "credit_code"), ({"category": "cooking"}, "category"),
                             ({"contact_phone": "12"}, "contact_phone"), ({"description": "短"}, "description")]:
        with pytest.raises(ProviderError) as refused:
            await admission.apply(user=owner, draft=draft(**overrides))
        assert refused.value.field == field


async def test_two_reviewers_at_once_make_one_decision(db):
    owner = await WeChatUser.create()
    staff = await service_manager()
    provider = await admission.apply(user=owner, draft=draft())

    results = await asyncio.gather(
        admission.review(staff=staff, provider_id=provider.id, action="admit"),
        admission.review(staff=staff, provider_id=provider.id, action="refuse", reason="不符合条件"),
        return_exceptions=True,
    )

    assert sum(isinstance(r, ProviderError) for r in results) == 1
    assert await ProviderEvent.filter(provider_id=provider.id, action__in=["admit", "refuse"]).count() == 1


async def test_falling_scores_warn_then_suspend_and_the_provider_disappears(db, settings):
    provider, _ = await admitted_provider()
    await add_ratings(provider, [4, 3, 3, 3, 3, 4, 3, 3, 3, 3, 3, 4])  # mean ≈ 3.25

    assert await management.refresh_provider(provider_id=provider.id, settings=settings) == "warn"
    assert await status_of(provider) is ProviderStatus.warned
    assert provider.id in [p.id for p in (await queries.public_list()).items]  # warned: still listed

    await add_ratings(provider, [1] * 15)
    assert await management.refresh_provider(provider_id=provider.id, settings=settings) == "suspend"
    assert await management.refresh_provider(provider_id=provider.id, settings=settings) == "updated"  # idempotent

    assert await status_of(provider) is ProviderStatus.suspended
    assert provider.id not in [p.id for p in (await queries.public_list()).items]
    with pytest.raises(ProviderNotFound):
        await queries.public_provider(provider_id=provider.id)
    warn, suspend = await ProviderEvent.filter(provider_id=provider.id, action__in=["warn", "suspend"]).order_by("id")
    assert "低于预警线 3.5" in warn.reason and "低于暂停线 3" in suspend.reason
    assert warn.by == suspend.by == "系统（动态管理规则）"


async def test_staff_reinstatement_stands_until_new_evidence(db, settings):
    provider, _ = await admitted_provider()
    await add_ratings(provider, [1] * 12)
    await management.refresh_provider(provider_id=provider.id, settings=settings)
    staff = await service_manager()

    with pytest.raises(ProviderError):
        await management.staff_step(staff=staff, provider_id=provider.id, action="reinstate", reason="")
    await management.staff_step(staff=staff, provider_id=provider.id, action="reinstate", reason="经核查评分系恶意刷评")
    assert await management.refresh_provider(provider_id=provider.id, settings=settings) == "updated"
    assert await status_of(provider) is ProviderStatus.admitted

    await add_ratings(provider, [1])
    assert await management.refresh_provider(provider_id=provider.id, settings=settings) == "suspend"


async def test_two_upheld_complaints_in_a_year_suspend(db, settings):
    provider, _ = await admitted_provider()
    staff = await service_manager()
    complaints = []
    for n in range(2):
        user = await WeChatUser.create()
        enterprise = await make_enterprise(name=f"投诉企业{n}有限公司")
        await EnterpriseBinding.create(user=user, enterprise=enterprise, role="contact", verified_by="test")
        complaints.append(await management.file_complaint(user=user, enterprise_id=enterprise.id,
                                                          provider_id=provider.id, text="收费后迟迟不提供服务，多次催促无果"))
    with pytest.raises(ProviderConflict):
        await management.file_complaint(user=user, enterprise_id=enterprise.id, provider_id=provider.id,
                                        text="再次投诉：收费后迟迟不提供服务")

    await management.decide_complaint(staff=staff, complaint_id=complaints[0].id, uphold=True, reason="经核实属实")
    assert await management.refresh_provider(provider_id=provider.id, settings=settings) == "warn"
    await management.decide_complaint(staff=staff, complaint_id=complaints[1].id, uphold=True, reason="经核实属实")
    with pytest.raises(ProviderConflict):
        await management.decide_complaint(staff=staff, complaint_id=complaints[1].id, uphold=False, reason="重复")
    assert await management.refresh_provider(provider_id=provider.id, settings=settings) == "suspend"


async def test_a_rules_warning_lifts_itself_and_the_nightly_pass_is_idempotent(db, settings):
    provider, _ = await admitted_provider()
    ratings = await add_ratings(provider, [3] * 12)
    await management.refresh_provider(provider_id=provider.id, settings=settings)
    assert await status_of(provider) is ProviderStatus.warned
    staff = await service_manager()
    for rating in ratings[:6]:
        await management.exclude_rating(staff=staff, rating_id=rating.id, reason="同一企业集中差评")
    await add_ratings(provider, [5] * 20)

    first, second = await asyncio.gather(rescore_all(settings=settings), rescore_all(settings=settings))

    assert await status_of(provider) is ProviderStatus.admitted
    assert await ProviderEvent.filter(provider_id=provider.id, action="lift_warning").count() == 1
    assert first.get("lift_warning", 0) + second.get("lift_warning", 0) == 1
