"""The audit log: entries written with the change (or not at all), never holding credentials, read in scope."""

from __future__ import annotations

import pytest
from tortoise.transactions import in_transaction

from app.audit.models import AuditLog
from app.audit.service import REDACTED, label_of, list_entries, record, scrub
from tests.admin.support import seed_accounts


@pytest.fixture
async def people(db):
    return await seed_accounts()


def test_scrub_removes_credentials_at_any_depth():
    detail = {
        "username": "keji",
        "password": "hunter2-hunter2",
        "new_password_again": "x",
        "nested": {"csrf_token": "abc", "items": [{"Session_ID": "s"}, {"ok": 1}]},
        "secret_key": "k",
    }
    assert scrub(detail) == {
        "username": "keji",
        "password": REDACTED,
        "new_password_again": REDACTED,
        "nested": {"csrf_token": REDACTED, "items": [{"Session_ID": REDACTED}, {"ok": 1}]},
        "secret_key": REDACTED,
    }


async def test_record_copies_who_and_where(people):
    entry = await record(staff=people["pudong"], action="staff.create", target_type="staff", target_id=7,
                         detail={"password": "Secret-2024-x", "role": "department_handler"}, ip="10.0.0.8")
    stored = await AuditLog.get(id=entry.id)
    assert (stored.staff_id, stored.username, stored.organisation_id) == (
        people["pudong"].id, "pudong", people["pudong"].organisation_id)
    assert stored.target_id == "7" and stored.ip == "10.0.0.8"
    assert stored.detail == {"password": REDACTED, "role": "department_handler"}
    assert "Secret-2024-x" not in str(stored.detail)


async def test_an_entry_exists_exactly_when_the_change_does(people):
    with pytest.raises(RuntimeError):
        async with in_transaction():
            await record(staff=people["admin"], action="staff.deactivate", target_type="staff", target_id=1)
            raise RuntimeError("the change failed after the entry was written")
    assert not await AuditLog.filter(action="staff.deactivate").exists()


async def test_a_district_admin_reads_only_their_district_entries(people):
    for name in ("admin", "pudong", "pudong-centre", "xuhui", "keji"):
        await record(staff=people[name], action="auth.sign_in")
    await record(staff=None, username="ghost", action="auth.sign_in_failed")
    seen = {e.username for e in await (await list_entries(viewer=people["pudong"]))}
    assert seen == {"pudong", "pudong-centre"}
    seen = {e.username for e in await (await list_entries(viewer=people["admin"]))}
    assert seen == {"admin", "pudong", "pudong-centre", "xuhui", "keji", "ghost"}
    filtered = await (await list_entries(viewer=people["admin"], action="auth.sign_in_failed"))
    assert [e.username for e in filtered] == ["ghost"]


def test_actions_have_chinese_labels():
    assert label_of("auth.sign_in") == "登录"
    assert label_of("staff.password_reset") == "重置工作人员密码"
    assert label_of("something.new") == "something.new"


def test_every_staff_step_of_providers_directory_and_activities_has_a_chinese_label():
    from app.activity.workflow import TRANSITIONS as ACTIVITY
    from app.directory.workflow import TRANSITIONS as DIRECTORY
    from app.provider.workflow import TRANSITIONS as PROVIDER, Role

    staff_steps = [f"provider.{t.action}" for t in PROVIDER.values() if Role.staff in t.roles]
    staff_steps += [f"directory.{action}" for action in DIRECTORY]
    staff_steps += [f"activity.{t.action}" for t in (ACTIVITY.values() if isinstance(ACTIVITY, dict) else ACTIVITY)]
    staff_steps += ["engagement.cancel"]
    unlabelled = [action for action in staff_steps if label_of(action) == action]
    assert unlabelled == []
