"""The appeal's closed loop, step by step, as the service enforces it."""

from __future__ import annotations

import asyncio

import pytest

from app.appeal import service
from app.appeal.errors import AppealConflict, AppealError, AppealNotFound, AppealPermissionError
from app.appeal.models import Appeal, AppealAssignment, AppealChannel, AppealEvent, AppealStatus, CloseReason
from app.appeal.service import AppealDraft
from app.outbox.models import OutboxMessage
from tests.appeal.factories import file_appeal, make_cast, make_enterprise_user, take_to

pytestmark = pytest.mark.usefixtures("db")


async def test_a_new_appeal_gets_a_number_an_acceptance_deadline_and_a_timeline(settings):
    cast = await make_cast()
    appeal = await file_appeal(cast, settings)
    assert appeal.number == f"SQ{appeal.created_at.astimezone(service._SHANGHAI):%Y%m%d}{appeal.id:06d}"
    assert appeal.status == AppealStatus.submitted
    assert appeal.accept_due_at > appeal.created_at
    assert appeal.owner_organisation_id == cast.orgs["city.coordination"].id
    assert appeal.title.startswith("高新技术企业认定材料")
    events = await AppealEvent.filter(appeal_id=appeal.id).values_list("action", flat=True)
    assert events == ["submit"]


async def test_the_same_submission_twice_files_one_appeal(settings):
    cast = await make_cast()
    first = await file_appeal(cast, settings, idempotency_key="chat:msg-1")
    again = await file_appeal(cast, settings, idempotency_key="chat:msg-1")
    assert again.id == first.id
    assert await Appeal.all().count() == 1


async def test_a_hotline_ticket_sent_concurrently_files_one_appeal(settings):
    cast = await make_cast()
    draft = dict(channel=AppealChannel.hotline_12345, external_id="12345-2026-0001", user=None, enterprise_id=None,
                 enterprise_name="上海某某贸易有限公司")
    results = await asyncio.gather(*(file_appeal(cast, settings, **draft) for _ in range(4)), return_exceptions=True)
    appeals = [r for r in results if isinstance(r, Appeal)]
    assert appeals and len({a.id for a in appeals}) == 1
    assert await Appeal.filter(external_id="12345-2026-0001").count() == 1


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [("category", "nonsense", "invalid_category"), ("description", "太慢", "description_too_short"),
     ("contact_phone", "12ab", "invalid_phone")],
)
async def test_bad_input_is_refused_with_a_chinese_reason_and_nothing_is_written(settings, field, value, code):
    cast = await make_cast()
    with pytest.raises(AppealError) as refused:
        await file_appeal(cast, settings, **{field: value})
    assert refused.value.code == code and refused.value.field == field
    assert any("\u4e00" <= ch <= "\u9fff" for ch in refused.value.message)
    assert await Appeal.all().count() == 0


async def test_held_content_is_filed_as_held_not_dropped(settings):
    cast = await make_cast()

    class Verdict:
        needs_review = True
        reason = "文本内容需人工复核"
        id = None
        attach = None

    async def check_text(**_):
        return Verdict()

    draft = AppealDraft(channel=AppealChannel.miniprogram, category="other", description="这是一段需要复核的诉求内容。",
                        user=cast.user)
    appeal = (await service.submit_appeal(draft=draft, settings=settings, check_text=check_text)).appeal
    assert appeal.status == AppealStatus.held and appeal.hold_reason == "文本内容需人工复核"
    with pytest.raises(AppealError, match="待内容审核"):
        await service.accept(appeal_id=appeal.id, staff=cast.dispatcher)
    released = await service.release(appeal_id=appeal.id, staff=cast.dispatcher)
    assert released.status == AppealStatus.submitted


async def test_the_full_loop_with_one_reopen(settings):
    cast = await make_cast()
    appeal = await take_to("replied", cast, settings)
    assert appeal.status == AppealStatus.replied and appeal.confirm_due_at is not None
    assert appeal.first_response_at is not None

    reopened = await service.confirm(appeal_id=appeal.id, user=cast.user, resolved=False, satisfaction="dissatisfied",
                                     comment="公示名单里没有我们公司", settings=settings)
    assert reopened.status == AppealStatus.accepted and reopened.reopen_count == 1
    assert reopened.lead_organisation_id is None
    assert not await AppealAssignment.filter(appeal_id=appeal.id, released_at__isnull=True).exists()

    await take_to("replied", cast, settings, appeal=reopened)
    closed = await service.confirm(appeal_id=appeal.id, user=cast.user, resolved=True, satisfaction="satisfied",
                                   comment="已解决", settings=settings)
    assert closed.status == AppealStatus.closed and closed.close_reason == CloseReason.resolved
    assert closed.satisfaction == "satisfied"
    actions = await AppealEvent.filter(appeal_id=appeal.id).order_by("id").values_list("action", flat=True)
    # The reopened appeal waits for re-dispatch (it stays accepted): no second acceptance.
    assert actions == ["submit", "accept", "dispatch", "start", "reply", "reopen", "dispatch", "start", "reply",
                       "confirm"]


