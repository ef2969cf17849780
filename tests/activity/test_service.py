"""The schedule and its sign-ups, as the service centre's rules say."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.activity import service
from app.activity.errors import ActivityError, ActivityNotFound
from app.activity.models import ActivityEvent, ActivitySignup, ActivityStatus, SignupStatus
from app.audit.models import AuditLog
from app.outbox.models import OutboxMessage
from tests.activity.factories import activity_input, make_activity, make_manager, make_person, sign_up

pytestmark = pytest.mark.usefixtures("db")


async def test_a_new_activity_is_a_draft_nobody_can_sign_up_for():
    staff = await make_manager()
    activity = await service.create_activity(staff=staff, data=activity_input())
    assert activity.status == ActivityStatus.draft
    with pytest.raises(ActivityNotFound):
        await sign_up(activity, await make_person())
    assert await ActivityEvent.filter(activity_id=activity.id, action="create").exists()
    assert await AuditLog.filter(action="activity.create", target_id=str(activity.id)).exists()


async def test_bad_input_is_refused_with_the_field_at_fault():
    staff = await make_manager()
    start = service.now_local() + timedelta(days=2)
    cases = {
        "ends_at": activity_input(starts_at=start, ends_at=start - timedelta(hours=1)),
        "capacity": activity_input(capacity=0),
        "organiser_id": activity_input(organiser_name=""),
        "signup_deadline": activity_input(starts_at=start, signup_deadline=start + timedelta(hours=1)),
        "title": activity_input(title="  "),
    }
    for field, data in cases.items():
        with pytest.raises(ActivityError) as refused:
            await service.create_activity(staff=staff, data=data)
        assert refused.value.field == field


async def test_lifecycle_steps_follow_the_table_and_cancel_needs_a_reason():
    staff = await make_manager()
    activity = await make_activity(staff=staff)
    with pytest.raises(ActivityError) as refused:
        await service.transition(staff=staff, activity_id=activity.id, action="publish")
    assert refused.value.code == "wrong_state"
    with pytest.raises(ActivityError) as refused:
        await service.transition(staff=staff, activity_id=activity.id, action="cancel", reason=" ")
    assert refused.value.code == "reason_required"


async def test_sign_ups_fill_the_places_then_queue_in_order():
    activity = await make_activity(capacity=2)
    people = [await make_person() for _ in range(4)]
    results = [await sign_up(activity, person) for person in people]
    assert [r.signup.status for r in results] == ["confirmed", "confirmed", "waitlisted", "waitlisted"]
    assert [r.signup.waitlist_position for r in results] == [None, None, 1, 2]
    again = await sign_up(activity, people[0])
    assert not again.created and again.signup.id == results[0].signup.id
    fresh = await ActivitySignup.get(id=results[0].signup.id)
    assert fresh.ticket_code == results[0].signup.ticket_code


async def test_cancelling_a_place_promotes_the_first_waiting_person_and_tells_them():
    activity = await make_activity(capacity=1)
    first, second, third = [await make_person() for _ in range(3)]
    held = (await sign_up(activity, first)).signup
    await sign_up(activity, second)
    await sign_up(activity, third)

    await service.cancel_signup(signup_id=held.id, user=first)

    rows = {s.user_id: s for s in await ActivitySignup.filter(activity_id=activity.id)}
    assert rows[second.id].status == SignupStatus.confirmed and rows[second.id].waitlist_position is None
    assert rows[third.id].status == SignupStatus.waitlisted and rows[third.id].waitlist_position == 1
    refreshed = await service.get_activity(activity_id=activity.id)
    assert (refreshed.confirmed_count, refreshed.waitlist_count) == (1, 1)
    notices = await OutboxMessage.filter(topic="activity.notify").values_list("payload", flat=True)
    assert {"signup_id": rows[second.id].id, "notice": "promoted"} in notices


async def test_signing_up_again_after_cancelling_goes_to_the_back_with_a_new_ticket():
    activity = await make_activity(capacity=1)
    a, b, c = [await make_person() for _ in range(3)]
    await sign_up(activity, a)
    waiting = (await sign_up(activity, b)).signup
    await sign_up(activity, c)
    await service.cancel_signup(signup_id=waiting.id, user=b)
    assert (await ActivitySignup.get(user_id=c.id)).waitlist_position == 1  # moved up
    again = (await sign_up(activity, b)).signup
    assert again.id == waiting.id and again.status == SignupStatus.waitlisted
    assert again.waitlist_position == 2 and again.ticket_code != waiting.ticket_code


async def test_capacity_cannot_drop_below_the_confirmed_and_raising_it_promotes():
    staff = await make_manager()
    activity = await make_activity(staff=staff, capacity=2)
    people = [await make_person() for _ in range(5)]
    for person in people:
        await sign_up(activity, person)
    data = activity_input(starts_at=activity.starts_at, capacity=1)
    with pytest.raises(ActivityError) as refused:
        await service.update_activity(staff=staff, activity_id=activity.id, data=data)
    assert refused.value.code == "capacity_below_confirmed" and "已有2人报名成功" in refused.value.message

    await service.update_activity(staff=staff, activity_id=activity.id,
                                  data=activity_input(starts_at=activity.starts_at, capacity=4))
    statuses = [s.status for s in await ActivitySignup.filter(activity_id=activity.id).order_by("id")]
    assert statuses == ["confirmed"] * 4 + ["waitlisted"]
    last = await ActivitySignup.get(user_id=people[4].id)
    assert last.waitlist_position == 1


async def test_sign_up_records_the_bound_enterprise_and_closes_at_the_deadline():
    start = service.now_local() + timedelta(days=2)
    activity = await make_activity(starts_at=start, signup_deadline=start - timedelta(days=1))
    person = await make_person(bound=True)
    result = await sign_up(activity, person)
    assert result.signup.enterprise_id is not None
    late = await make_person()
    with pytest.raises(ActivityError) as refused:
        await sign_up(activity, late, now=start - timedelta(hours=12))
    assert refused.value.code == "signup_closed" and refused.value.message == "报名已截止"


async def test_staff_cancelling_an_activity_tells_everyone_signed_up():
    staff = await make_manager()
    activity = await make_activity(staff=staff, capacity=1)
    for _ in range(2):
        await sign_up(activity, await make_person())
    await service.transition(staff=staff, activity_id=activity.id, action="cancel", reason="场地检修，改期另行通知")
    notices = await OutboxMessage.filter(topic="activity.notify").values_list("payload", flat=True)
    assert sum(1 for n in notices if n["notice"] == "activity_cancelled") == 2
    with pytest.raises(ActivityError):
        await sign_up(activity, await make_person())


async def test_staff_cancel_on_someones_behalf_needs_a_reason_and_promotes():
    staff = await make_manager()
    activity = await make_activity(staff=staff, capacity=1)
    held = (await sign_up(activity, await make_person())).signup
    waiting = (await sign_up(activity, await make_person())).signup
    with pytest.raises(ActivityError):
        await service.cancel_signup(signup_id=held.id, staff=staff)
    await service.cancel_signup(signup_id=held.id, staff=staff, reason="本人电话告知无法参加")
    assert (await ActivitySignup.get(id=waiting.id)).status == SignupStatus.confirmed
    assert await AuditLog.filter(action="activity.cancel_signup").exists()
