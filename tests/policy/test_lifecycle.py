"""A policy's lifecycle: who may take which step, and that every step is recorded (app/policy/lifecycle.py, service.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from app.audit.models import AuditLog
from app.policy.errors import PolicyError, PolicyNotFound, PolicyPermissionError
from app.policy.lifecycle import TRANSITIONS
from app.policy.models import Policy, PolicyAttachment, PolicyEvent, PolicyStatus
from app.policy.search import search_policies
from app.policy.service import (
    AttachmentInput,
    available_actions,
    create_policy,
    get_policy,
    get_published_policy,
    is_pushable,
    list_policies,
    policy_history,
    policy_input_of,
    review_queue,
    transition_policy,
    update_policy,
)
from app.staff.scope import SCOPE_FIELDS
from tests.policy.factories import TODAY, organisation, policy_input, policy_people


@pytest.fixture
async def people(db):
    return await policy_people()


async def steps(policy: Policy) -> list[tuple[str | None, str, str | None, str]]:
    return [
        (event.from_status and PolicyStatus(event.from_status).value, PolicyStatus(event.to_status).value,
         event.staff.username if event.staff else None, event.note)
        for event in await policy_history(policy_id=policy.id)
    ]


async def audit_actions(policy: Policy) -> list[tuple[str, str]]:
    entries = await AuditLog.filter(target_type="policy", target_id=str(policy.id)).order_by("id")
    return [(entry.action, entry.username) for entry in entries]


async def test_a_policy_goes_from_draft_to_published_by_two_people_and_every_step_is_recorded(people):
    editor, reviewer = people["zhengce"], people["zhengce2"]
    policy = await create_policy(staff=editor, data=await policy_input(publish_date=None))
    assert policy.status == PolicyStatus.draft
    assert policy.organisation_id == editor.organisation_id and policy.created_by_id == editor.id

    policy = await transition_policy(staff=editor, policy_id=policy.id, action="submit")
    assert policy.status == PolicyStatus.in_review
    assert [p.id for p in await review_queue(staff=reviewer)] == [policy.id]

    policy = await transition_policy(staff=reviewer, policy_id=policy.id, action="approve", note="内容准确", today=TODAY)
    assert policy.status == PolicyStatus.published
    assert policy.publish_date == TODAY  # none given: the day it was published here

    assert await steps(policy) == [
        (None, "draft", "zhengce", "新建"),
        ("draft", "in_review", "zhengce", ""),
        ("in_review", "published", "zhengce2", "内容准确"),
    ]
    assert await audit_actions(policy) == [
        ("policy.create", "zhengce"), ("policy.submit", "zhengce"), ("policy.approve", "zhengce2"),
    ]
    entry = await AuditLog.filter(action="policy.approve").first()
    assert entry.detail == {"title": policy.title, "from": "in_review", "to": "published", "note": "内容准确"}


async def test_the_submitter_cannot_approve_their_own_policy_unless_city_admin(people):
    editor, admin = people["zhengce"], people["admin"]
    policy = await create_policy(staff=editor, data=await policy_input())
    await transition_policy(staff=editor, policy_id=policy.id, action="submit")

    with pytest.raises(PolicyPermissionError, match="不能审核自己提交的政策"):
        await transition_policy(staff=editor, policy_id=policy.id, action="approve")
    assert (await Policy.get(id=policy.id)).status == PolicyStatus.in_review
    assert await PolicyEvent.filter(policy_id=policy.id).count() == 2

    own = await create_policy(staff=admin, data=await policy_input())
    await transition_policy(staff=admin, policy_id=own.id, action="submit")
    published = await transition_policy(staff=admin, policy_id=own.id, action="publish")  # "publish" is approve
    assert published.status == PolicyStatus.published


async def test_roles_without_policy_editing_can_do_nothing(people):
    policy = await create_policy(staff=people["zhengce"], data=await policy_input())
    for username in ("keji", "pudong", "fuwu", "pinggu"):
        with pytest.raises(PolicyPermissionError):
            await create_policy(staff=people[username], data=await policy_input())
        with pytest.raises(PolicyPermissionError, match="无权"):
            await transition_policy(staff=people[username], policy_id=policy.id, action="submit")
        with pytest.raises(PolicyPermissionError):
            await list_policies(staff=people[username])
    assert await Policy.all().count() == 1


async def test_rejecting_and_withdrawing_need_a_reason_which_is_kept(people):
    editor, reviewer = people["zhengce"], people["zhengce2"]
    policy = await create_policy(staff=editor, data=await policy_input())
    await transition_policy(staff=editor, policy_id=policy.id, action="submit")

    with pytest.raises(PolicyError, match="请填写退回原因") as refused:
        await transition_policy(staff=reviewer, policy_id=policy.id, action="reject", note="  ")
    assert refused.value.field == "note"
    policy = await transition_policy(staff=reviewer, policy_id=policy.id, action="reject", note="金额与原文不符")
    assert policy.status == PolicyStatus.draft

    await transition_policy(staff=editor, policy_id=policy.id, action="submit")
    await transition_policy(staff=reviewer, policy_id=policy.id, action="approve", today=TODAY)
    with pytest.raises(PolicyError, match="请填写撤回原因"):
        await transition_policy(staff=editor, policy_id=policy.id, action="withdraw")
    policy = await transition_policy(staff=editor, policy_id=policy.id, action="withdraw", note="资金已用完")
    assert policy.status == PolicyStatus.withdrawn
    policy = await transition_policy(staff=editor, policy_id=policy.id, action="revise")
    assert policy.status == PolicyStatus.draft

    history = await steps(policy)
    assert ("in_review", "draft", "zhengce2", "金额与原文不符") in history
    assert ("published", "withdrawn", "zhengce", "资金已用完") in history
    assert history[-1] == ("withdrawn", "draft", "zhengce", "")


async def test_only_drafts_are_edited_and_a_published_policy_must_be_withdrawn_first(people):
    editor, reviewer = people["zhengce"], people["zhengce2"]
    policy = await create_policy(staff=editor, data=await policy_input(title="原标题"))
    science = await organisation("city.science-tech")
    finance = await organisation("city.finance")

    edited = await update_policy(
        staff=editor, policy_id=policy.id,
        data=await policy_input(
            title="新标题", issuing_organisation_ids=[finance.id, science.id],
            attachments=[AttachmentInput(filename="申报指南.pdf", url="https://example.gov.cn/guide.pdf", size=1024)],
        ),
    )
    assert edited.title == "新标题"
    stored = await policy_input_of(edited)
    assert sorted(stored.issuing_organisation_ids) == sorted([finance.id, science.id])
    assert [a.filename for a in stored.attachments] == ["申报指南.pdf"]
    update_entry = await AuditLog.get(action="policy.update")
    assert {"title", "issuing_organisation_ids", "attachments"} <= set(update_entry.detail["changed"])

    await transition_policy(staff=editor, policy_id=policy.id, action="submit")
    with pytest.raises(PolicyError, match="只有草稿可以修改.*审核中"):
        await update_policy(staff=editor, policy_id=policy.id, data=await policy_input(title="审核中改"))
    await transition_policy(staff=reviewer, policy_id=policy.id, action="approve", today=TODAY)
    with pytest.raises(PolicyError, match="请先撤回") as refused:
        await update_policy(staff=editor, policy_id=policy.id, data=await policy_input(title="发布后改"))
    assert refused.value.code == "wrong_state"
    assert (await Policy.get(id=policy.id)).title == "新标题"
    assert await PolicyAttachment.filter(policy_id=policy.id).count() == 1


async def test_steps_from_the_wrong_state_are_refused_with_what_is_allowed(people):
    editor = people["zhengce"]
    policy = await create_policy(staff=editor, data=await policy_input())
    with pytest.raises(PolicyError, match="当前状态为「草稿」，不能审核通过并发布.*「审核中」") as refused:
        await transition_policy(staff=people["zhengce2"], policy_id=policy.id, action="approve")
    assert refused.value.code == "wrong_state"
    with pytest.raises(PolicyError, match="未知的政策操作「delete」"):
        await transition_policy(staff=editor, policy_id=policy.id, action="delete")
    with pytest.raises(PolicyNotFound):
        await transition_policy(staff=editor, policy_id=policy.id + 100, action="submit")


async def test_submitting_needs_an_issuer_and_content_and_publishing_a_lapsed_policy_is_refused(people):
    editor, reviewer = people["zhengce"], people["zhengce2"]
    bare = await create_policy(staff=editor, data=await policy_input(issuing_organisation_ids=[], summary="", body=""))
    with pytest.raises(PolicyError, match="提交审核前请填写：发文单位、摘要或正文"):
        await transition_policy(staff=editor, policy_id=bare.id, action="submit")

    lapsed = await create_policy(staff=editor, data=await policy_input(expiry_date=date(2025, 1, 31), publish_date=date(2024, 1, 1), effective_date=date(2024, 1, 1)))
    await transition_policy(staff=editor, policy_id=lapsed.id, action="submit")
    with pytest.raises(PolicyError, match="失效日期（2025-01-31）已过，不能发布"):
        await transition_policy(staff=reviewer, policy_id=lapsed.id, action="approve", today=TODAY)


async def test_the_system_may_only_expire(people):
    policy = await create_policy(staff=None, data=await policy_input())
    with pytest.raises(PolicyPermissionError, match="必须由工作人员操作"):
        await transition_policy(staff=None, policy_id=policy.id, action="submit")
    assert [t.action for t in TRANSITIONS.values() if t.system] == ["expire"]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"title": "  "}, "title", "标题不能为空"),
        ({"title": "长" * 201}, "title", "标题过长：201个字符，最多200个"),
        ({"effective_date": date(2028, 1, 1)}, "expiry_date", "失效日期（2027-12-31）早于生效日期（2028-01-01）"),
        ({"apply_start": date(2025, 8, 1)}, "apply_end", "申报截止日期（2025-07-31）早于申报开始日期（2025-08-01）"),
        ({"amount_min": Decimal("60")}, "amount_min", "最低金额（60.00万元）大于最高金额（50.00万元）"),
        ({"amount_max": Decimal("-1")}, "amount_max", "最高金额应为不小于 0 的数"),
        ({"issuing_organisation_ids": [999999]}, "issuing_organisation_ids", "发文单位不存在：#999999"),
        ({"attachments": [AttachmentInput(filename="a.pdf", url="javascript:alert(1)")]}, "attachments", "附件「a.pdf」的地址应以"),
    ],
)
async def test_invalid_input_is_refused_naming_the_field(people, overrides, field, message):
    with pytest.raises(PolicyError) as refused:
        await create_policy(staff=people["zhengce"], data=await policy_input(**overrides))
    assert refused.value.field == field
    assert message in refused.value.message
    assert await Policy.all().count() == 0


async def test_the_public_sees_published_and_expired_policies_only(people):
    editor, reviewer = people["zhengce"], people["zhengce2"]
    policy = await create_policy(staff=editor, data=await policy_input())
    with pytest.raises(PolicyNotFound):
        await get_published_policy(policy_id=policy.id)
    await transition_policy(staff=editor, policy_id=policy.id, action="submit")
    with pytest.raises(PolicyNotFound):
        await get_published_policy(policy_id=policy.id)
    await transition_policy(staff=reviewer, policy_id=policy.id, action="approve", today=TODAY)
    shown = await get_published_policy(policy_id=policy.id)
    assert [org.code for org in shown.issuing_organisations] == ["city.science-tech"]
    await transition_policy(staff=None, policy_id=policy.id, action="expire")
    assert (await get_published_policy(policy_id=policy.id)).status == PolicyStatus.expired


async def test_search_index_follows_the_lifecycle(people):
    editor, reviewer = people["zhengce"], people["zhengce2"]
    policy = await create_policy(staff=editor, data=await policy_input(title="集成电路设计企业流片补贴办法"))
    assert (await search_policies(query="流片", today=TODAY)).total == 0
    await transition_policy(staff=editor, policy_id=policy.id, action="submit")
    await transition_policy(staff=reviewer, policy_id=policy.id, action="approve", today=TODAY)
    assert [hit.policy.id for hit in (await search_policies(query="流片", today=TODAY)).hits] == [policy.id]
    await transition_policy(staff=editor, policy_id=policy.id, action="withdraw", note="政策调整")
    assert (await search_policies(query="流片", today=TODAY)).total == 0


async def test_is_pushable_needs_published_and_not_past_expiry(people):
    policy = await create_policy(staff=None, data=await policy_input(expiry_date=date(2025, 6, 30)))
    assert not is_pushable(policy, today=TODAY)
    policy.status = PolicyStatus.published
    assert is_pushable(policy, today=date(2025, 6, 30))  # the expiry date is the last valid day
    assert not is_pushable(policy, today=date(2025, 7, 1))  # even before the expiry job has run
    policy.expiry_date = None
    assert is_pushable(policy, today=date(2099, 1, 1))
    policy.status = PolicyStatus.expired
    assert not is_pushable(policy, today=TODAY)


async def test_the_buttons_follow_the_same_rules(people):
    editor, reviewer, admin = people["zhengce"], people["zhengce2"], people["admin"]
    policy = await create_policy(staff=editor, data=await policy_input())
    assert [t.action for t in await available_actions(staff=editor, policy=policy)] == ["submit"]
    policy = await transition_policy(staff=editor, policy_id=policy.id, action="submit")
    assert [t.action for t in await available_actions(staff=editor, policy=policy)] == ["reject"]
    assert [t.action for t in await available_actions(staff=reviewer, policy=policy)] == ["approve", "reject"]
    assert [t.action for t in await available_actions(staff=admin, policy=policy)] == ["approve", "reject"]
    assert await available_actions(staff=people["keji"], policy=policy) == []


async def test_policies_are_scoped_through_the_staff_scope_table(people):
    assert SCOPE_FIELDS["policy"] == "organisation_id"
    policy = await create_policy(staff=people["zhengce"], data=await policy_input(title="市科委政策"))
    # Policy editors are a city-wide role (app/staff/scope.py), so they see every policy.
    assert [p.id for p in await (await list_policies(staff=people["zhengce2"], keyword="市科委"))] == [policy.id]
    assert (await get_policy(staff=people["admin"], policy_id=policy.id)).id == policy.id
    science = await organisation("city.science-tech")
    assert [p.id for p in await (await list_policies(staff=people["admin"], issuer_id=science.id))] == [policy.id]
    assert await (await list_policies(staff=people["admin"], status=PolicyStatus.published)) == []