async def test_a_second_unresolved_verdict_closes_as_unresolved(settings):
    cast = await make_cast()
    appeal = await take_to("replied", cast, settings)
    appeal = await service.confirm(appeal_id=appeal.id, user=cast.user, resolved=False, satisfaction="dissatisfied",
                                   comment="没有解决", settings=settings)
    appeal = await take_to("replied", cast, settings, appeal=appeal)
    closed = await service.confirm(appeal_id=appeal.id, user=cast.user, resolved=False,
                                   satisfaction="very_dissatisfied", settings=settings)
    assert closed.status == AppealStatus.closed and closed.close_reason == CloseReason.unresolved


async def test_illegal_steps_are_refused_with_the_reason(settings):
    cast = await make_cast()
    appeal = await file_appeal(cast, settings)
    with pytest.raises(AppealError, match="已提交.*不能分派"):
        await service.dispatch(appeal_id=appeal.id, staff=cast.dispatcher,
                               lead_organisation_id=cast.orgs["city.taxation"].id, settings=settings)
    with pytest.raises(AppealError) as no_reason:
        await service.decline(appeal_id=appeal.id, staff=cast.dispatcher, reason="  ")
    assert no_reason.value.field == "note"
    # A department handler cannot see an appeal that is not theirs at all.
    with pytest.raises(AppealNotFound):
        await service.accept(appeal_id=appeal.id, staff=cast.keji)


async def test_only_the_lead_organisation_replies(settings):
    cast = await make_cast()
    appeal = await take_to("dispatched", cast, settings)
    with pytest.raises(AppealNotFound):
        await service.reply(appeal_id=appeal.id, staff=cast.shuiwu, text="不是我们的", settings=settings)
    with pytest.raises(AppealPermissionError):
        await service.reply(appeal_id=appeal.id, staff=cast.dispatcher, text="代答复", settings=settings)


async def test_a_handler_returns_the_appeal_to_the_dispatcher(settings):
    cast = await make_cast()
    appeal = await take_to("in_progress", cast, settings)
    returned = await service.return_to_dispatcher(appeal_id=appeal.id, staff=cast.keji, reason="属于税务事项",
                                                  settings=settings)
    assert returned.status == AppealStatus.accepted and returned.flag == "returned"
    with pytest.raises(AppealNotFound):  # gone from the handler's reach
        await service.add_note(appeal_id=appeal.id, staff=cast.keji, text="补充")
    again = await service.dispatch(appeal_id=appeal.id, staff=cast.dispatcher,
                                   lead_organisation_id=cast.orgs["city.taxation"].id, settings=settings)
    assert again.status == AppealStatus.dispatched and again.flag == ""


async def test_escalation_puts_the_coordination_office_in_the_lead(settings):
    cast = await make_cast()
    appeal = await take_to("in_progress", cast, settings)
    escalated = await service.escalate(appeal_id=appeal.id, staff=cast.keji, reason="涉及多个部门", settings=settings)
    assert escalated.lead_organisation_id == cast.orgs["city.coordination"].id
    active = await AppealAssignment.filter(appeal_id=appeal.id, released_at__isnull=True).values_list(
        "organisation_id", "is_lead")
    assert sorted(active) == sorted([(cast.orgs["city.coordination"].id, True), (cast.orgs["city.science-tech"].id, False)])


async def test_two_concurrent_status_changes_make_one_transition(settings):
    cast = await make_cast()
    appeal = await file_appeal(cast, settings)
    results = await asyncio.gather(
        service.accept(appeal_id=appeal.id, staff=cast.dispatcher),
        service.decline(appeal_id=appeal.id, staff=cast.dispatcher, reason="重复提交"),
        return_exceptions=True,
    )
    assert sum(isinstance(r, Appeal) for r in results) == 1
    assert all(isinstance(r, (Appeal, AppealConflict, AppealError)) for r in results)
    status_events = await AppealEvent.filter(appeal_id=appeal.id, action__in=["accept", "decline"]).count()
    assert status_events == 1


async def test_steps_queue_their_notices_in_the_same_transaction(settings):
    cast = await make_cast()
    appeal = await take_to("dispatched", cast, settings)
    topics = await OutboxMessage.all().order_by("id").values_list("topic", "payload")
    assert [(t, p["action"]) for t, p in topics] == [
        ("appeal.notify_enterprise", "accept"),
        ("appeal.notify_enterprise", "dispatch"),
        ("appeal.notify_handlers", "dispatch"),
    ]
    assert all(p["appeal_id"] == appeal.id for _, p in topics)


async def test_someone_else_cannot_confirm_an_appeal(settings):
    cast = await make_cast()
    appeal = await take_to("replied", cast, settings)
    stranger = await make_enterprise_user()
    with pytest.raises(AppealNotFound):
        await service.confirm(appeal_id=appeal.id, user=stranger, resolved=True, satisfaction="satisfied",
                              settings=settings)


async def test_merge_links_a_duplicate_and_closes_it(settings):
    cast = await make_cast()
    first = await file_appeal(cast, settings)
    second = await file_appeal(cast, settings)
    merged = await service.merge(appeal_id=second.id, into_appeal_id=first.id, staff=cast.dispatcher,
                                 note="与前一件诉求内容相同")
    assert merged.status == AppealStatus.closed and merged.duplicate_of_id == first.id
    assert merged.close_reason == CloseReason.merged
