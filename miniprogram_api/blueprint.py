"""The /mp/v1 blueprint and what applies to every request under it.

* middleware: resolve the bearer token, then the per-user rate limit — for every route,
  so a new endpoint cannot forget either; `Cache-Control: no-store` on every answer;
* one exception handler scoped to the blueprint, rendering the error envelope;
* fallback routes so that the errors Sanic raises before a route is matched (unknown
  path -> 404, known path with another method -> 405) also belong to the blueprint and
  get the envelope, while other blueprints (admin, callback) keep their own formats.

`finalize(bp)` adds the per-path fallbacks (HEAD, OPTIONS, 405) and keeps the routes out
of sanic-ext's app-wide document; call it once after every endpoint module has been
imported (`miniprogram_api.routes` does).
"""

from __future__ import annotations

from typing import Any

from sanic import Blueprint, Request
from sanic.exceptions import MethodNotAllowed, NotFound
from sanic.response import HTTPResponse, empty
from sanic_ext.extensions.openapi import openapi

from miniprogram_api.auth import resolve_bearer
from miniprogram_api.errors import render_exception
from miniprogram_api.ratelimit import enforce_rate_limit

__all__ = ["API_PREFIX", "bp", "finalize"]

API_PREFIX = "/mp/v1"

bp = Blueprint("miniprogram", url_prefix=API_PREFIX)

# Fallbacks answer every method a path does not serve. HEAD (for GET paths) and OPTIONS
# are registered here too, rather than left to sanic-ext's automatic handlers, because
# those are not part of the blueprint: its middleware and error envelope would not apply.
_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
_ALL_METHODS = (*_METHODS, "HEAD", "OPTIONS")
_FALLBACK_MARK = "__mp_fallback__"


@bp.on_request
async def _authenticate(request: Request) -> None:
    await resolve_bearer(request)


@bp.on_request
async def _rate_limit(request: Request) -> None:
    await enforce_rate_limit(request)


@bp.on_response
async def _no_store(request: Request, response: HTTPResponse) -> None:
    # Answers are per person (and carry tokens): no proxy or client cache may keep them.
    response.headers.setdefault("Cache-Control", "no-store")


@bp.exception(Exception)
async def _envelope(request: Request, exc: Exception) -> HTTPResponse:
    return render_exception(request, exc)


async def _not_found(request: Request, **_: Any) -> HTTPResponse:
    raise NotFound(f"no route for {request.path}")


def _mark(handler: Any) -> Any:
    setattr(handler, _FALLBACK_MARK, True)
    return handler


# Unknown paths under the prefix (also the bare prefix) are the blueprint's own 404s.
bp.add_route(_mark(_not_found), "", methods=list(_ALL_METHODS), name="fallback_root")
bp.add_route(_mark(_not_found), "/<rest:path>", methods=list(_ALL_METHODS), name="fallback_not_found")


def is_fallback(handler: Any) -> bool:
    return bool(getattr(handler, _FALLBACK_MARK, False))


def finalize(blueprint: Blueprint) -> None:
    """For every path of the blueprint: HEAD for GET paths, OPTIONS with the true `Allow`,
    and 405 (with `Allow`) for every other method. Call once all routes exist; idempotent."""
    if getattr(blueprint.ctx, "finalized", False):
        return
    paths: dict[tuple[str, str | None], dict[str, Any]] = {}
    for route in list(blueprint._future_routes):
        if is_fallback(route.handler):
            continue
        served = paths.setdefault((route.uri, route.host), {})
        for method in route.methods:
            served[method.upper()] = route.handler
    for index, ((uri, host), served) in enumerate(sorted(paths.items(), key=lambda item: item[0][0])):
        if "GET" in served and "HEAD" not in served:
            blueprint.add_route(
                _mark(_head(served["GET"])), uri, methods=["HEAD"], host=host, name=f"fallback_head_{index}"
            )
            served["HEAD"] = served["GET"]
        allowed = sorted({*served, "OPTIONS"})
        if "OPTIONS" not in served:
            blueprint.add_route(
                _mark(_options(allowed)), uri, methods=["OPTIONS"], host=host, name=f"fallback_options_{index}"
            )
        missing = [method for method in _METHODS if method not in served]
        if missing:
            blueprint.add_route(
                _mark(_not_allowed(allowed)), uri, methods=missing, host=host, name=f"fallback_method_{index}"
            )
    # The app-wide sanic-ext document (/docs) would list these routes without their
    # conventions, fallbacks included; this API's document is /mp/v1/openapi.json.
    for route in blueprint._future_routes:
        openapi.exclude()(route.handler)
    blueprint.ctx.finalized = True


def _head(get_handler: Any) -> Any:
    async def head(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
        # Sanic sends no body for HEAD; status and headers are the GET's.
        return await get_handler(request, *args, **kwargs)

    return head


def _options(allowed: list[str]) -> Any:
    async def options(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
        return empty(status=204, headers={"Allow": ", ".join(allowed)})

    return options


def _not_allowed(allowed: list[str]) -> Any:
    async def not_allowed(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
        raise MethodNotAllowed(
            f"method {request.method} not allowed for {request.path}",
            method=request.method,
            allowed_methods=allowed,
        )

    return not_allowed
