"""Sign-in rules as a service: lock-out, probing, inactive accounts, password changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.audit.models import AuditLog
from app.staff.auth import (
    INACTIVE,
    LOCK_DURATION,
    LOCKED,
    MAX_FAILURES,
    WRONG_CREDENTIALS,
    SignInError,
    change_password,
    sign_in,
)
from app.staff.models import Staff, StaffRole
from app.staff.service import StaffError, verify_password
from tests.admin.support import PASSWORD, make_staff, seed_organisations


@pytest.fixture
async def keji(db):
    await seed_organisations()
    return await make_staff("keji", StaffRole.department_handler, "city.science-tech")


async def refused(**kwargs) -> SignInError:
    with pytest.raises(SignInError) as caught:
        await sign_in(**kwargs)
    return caught.value


async def test_right_password_signs_in_and_resets_the_count(keji, redis):
    await Staff.filter(id=keji.id).update(failed_logins=3)
    staff = await sign_in(username=" KEJI ", password=PASSWORD, redis=redis, ip="10.1.2.3")
    assert staff.id == keji.id
    stored = await Staff.get(id=keji.id)
    assert stored.failed_logins == 0 and stored.last_login_at is not None
    entry = await AuditLog.get(action="auth.sign_in")
    assert entry.staff_id == keji.id and entry.ip == "10.1.2.3"


async def test_the_fifth_failure_locks_for_fifteen_minutes(keji, redis):
    now = datetime(2024, 5, 6, 9, 0, tzinfo=UTC)
    for attempt in range(1, MAX_FAILURES):
        error = await refused(username="keji", password="nope-nope-1", redis=redis, now=now)
        assert error.message == WRONG_CREDENTIALS
        assert (await Staff.get(id=keji.id)).failed_logins == attempt
    assert (await refused(username="keji", password="nope-nope-1", redis=redis, now=now)).message == LOCKED
    assert (await Staff.get(id=keji.id)).locked_until == now + LOCK_DURATION
    later = now + LOCK_DURATION - timedelta(seconds=1)
    assert (await refused(username="keji", password=PASSWORD, redis=redis, now=later)).message == LOCKED
    assert (await sign_in(username="keji", password=PASSWORD, redis=redis, now=now + LOCK_DURATION)).id == keji.id


async def test_unknown_usernames_answer_like_known_ones(keji, redis):
    known = [(await refused(username="keji", password=f"bad-{i}-guess", redis=redis)).message for i in range(6)]
    unknown = [(await refused(username="nobody", password=f"bad-{i}-guess", redis=redis)).message for i in range(6)]
    assert known == unknown == [WRONG_CREDENTIALS] * (MAX_FAILURES - 1) + [LOCKED, LOCKED]


async def test_a_password_typed_into_the_username_field_is_not_logged(keji, redis):
    await refused(username="My Secret P@ss 2024", password="", redis=redis)
    entry = await AuditLog.get(action="auth.sign_in_failed")
    assert entry.username == "(无效用户名)"


async def test_only_the_right_password_learns_the_account_is_inactive(keji, redis):
    await Staff.filter(id=keji.id).update(is_active=False)
    assert (await refused(username="keji", password="wrong-pass-1", redis=redis)).message == WRONG_CREDENTIALS
    assert (await refused(username="keji", password=PASSWORD, redis=redis)).message == INACTIVE


async def test_change_password_rules(keji):
    with pytest.raises(StaffError, match="原密码不正确"):
        await change_password(staff=keji, old_password="wrong-pass-1", new_password="Another-pass-2024")
    with pytest.raises(StaffError, match="至少 10 个字符"):
        await change_password(staff=keji, old_password=PASSWORD, new_password="short-1")
    with pytest.raises(StaffError, match="不能与原密码相同"):
        await change_password(staff=keji, old_password=PASSWORD, new_password=PASSWORD)
    await change_password(staff=keji, old_password=PASSWORD, new_password="Another-pass-2024")
    stored = await Staff.get(id=keji.id)
    assert verify_password(stored.password_hash, "Another-pass-2024") and stored.password_changed_at is not None
