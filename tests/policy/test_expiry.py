"""Policies past their expiry date are expired by the hourly job (app/policy/service.py, app/policy/jobs.py)."""

from __future__ import annotations

from datetime import date

import pytest
from arq import create_pool
from arq.worker import Worker

from app.audit.models import AuditLog
from app.jobs.worker import worker_settings
from app.policy.models import Policy, PolicyEvent, PolicyStatus
from app.policy.service import create_policy, expire_due_policies, transition_policy
from tests.policy.factories import TODAY, policy_input, policy_people, published_policy


@pytest.fixture
async def people(db):
    return await policy_people()


async def test_only_published_policies_past_their_expiry_date_are_expired(people):
    due = await published_policy(title="昨天失效", expiry_date=date(2025, 6, 15), today=date(2025, 1, 1))
    last_day = await published_policy(title="今天是最后一天", expiry_date=TODAY, today=date(2025, 1, 1))
    open_ended = await published_policy(title="长期有效", expiry_date=None)
    draft = await create_policy(staff=people["zhengce"], data=await policy_input(title="草稿", expiry_date=date(2025, 6, 1),
                                                                                publish_date=None, effective_date=None))
    withdrawn = await published_policy(title="已撤回", expiry_date=date(2025, 6, 15), today=date(2025, 1, 1))
    await transition_policy(staff=people["zhengce"], policy_id=withdrawn.id, action="withdraw", note="调整")

    assert await expire_due_policies(today=TODAY) == 1

    statuses = {p.title: p.status for p in await Policy.all()}
    assert statuses == {
        "昨天失效": PolicyStatus.expired, "今天是最后一天": PolicyStatus.published, "长期有效": PolicyStatus.published,
        "草稿": PolicyStatus.draft, "已撤回": PolicyStatus.withdrawn,
    }
    event = await PolicyEvent.filter(policy_id=due.id).order_by("-id").first()
    assert (event.from_status, event.to_status, event.staff_id) == (PolicyStatus.published, PolicyStatus.expired, None)
    assert event.note == "失效日期（2025-06-15）已过，系统自动标记为已过期"
    entry = await AuditLog.get(action="policy.expire")
    assert (entry.username, entry.staff_id, entry.target_id) == ("system", None, str(due.id))
    assert await expire_due_policies(today=TODAY) == 0  # nothing twice
    assert last_day.id and open_ended.id and draft.id


async def test_the_worker_runs_the_expiry_job(settings, people, redis):
    await published_policy(title="已过期", expiry_date=date(2020, 12, 31), today=date(2020, 1, 1),
                           publish_date=date(2020, 1, 1), effective_date=date(2020, 1, 1))
    options = worker_settings(settings, open_database=False)
    assert "cron:expire_policies" in {job.name for job in options["cron_jobs"]}
    pool = await create_pool(options["redis_settings"])
    job = await pool.enqueue_job("expire_policies")
    worker = Worker(**{**options, "burst": True, "handle_signals": False, "poll_delay": 0.05})
    try:
        await worker.main()
    finally:
        await worker.close()
        await pool.aclose()
    assert await job.result(timeout=5) == 1
    assert (await Policy.get(title="已过期")).status == PolicyStatus.expired
