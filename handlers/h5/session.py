"""The H5 session: a signed cookie naming the follower's openid, valid for a few hours.

Signed (HMAC-SHA256 with SECRET_KEY), not encrypted: it holds nothing but the openid
and an expiry. HttpOnly so page scripts cannot read it, SameSite=Lax so other sites
cannot ride it, Secure whenever the site is served over https.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from urllib.parse import quote

from sanic import Request
from sanic.response import HTTPResponse, redirect

from app.identity import followers
from app.identity.models import WeChatUser

__all__ = ["COOKIE_NAME", "SESSION_TTL_S", "current_openid", "set_session", "sign", "sign_in_redirect", "unsign",
           "visitor"]

COOKIE_NAME = "qiyun_h5"
SESSION_TTL_S = 12 * 3600
_CONTEXT = b"qiyun-h5-session-v1"


def _key(secret_key: str) -> bytes:
    # A key derived for this purpose only, so a signature made here is valid nowhere else.
    return hmac.new(secret_key.encode("utf-8"), _CONTEXT, hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(*, openid: str, secret_key: str, now: float | None = None, ttl: int = SESSION_TTL_S) -> str:
    payload = _b64(json.dumps({"o": openid, "e": int((now or time.time()) + ttl)}, separators=(",", ":")).encode())
    mac = hmac.new(_key(secret_key), payload.encode("ascii"), hashlib.sha256).digest()
    return f"{payload}.{_b64(mac)}"


def unsign(value: str, *, secret_key: str, now: float | None = None) -> str | None:
    """The openid in a valid, unexpired cookie value; None otherwise."""
    if not value or not secret_key or value.count(".") != 1:
        return None
    payload, mac = value.split(".")
    expected = hmac.new(_key(secret_key), payload.encode("ascii", "replace"), hashlib.sha256).digest()
    try:
        given = _unb64(mac)
        data = json.loads(_unb64(payload))
    except (ValueError, TypeError):
        return None
    if not hmac.compare_digest(expected, given) or not isinstance(data, dict):
        return None
    if not isinstance(data.get("e"), int) or data["e"] < (now or time.time()):
        return None
    openid = data.get("o")
    return openid if isinstance(openid, str) and openid else None


def set_session(response: HTTPResponse, *, openid: str, secret_key: str, secure: bool) -> None:
    response.add_cookie(
        COOKIE_NAME,
        sign(openid=openid, secret_key=secret_key),
        path="/h5",
        max_age=SESSION_TTL_S,
        httponly=True,
        samesite="Lax",
        secure=secure,
    )


def current_openid(request: Request) -> str | None:
    """The signed-in follower's openid for an H5 request, or None."""
    secret_key = request.app.ctx.resources.settings.secret_key.get_secret_value()
    return unsign(request.cookies.get(COOKIE_NAME, ""), secret_key=secret_key)


def sign_in_redirect(request: Request) -> HTTPResponse:
    """Through WeChat's sign-in (`handlers.h5.oauth`) and back to this very page."""
    here = request.path + (f"?{request.query_string}" if request.query_string else "")
    return redirect(f"/h5/oauth/start?next={quote(here, safe='')}")


async def visitor(request: Request, *, create_person: bool) -> WeChatUser | None | HTTPResponse:
    """Who is asking for an H5 page: the signed-in person; a redirect to sign in when there is
    no session; None for a follower we do not know.

    `create_person`: a follower without a person (`WeChatUser`) yet gets one — for pages
    where a first visit can act (engage a provider, answer a public survey). Pages that only
    show what someone already has (appeals, tickets) pass False and get None: nothing to show.
    """
    openid = current_openid(request)
    if openid is None:
        return sign_in_redirect(request)
    follower = await followers.get_follower(openid=openid)
    if follower is None or (follower.user_id is None and not create_person):
        return None
    return await followers.ensure_user(follower=follower)
