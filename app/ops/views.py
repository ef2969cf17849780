"""Liveness and readiness, for load balancers and orchestrators."""

from __future__ import annotations

import asyncio

from sanic import Blueprint, Request, json
from sanic.response import HTTPResponse

from app import db

bp = Blueprint("ops")

CHECK_TIMEOUT_S = 2.0


@bp.get("/healthz")
async def healthz(request: Request) -> HTTPResponse:
    """Alive: the process answers. Says nothing about its dependencies, on purpose."""
    return json({"status": "ok"})


@bp.get("/readyz")
async def readyz(request: Request) -> HTTPResponse:
    """Ready: database and Redis reachable and every migration applied."""
    checks: dict[str, str] = {}

    async def check(name: str, probe) -> None:
        try:
            await asyncio.wait_for(probe(), CHECK_TIMEOUT_S)
            checks[name] = "ok"
        except Exception as exc:  # a readiness probe reports, it does not raise
            checks[name] = f"error: {type(exc).__name__}: {exc}"[:200]

    async def migrations() -> None:
        pending = await db.pending_migrations()
        if pending:
            raise RuntimeError(f"{len(pending)} pending: {', '.join(pending[:3])}")

    await check("database", db.ping_database)
    await check("redis", request.app.ctx.resources.redis.ping)
    if checks["database"] == "ok":
        await check("migrations", migrations)
    else:
        checks["migrations"] = "unknown"
    ready = all(value == "ok" for value in checks.values())
    return json({"status": "ok" if ready else "unavailable", "checks": checks}, status=200 if ready else 503)
