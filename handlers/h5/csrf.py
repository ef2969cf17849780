"""CSRF protection for H5 forms: a token bound to the visitor's session cookie.

The H5 session is a signed cookie (`handlers.h5.session`), not a server-side record, so
the token is derived from it instead of stored: HMAC(SECRET_KEY, cookie value) under a
key used for nothing else. Another site can make the browser send the cookie (SameSite
Lax already stops cross-site POSTs in current browsers, not in every WebView) but cannot
read it or the page, so it cannot produce the token. A new sign-in makes a new cookie and
so a new token; a form left open past the session's expiry is refused and re-rendered.
"""

from __future__ import annotations

import hashlib
import hmac

from sanic import Request
from sanic.response import HTTPResponse

from handlers.h5.pages import message_page
from handlers.h5.session import COOKIE_NAME

__all__ = ["CSRF_FIELD", "FORGED_MESSAGE", "csrf_ok", "csrf_token", "refuse_forgery", "token_for"]

CSRF_FIELD = "csrf_token"
FORGED_MESSAGE = "页面已过期或来源不明，请返回上一页刷新后再提交。"
_CONTEXT = b"qiyun-h5-csrf-v1"


def token_for(cookie_value: str, secret_key: str) -> str:
    key = hmac.new(secret_key.encode("utf-8"), _CONTEXT, hashlib.sha256).digest()
    return hmac.new(key, cookie_value.encode("utf-8"), hashlib.sha256).hexdigest()


def _secret(request: Request) -> str:
    return request.app.ctx.resources.settings.secret_key.get_secret_value()


def csrf_token(request: Request) -> str:
    """The token to put in the page's forms ('' without a session: such a page has no forms)."""
    cookie = request.cookies.get(COOKIE_NAME, "")
    secret = _secret(request)
    return token_for(cookie, secret) if cookie and secret else ""


def csrf_ok(request: Request) -> bool:
    """Whether a POST carries the token of the session it was sent with."""
    expected = csrf_token(request)
    form = request.form or {}
    sent = form.get(CSRF_FIELD) or request.headers.get("X-CSRF-Token") or ""
    return bool(expected) and hmac.compare_digest(str(sent).encode("utf-8"), expected.encode("utf-8"))


def refuse_forgery(request: Request, *, message: str = FORGED_MESSAGE) -> HTTPResponse | None:
    """None when a POST carries its session's token; else the 403 page every H5 form answers with."""
    if csrf_ok(request):
        return None
    return message_page(title="页面已过期", message=message, status=403)
