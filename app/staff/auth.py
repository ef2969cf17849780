"""Staff sign-in rules: password check, lock-out, and password changes.

* Five wrong passwords in a row lock the account for 15 minutes (`Staff.failed_logins`,
  `Staff.locked_until`), which makes guessing slow without locking anyone out for long.
* Unknown usernames behave exactly like known ones — same message, a password hash is
  still verified (same time), and five attempts "lock" them too (a Redis counter) — so
  the sign-in form cannot be used to find out which usernames exist.
* Only someone who typed the right password learns that an account is deactivated.
* Every attempt is written to the audit log; the password never is.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from redis.asyncio import Redis
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from app.audit import service as audit
from app.staff.models import Staff
from app.staff.service import USERNAME, MIN_PASSWORD_LENGTH, StaffError, check_password_strength, hash_password, verify_password

__all__ = [
    "LOCK_DURATION",
    "MAX_FAILURES",
    "PASSWORD_RULE",
    "SignInError",
    "change_password",
    "require_strong_password",
    "sign_in",
    "sign_out",
]

MAX_FAILURES = 5
LOCK_DURATION = timedelta(minutes=15)
UNKNOWN_USER_MEMORY = timedelta(days=1)
PASSWORD_RULE = f"密码至少 {MIN_PASSWORD_LENGTH} 个字符，且须同时包含字母和数字（或符号）"

WRONG_CREDENTIALS = "用户名或密码错误。"
LOCKED = f"连续 {MAX_FAILURES} 次登录失败，账户已锁定 {int(LOCK_DURATION.total_seconds() // 60)} 分钟，请稍后再试。"
INACTIVE = "该账户已停用，如需使用请联系管理员。"

_UNKNOWN_PREFIX = "qiyun:admin:signin-unknown:"
_dummy_hash: str | None = None


class SignInError(Exception):
    """Sign-in refused; `message` is what the person is shown, `reason` is for the audit log."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason


async def sign_in(*, username: str, password: str, redis: Redis, ip: str = "", now: datetime | None = None) -> Staff:
    """The staff member whose username and password these are, or `SignInError`."""
    now = now or datetime.now(UTC)
    username = username.strip().lower()[:64]
    staff = await Staff.get_or_none(username=username) if username else None
    if staff is None:
        await _refuse_unknown(username=username, password=password, redis=redis, ip=ip)
    assert staff is not None
    if staff.locked_until is not None and staff.locked_until > now:
        await audit.record(staff=staff, action="auth.sign_in_failed", detail={"reason": "locked"}, ip=ip)
        raise SignInError(LOCKED, reason="locked")
    if not await asyncio.to_thread(verify_password, staff.password_hash, password):
        await _count_failure(staff=staff, ip=ip, now=now)
    if not staff.is_active:
        await audit.record(staff=staff, action="auth.sign_in_failed", detail={"reason": "inactive"}, ip=ip)
        raise SignInError(INACTIVE, reason="inactive")
    async with in_transaction():
        await Staff.filter(id=staff.id).update(failed_logins=0, locked_until=None, last_login_at=now)
        await audit.record(staff=staff, action="auth.sign_in", ip=ip)
    staff.failed_logins, staff.locked_until, staff.last_login_at = 0, None, now
    return staff


async def sign_out(*, staff: Staff, ip: str = "") -> None:
    await audit.record(staff=staff, action="auth.sign_out", ip=ip)


def require_strong_password(password: str) -> None:
    """The strength rule of `app.staff.service`, refused with a message staff can read."""
    try:
        check_password_strength(password)
    except StaffError:
        raise StaffError(PASSWORD_RULE) from None


async def change_password(*, staff: Staff, old_password: str, new_password: str, ip: str = "") -> Staff:
    """Change one's own password; the old one must be right and the new one strong and different.

    `password_changed_at` moves, which ends every other session of the account.
    """
    if not await asyncio.to_thread(verify_password, staff.password_hash, old_password):
        raise StaffError("原密码不正确。")
    require_strong_password(new_password)
    if new_password == old_password:
        raise StaffError("新密码不能与原密码相同。")
    new_hash = await asyncio.to_thread(hash_password, new_password)
    now = datetime.now(UTC)
    async with in_transaction():
        await Staff.filter(id=staff.id).update(
            password_hash=new_hash, password_changed_at=now, must_change_password=False
        )
        await audit.record(staff=staff, action="auth.password_change", target_type="staff", target_id=staff.id, ip=ip)
    staff.password_hash, staff.password_changed_at = new_hash, now
    staff.must_change_password = False
    return staff


async def _count_failure(*, staff: Staff, ip: str, now: datetime) -> None:
    """Count a wrong password; the fifth in a row locks the account. Always raises."""
    async with in_transaction():
        await Staff.filter(id=staff.id).update(failed_logins=F("failed_logins") + 1)
        failures = (await Staff.filter(id=staff.id).values_list("failed_logins", flat=True))[0]
        if failures >= MAX_FAILURES:
            await Staff.filter(id=staff.id).update(failed_logins=0, locked_until=now + LOCK_DURATION)
            await audit.record(staff=staff, action="auth.locked", detail={"failures": failures}, ip=ip)
        else:
            await audit.record(
                staff=staff, action="auth.sign_in_failed", detail={"reason": "wrong_password", "failures": failures}, ip=ip
            )
    raise SignInError(LOCKED if failures >= MAX_FAILURES else WRONG_CREDENTIALS, reason="wrong_password")


async def _refuse_unknown(*, username: str, password: str, redis: Redis, ip: str) -> None:
    """Answer for a username that does not exist exactly as for a wrong password. Always raises."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = await asyncio.to_thread(hash_password, secrets.token_urlsafe(16))
    key = _UNKNOWN_PREFIX + hashlib.sha256(username.encode("utf-8")).hexdigest()
    failures = int(await redis.get(key) or 0)
    if failures >= MAX_FAILURES:
        await audit.record(
            staff=None, username=_loggable(username), action="auth.sign_in_failed", detail={"reason": "locked"}, ip=ip
        )
        raise SignInError(LOCKED, reason="locked")
    await asyncio.to_thread(verify_password, _dummy_hash, password)
    failures = await redis.incr(key)
    if failures >= MAX_FAILURES:
        await redis.expire(key, int(LOCK_DURATION.total_seconds()))
    else:
        await redis.expire(key, int(UNKNOWN_USER_MEMORY.total_seconds()))
    await audit.record(
        staff=None, username=_loggable(username), action="auth.sign_in_failed", detail={"reason": "unknown_user"}, ip=ip
    )
    raise SignInError(LOCKED if failures >= MAX_FAILURES else WRONG_CREDENTIALS, reason="unknown_user")


def _loggable(username: str) -> str:
    """What of a mistyped username goes into the audit log: only something shaped like a
    username, since people do type their password into the username field."""
    return username if USERNAME.match(username) else "(无效用户名)"
