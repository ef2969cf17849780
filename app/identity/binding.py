"""Binding a person to an enterprise, verified against the register (法人库).

The person proves they may act for an enterprise by naming its legal representative
(法定代表人) as the register records it. That is a guessable secret, so failed tries are
limited twice over, in Redis, for `FAILURE_WINDOW`: per person (someone probing many
enterprises) and per enterprise (many accounts probing one enterprise). A try is
reserved before it is checked and given back when it did not fail, so parallel
requests cannot get more guesses than the limit.

The mini-program API and the official account's chat flow both bind through
`bind_enterprise`, so the rule and its messages are the same everywhere.
"""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import UTC, datetime, timedelta

from redis.asyncio import Redis
from tortoise.exceptions import IntegrityError

from app.enterprise.credit_code import InvalidCreditCode, normalise, validate
from app.enterprise.models import Enterprise
from app.enterprise.reference import BindingRole
from app.identity.errors import BindingError
from app.identity.models import EnterpriseBinding, WeChatUser
from app.identity.permissions import get_own_binding

__all__ = [
    "ENTERPRISE_FAILURE_LIMIT",
    "FAILURE_WINDOW",
    "USER_FAILURE_LIMIT",
    "VERIFIED_BY_LEGAL_REPRESENTATIVE",
    "bind_enterprise",
    "names_match",
    "revoke_binding",
]

USER_FAILURE_LIMIT = 5
ENTERPRISE_FAILURE_LIMIT = 5
FAILURE_WINDOW = timedelta(hours=24)
VERIFIED_BY_LEGAL_REPRESENTATIVE = "legal_representative_name"

_USER_KEY = "qiyun:binding:failures:user:{user_id}"
_ENTERPRISE_KEY = "qiyun:binding:failures:enterprise:{credit_code}"

# Reserve one try on both counters unless either is spent. Returns
# {0, user_count, enterprise_count} or {1|2, ttl_seconds} when the user (1) or the
# enterprise (2) is locked.
_RESERVE = """
local user = tonumber(redis.call('GET', KEYS[1]) or '0')
local enterprise = tonumber(redis.call('GET', KEYS[2]) or '0')
if user >= tonumber(ARGV[1]) then return {1, redis.call('TTL', KEYS[1])} end
if enterprise >= tonumber(ARGV[2]) then return {2, redis.call('TTL', KEYS[2])} end
local counts = {}
for i, key in ipairs(KEYS) do
  local n = redis.call('INCR', key)
  if n == 1 then redis.call('EXPIRE', key, ARGV[3]) end
  counts[i] = n
end
return {0, counts[1], counts[2]}
"""

# Give a reserved try back; never below zero, never on a key that has already expired.
_REFUND = """
for i, key in ipairs(KEYS) do
  local n = tonumber(redis.call('GET', key) or '0')
  if n > 0 then redis.call('DECR', key) end
end
return 0
"""

_DOTS = re.compile(r"[·•‧・∙⋅.．。]")


def names_match(given: str, registered: str) -> bool:
    """Compare names as a person types them: ignore spaces (also full-width), width
    differences and the variants of the middle dot in transliterated names (阿卜杜·热合曼),
    and case for names in Latin letters."""
    return bool(given) and _normalise_name(given) == _normalise_name(registered)


def _normalise_name(name: str) -> str:
    name = unicodedata.normalize("NFKC", name or "")
    name = re.sub(r"\s+", "", name)
    return _DOTS.sub("·", name).casefold()


