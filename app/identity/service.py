"""Mini-program identity: sign-in with a `wx.login` code, sessions, the verified phone number.

The rules live here so every transport behaves the same: a login code is exchanged once
with WeChat, the `session_key` WeChat returns is dropped on the spot (Qiyun never needs
it: phone numbers come from `getuserphonenumber`), the account is linked to the person
by unionid, and the mini-program only ever holds an opaque session token.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime

from redis.asyncio import Redis
from tortoise.queryset import QuerySet

from app.identity import sessions
from app.identity.errors import SignInError
from app.identity.linking import resolve_miniprogram_account
from app.identity.models import EnterpriseBinding, Follower, MiniProgramUser, WeChatUser
from app.identity.sessions import Session
from app.wechat import (
    WeChatAPIError,
    WeChatClient,
    WeChatCredentialError,
    WeChatInvalidArgumentError,
    WeChatQuotaError,
    WeChatTransientError,
    WeChatValidationError,
)

__all__ = [
    "Principal",
    "Profile",
    "SignIn",
    "active_bindings",
    "authenticate",
    "bind_phone",
    "mask_phone",
    "profile",
    "sign_in",
    "sign_out",
]

logger = logging.getLogger("qiyun.identity")

# WeChat errcodes of the two code exchanges, as the person should read them.
_CODE_INVALID = frozenset({40029, 40163, 40097})
_RISKY_USER = 40226


@dataclass(frozen=True)
class SignIn:
    """The result of a sign-in: the token to hand to the mini-program, once."""

    token: str
    expires_at: datetime
    account: MiniProgramUser
    user: WeChatUser


@dataclass(frozen=True)
class Principal:
    """The person behind a request: their session, mini-program account and `WeChatUser`."""

    session: Session
    account: MiniProgramUser
    user: WeChatUser


async def sign_in(*, miniprogram: WeChatClient, redis: Redis, code: str) -> SignIn:
    """Exchange a `wx.login` code for a session. Raises `SignInError`."""
    try:
        result = await miniprogram.wxa.jscode2session(code)
    except (WeChatAPIError, WeChatValidationError) as exc:
        raise _sign_in_error(exc, what="login") from None
    openid = str(result.get("openid") or "")
    unionid = str(result.get("unionid") or "") or None
    # `result` also holds session_key: it goes no further than this frame, on purpose.
    del result
    if not openid:
        raise SignInError("wechat_error", "微信登录返回异常，请稍后重试")
    account = await resolve_miniprogram_account(openid=openid, unionid=unionid)
    issued = await sessions.create_session(
        redis=redis, miniprogram_user_id=account.id, user_id=account.user_id
    )
    return SignIn(token=issued.token, expires_at=issued.session.expires_at, account=account, user=account.user)


async def sign_out(*, redis: Redis, token: str) -> None:
    """End the session of `token` (a no-op if it has already ended)."""
    await sessions.revoke_session(redis=redis, token=token)


async def authenticate(*, redis: Redis, token: str | None = None, session: Session | None = None) -> Principal | None:
    """The person a bearer token (or an already resolved session) stands for, or None.

    The account is read from the database on every request rather than trusted from the
    session, so a merged or deleted account takes effect at once.
    """
    if session is None:
        if not token:
            return None
        session = await sessions.resolve_session(redis=redis, token=token)
        if session is None:
            return None
    account = await MiniProgramUser.get_or_none(id=session.miniprogram_user_id).select_related("user")
    if account is None:
        await redis.delete(sessions.KEY_PREFIX + session.token_hash)
        return None
    return Principal(session=session, account=account, user=account.user)


async def bind_phone(*, user: WeChatUser, miniprogram: WeChatClient, code: str) -> WeChatUser:
    """Store the phone number WeChat verified for a `getPhoneNumber` code on the person."""
    try:
        phone_info = await miniprogram.wxa.get_phone_number(code)
    except (WeChatAPIError, WeChatValidationError) as exc:
        raise _sign_in_error(exc, what="phone") from None
    phone = _normalise_phone(phone_info)
    if not phone:
        raise SignInError("wechat_error", "微信未返回有效的手机号，请稍后重试")
    user.phone = phone
    await user.save(update_fields=["phone"])
    return user


@dataclass(frozen=True)
class Profile:
    """What the person sees about themselves."""

    user: WeChatUser
    bindings: list[EnterpriseBinding]
    follows_official_account: bool


async def profile(*, user: WeChatUser) -> Profile:
    """The person, their active enterprise bindings and whether they follow the official
    account (the mini-program nudges them to, as notifications arrive there)."""
    bindings = list(await active_bindings(user=user))
    follows = await Follower.filter(user_id=user.id, subscribed=True).exists()
    return Profile(user=user, bindings=bindings, follows_official_account=follows)


def active_bindings(*, user: WeChatUser) -> QuerySet[EnterpriseBinding]:
    """The person's current enterprise bindings, newest first, with the enterprise loaded."""
    return (
        EnterpriseBinding.filter(user_id=user.id, revoked_at__isnull=True)
        .select_related("enterprise")
        .order_by("-id")
    )


def mask_phone(phone: str) -> str:
    """`13812341234` -> `138****1234`: enough for the person to recognise their number,
    not enough to be useful to someone reading over their shoulder or a screenshot."""
    if not phone:
        return ""
    prefix = "+" if phone.startswith("+") else ""
    digits = re.sub(r"\D", "", phone)
    if len(digits) <= 4:
        return prefix + "*" * len(digits)
    if len(digits) <= 7:
        return prefix + "*" * (len(digits) - 4) + digits[-4:]
    return prefix + digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def _normalise_phone(phone_info: dict) -> str:
    phone = str(phone_info.get("phoneNumber") or "").strip()
    if not phone:
        pure = str(phone_info.get("purePhoneNumber") or "").strip()
        country = str(phone_info.get("countryCode") or "86").strip()
        phone = pure if country in ("", "86") else f"+{country}{pure}"
    phone = re.sub(r"[\s-]", "", phone)
    if not re.fullmatch(r"\+?\d{5,19}", phone):
        return ""
    return phone


def _sign_in_error(exc: Exception, *, what: str) -> SignInError:
    """Turn a WeChat failure into a message the person can act on; log what operators need."""
    login = what == "login"
    if isinstance(exc, WeChatValidationError):
        return SignInError(
            "login_code_invalid" if login else "phone_code_invalid",
            "登录凭证不能为空，请重新登录" if login else "手机号授权码不能为空，请重新授权",
        )
    errcode = getattr(exc, "errcode", None)
    if isinstance(exc, WeChatInvalidArgumentError) or errcode in _CODE_INVALID:
        if login:
            return SignInError("login_code_invalid", "登录凭证无效或已被使用，请重新登录")
        return SignInError("phone_code_invalid", "手机号授权码无效或已过期，请重新授权")
    if errcode == _RISKY_USER:
        return SignInError("login_blocked", "该微信账号存在安全风险，暂时无法登录")
    if isinstance(exc, WeChatQuotaError):
        return SignInError("wechat_rate_limited", "操作过于频繁，请稍后再试", retry_after=60)
    if isinstance(exc, WeChatCredentialError):
        logger.error("mini-program credentials rejected by WeChat during %s: %s", what, exc)
    elif isinstance(exc, WeChatTransientError):
        logger.warning("WeChat unavailable during %s: %s", what, exc)
    else:
        logger.error("WeChat error during %s: %s", what, exc)
    return SignInError("wechat_unavailable", "微信服务暂时不可用，请稍后再试")
