"""`@requires("staff.manage")`: a route's permission, declared where the route is.

The decorated handler runs only for a signed-in person whose role has the action
(`app.staff.scope.can`); anyone else gets the Chinese 403 page. The action is kept on
the handler (`__admin_action__`), so a test can check that every admin page declares one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any

from sanic import Request
from sanic.response import HTTPResponse

from admin.render import forbidden
from app.staff.scope import ACTIONS, can

__all__ = ["requires", "signed_in_only"]

Handler = Callable[..., Awaitable[HTTPResponse]]


def requires(action: str) -> Callable[[Handler], Handler]:
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}; add it to app.staff.scope.ACTIONS")

    def decorator(handler: Handler) -> Handler:
        @wraps(handler)
        async def guarded(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
            if not can(request.ctx.staff, action):
                return forbidden(request, action=action)
            return await handler(request, *args, **kwargs)

        guarded.__admin_action__ = action  # type: ignore[attr-defined]
        return guarded

    return decorator


def signed_in_only(handler: Handler) -> Handler:
    """For pages every signed-in person may open (home, own password): says so explicitly."""
    handler.__admin_action__ = None  # type: ignore[attr-defined]
    return handler
