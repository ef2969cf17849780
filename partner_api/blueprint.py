"""The two server-to-server APIs and what applies to every request under each.

* `/partner/12345/v1` (`hotline_bp`): every request is signature-checked before any route
  runs (`partner_api.auth.verify_hotline`), so a new endpoint cannot forget it; errors are
  the hotline's JSON error body.
* `/open311/v2` (`open311_bp`): GeoReport v2; errors are the specification's error list,
  in the format the path asked for.

Both have a catch-all route, so an unknown path under their prefix is answered in their
own error format rather than Sanic's, and neither appears in the app-wide OpenAPI
document (docs/partner-api.md is the integrators' reference).
"""

from __future__ import annotations

from typing import Any

from sanic import Blueprint, Request
from sanic.exceptions import MethodNotAllowed, NotFound
from sanic.response import HTTPResponse
from sanic_ext.extensions.openapi import openapi

from partner_api.auth import verify_hotline
from partner_api.errors import hotline_error_response, open311_error_from
from partner_api.render import open311_response

__all__ = ["HOTLINE_PREFIX", "OPEN311_PREFIX", "finalize", "hotline_bp", "open311_bp"]

HOTLINE_PREFIX = "/partner/12345/v1"
OPEN311_PREFIX = "/open311/v2"

hotline_bp = Blueprint("partner_hotline", url_prefix=HOTLINE_PREFIX)
open311_bp = Blueprint("open311", url_prefix=OPEN311_PREFIX)

_ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


@hotline_bp.on_request
async def _signed(request: Request) -> None:
    resources = request.app.ctx.resources
    await verify_hotline(request, settings=resources.settings, redis=resources.redis)


@hotline_bp.exception(Exception)
async def _hotline_error(request: Request, exc: Exception) -> HTTPResponse:
    return hotline_error_response(request, exc)


@open311_bp.exception(Exception)
async def _open311_error(request: Request, exc: Exception) -> HTTPResponse:
    error = open311_error_from(request, exc)
    fmt = getattr(request.ctx, "open311_format", "json")
    return open311_response(fmt, "errors", [{"code": error.status, "description": error.description}],
                            status=error.status)


async def _not_found(request: Request, **_: Any) -> HTTPResponse:
    raise NotFound(f"no route for {request.path}")


for _bp in (hotline_bp, open311_bp):
    _bp.add_route(_not_found, "", methods=_ALL_METHODS, name="fallback_root")
    _bp.add_route(_not_found, "/<rest:path>", methods=_ALL_METHODS, name="fallback_not_found")


def _not_allowed(allowed: list[str]) -> Any:
    async def not_allowed(request: Request, **_: Any) -> HTTPResponse:
        raise MethodNotAllowed(f"method {request.method} not allowed for {request.path}",
                               method=request.method, allowed_methods=allowed)

    return not_allowed


def finalize() -> None:
    """Answer 405 (with `Allow`) for the methods a known path does not serve, and keep every
    partner route out of the app-wide OpenAPI document. Call once all routes exist."""
    for blueprint in (hotline_bp, open311_bp):
        if getattr(blueprint.ctx, "finalized", False):
            continue
        served: dict[str, set[str]] = {}
        for route in list(blueprint._future_routes):
            if route.handler is not _not_found:
                served.setdefault(route.uri, set()).update(m.upper() for m in route.methods)
        for index, (uri, methods) in enumerate(sorted(served.items())):
            missing = [m for m in _ALL_METHODS if m not in methods and m not in ("HEAD", "OPTIONS")]
            if missing:
                blueprint.add_route(_not_allowed(sorted(methods)), uri, methods=missing, name=f"fallback_method_{index}")
        for route in blueprint._future_routes:
            openapi.exclude()(route.handler)
        blueprint.ctx.finalized = True