async def bind_enterprise(
    *,
    user: WeChatUser,
    credit_code: str,
    legal_representative: str,
    role: BindingRole,
    redis: Redis,
) -> EnterpriseBinding:
    """Bind `user` to the enterprise with `credit_code` if `legal_representative` is the name
    the register holds. One person may bind several enterprises. Raises `BindingError`:
    `invalid_credit_code`, `binding_locked`, `enterprise_not_found`,
    `legal_representative_mismatch` (with `remaining_attempts`), `already_bound`."""
    code = normalise(credit_code)
    try:
        validate(code)
    except InvalidCreditCode as exc:
        reason = str(exc) or "统一社会信用代码格式不正确"
        raise BindingError("invalid_credit_code", reason) from None
    role = BindingRole(role)

    user_key = _USER_KEY.format(user_id=user.id)
    enterprise_key = _ENTERPRISE_KEY.format(credit_code=code)
    reserved = await redis.eval(
        _RESERVE,
        2,
        user_key,
        enterprise_key,
        USER_FAILURE_LIMIT,
        ENTERPRISE_FAILURE_LIMIT,
        int(FAILURE_WINDOW.total_seconds()),
    )
    status = int(reserved[0])
    if status != 0:
        raise _locked(status, int(reserved[1]))
    user_count, enterprise_count = int(reserved[1]), int(reserved[2])

    enterprise = await Enterprise.get_or_none(credit_code=code)
    if enterprise is None:
        # Counts against the person (no probing the register for codes), not against
        # a credit code nobody holds.
        await redis.eval(_REFUND, 1, enterprise_key)
        raise BindingError(
            "enterprise_not_found",
            "企业库中未找到该统一社会信用代码对应的企业，请核对后重试",
            details={"remaining_attempts": max(0, USER_FAILURE_LIMIT - user_count)},
        )

    if not names_match(legal_representative, enterprise.legal_representative):
        remaining = max(
            0,
            min(USER_FAILURE_LIMIT - user_count, ENTERPRISE_FAILURE_LIMIT - enterprise_count),
        )
        if remaining == 0:
            message = "法定代表人姓名与企业登记信息不一致。验证失败次数已达上限，请24小时后再试"
        else:
            message = f"法定代表人姓名与企业登记信息不一致，请核对后重新输入（还可尝试{remaining}次）"
        raise BindingError("legal_representative_mismatch", message, details={"remaining_attempts": remaining})

    # Verified: this try did not fail, so it is given back.
    await redis.eval(_REFUND, 2, user_key, enterprise_key)
    return await _save_binding(user=user, enterprise=enterprise, role=role)


async def revoke_binding(*, user: WeChatUser, binding_id: int) -> EnterpriseBinding:
    """End one of the person's own bindings. Someone else's, or an ended one, is
    `binding_not_found`: whether it exists is none of the caller's business."""
    binding = await get_own_binding(user=user, binding_id=binding_id)
    binding.revoked_at = datetime.now(UTC)
    await binding.save(update_fields=["revoked_at"])
    return binding


async def _save_binding(*, user: WeChatUser, enterprise: Enterprise, role: BindingRole) -> EnterpriseBinding:
    existing = await EnterpriseBinding.get_or_none(user_id=user.id, enterprise_id=enterprise.id)
    if existing is not None and existing.revoked_at is None:
        raise _already_bound(existing)
    if existing is not None:
        # Bound before and revoked since: the same row starts afresh.
        existing.role = role
        existing.verified_by = VERIFIED_BY_LEGAL_REPRESENTATIVE
        existing.revoked_at = None
        existing.created_at = datetime.now(UTC)
        await existing.save(update_fields=["role", "verified_by", "revoked_at", "created_at"])
        existing.enterprise = enterprise
        return existing
    try:
        binding = await EnterpriseBinding.create(
            user_id=user.id,
            enterprise_id=enterprise.id,
            role=role,
            verified_by=VERIFIED_BY_LEGAL_REPRESENTATIVE,
        )
    except IntegrityError:
        # A parallel request of the same person bound it first.
        concurrent = await EnterpriseBinding.get(user_id=user.id, enterprise_id=enterprise.id)
        raise _already_bound(concurrent) from None
    binding.enterprise = enterprise
    return binding


def _already_bound(binding: EnterpriseBinding) -> BindingError:
    return BindingError(
        "already_bound",
        "您已绑定该企业，如需变更身份请先解除绑定",
        details={"binding_id": binding.id},
    )


def _locked(status: int, ttl: int) -> BindingError:
    ttl = ttl if ttl > 0 else int(FAILURE_WINDOW.total_seconds())
    hours = max(1, math.ceil(ttl / 3600))
    if status == 1:
        message = f"验证失败次数过多，请{hours}小时后再试"
    else:
        message = f"该企业的绑定验证失败次数过多，已暂停绑定，请{hours}小时后再试"
    return BindingError(
        "binding_locked",
        message,
        details={"retry_after": ttl, "remaining_attempts": 0},
        retry_after=ttl,
    )
