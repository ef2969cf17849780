"""The demo schedule, and the day-before reminder sent once however many workers run it."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta

from app.activity.demo import seed_demo_activities
from app.activity.jobs import queue_reminders
from app.activity.models import Activity, ActivitySignup
from app.messagelog.models import MessageLog
from app.outbox.delivery import deliver_pending
from app.outbox.models import OutboxMessage
from tests.activity.factories import make_activity, make_person, sign_up

async def test_the_demo_tells_the_story_and_is_idempotent(db):
    created = await seed_demo_activities(seed=7)
    assert created >= 6
    full = await Activity.get(title="专精特新企业培育专题培训（第一期）")
    assert full.confirmed_count == full.capacity and full.waitlist_count == 12
    before = await ActivitySignup.all().count()
    assert await seed_demo_activities(seed=7) == 0
    assert await ActivitySignup.all().count() == before

async def test_the_reminder_is_queued_once_with_two_workers_and_sent_as_a_template(resources, settings, wechat):
    soon = await make_activity(starts_at=(await _now()) + timedelta(hours=20), capacity=5)
    later = await make_activity(starts_at=(await _now()) + timedelta(days=3), capacity=5)
    person = await make_person()
    await sign_up(soon, person)
    await sign_up(later, await make_person())

    counts = await asyncio.gather(queue_reminders(hours=24), queue_reminders(hours=24))
    assert sorted(counts) == [0, 1]
    assert await queue_reminders(hours=24) == 0
    payloads = await OutboxMessage.filter(topic="activity.notify").values_list("payload", flat=True)
    assert sum(1 for p in payloads if p["notice"] == "reminder") == 1

    configured = settings.model_copy(update={"template_activity_notice": "tmpl-activity-notice"})
    await deliver_pending(dataclasses.replace(resources, settings=configured))
    sent = await MessageLog.filter(related_type="activity", related_id=soon.id, direction="outbound", status="sent")
    reminders = [row for row in sent if "tmpl-activity-notice" in str(row.payload) and "明天开始" in str(row.payload)]
    assert len(reminders) == 1
    results = await OutboxMessage.filter(topic="activity.notify").values_list("payload", "result")
    assert all(result.startswith(("sent:", "skipped:")) for _, result in results), results

async def _now():
    from app.activity.service import now_local

    return now_local()
