"""Bearer-token authentication: `Authorization: Bearer <token>`.

A blueprint middleware resolves the token (Redis only, renewing the sliding session) on
every request, so the rate limiter can count per person; `@authenticated` then requires a
session and loads the person from the database. Handlers read them with `principal(request)`
/ `current_user(request)`, never from the request headers themselves.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any

from sanic import Request
from sanic.response import HTTPResponse

from app.identity import service as identity
from app.identity.models import WeChatUser
from app.identity.sessions import Session, resolve_session
from miniprogram_api.errors import ApiError
from miniprogram_api.spec import get_spec

__all__ = ["authenticated", "bearer_token", "current_user", "principal", "resolve_bearer"]

Handler = Callable[..., Awaitable[HTTPResponse]]

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="qiyun-mp"'}


def bearer_token(request: Request) -> str | None:
    """The token of an `Authorization: Bearer ...` header, or None."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


async def resolve_bearer(request: Request) -> None:
    """Middleware: set `request.ctx.session` (None when absent or invalid) and whether a
    token was offered at all (to tell "log in" from "log in again")."""
    token = bearer_token(request)
    request.ctx.token_offered = token is not None
    request.ctx.session = None
    request.ctx.principal = None
    if token:
        redis = request.app.ctx.resources.redis
        request.ctx.session = await resolve_session(redis=redis, token=token)


def authenticated(handler: Handler) -> Handler:
    """Require a valid session; 401 `unauthenticated` / `session_expired` otherwise."""
    get_spec(handler).authenticated = True

    @wraps(handler)
    async def wrapper(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
        session: Session | None = getattr(request.ctx, "session", None)
        found = None
        if session is not None:
            found = await identity.authenticate(redis=request.app.ctx.resources.redis, session=session)
        if found is None:
            code = "session_expired" if getattr(request.ctx, "token_offered", False) else "unauthenticated"
            raise ApiError(code, headers=_CHALLENGE)
        request.ctx.principal = found
        return await handler(request, *args, **kwargs)

    return wrapper


def principal(request: Request) -> identity.Principal:
    """The signed-in person of an `@authenticated` handler."""
    found = getattr(request.ctx, "principal", None)
    if found is None:
        raise RuntimeError("principal() used in a handler without @authenticated")
    return found


def current_user(request: Request) -> WeChatUser:
    """Shortcut: the signed-in person's `WeChatUser`."""
    return principal(request).user
