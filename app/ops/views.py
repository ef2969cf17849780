"""Liveness and readiness, for load balancers and orchestrators; Prometheus metrics for monitoring."""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import logging

from sanic import Blueprint, Request, json
from sanic.response import HTTPResponse, raw

from app import db

bp = Blueprint("ops")
logger = logging.getLogger("qiyun.metrics")

CHECK_TIMEOUT_S = 2.0


@bp.get("/healthz")
async def healthz(request: Request) -> HTTPResponse:
    """Alive: the process answers. Says nothing about its dependencies, on purpose."""
    return json({"status": "ok"})


@bp.get("/readyz")
async def readyz(request: Request) -> HTTPResponse:
    """Ready: database and Redis reachable and every migration applied. A worker whose
    connections are not open yet (the moment after it starts) is not ready either: 503."""
    resources = getattr(request.app.ctx, "resources", None)
    if resources is None:
        checks = {name: "starting" for name in ("database", "redis", "migrations")}
        return json({"status": "starting", "checks": checks}, status=503, headers={"Retry-After": "1"})
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
    await check("redis", resources.redis.ping)
    if checks["database"] == "ok":
        await check("migrations", migrations)
    else:
        checks["migrations"] = "unknown"
    ready = all(value == "ok" for value in checks.values())
    return json({"status": "ok" if ready else "unavailable", "checks": checks}, status=200 if ready else 503)


@bp.get("/metrics")
async def metrics(request: Request) -> HTTPResponse:
    """Prometheus text format for this host (app/ops/metrics.py).

    Off (404) until METRICS_TOKEN is set; then the client must be inside
    METRICS_ALLOW_NETWORKS (when set) and send `Authorization: Bearer <token>`,
    compared in constant time. The token is never logged: only the outcome is.
    """
    from app.ops import metrics as ops_metrics

    settings = request.app.ctx.settings
    expected = settings.metrics_token.get_secret_value()
    if not expected:
        return json({"error": "not_found"}, status=404)
    client = request.remote_addr or request.ip or ""
    if settings.metrics_allow_networks and not _client_allowed(client, settings.metrics_allow_networks):
        logger.warning("metrics scrape refused: client not in METRICS_ALLOW_NETWORKS", extra={"client": client})
        return json({"error": "forbidden"}, status=403)
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), expected.encode()):
        logger.warning("metrics scrape refused: missing or wrong token", extra={"client": client})
        return json(
            {"error": "unauthorized"}, status=401, headers={"WWW-Authenticate": 'Bearer realm="metrics"'}
        )
    body, content_type = await ops_metrics.scrape(
        request.app.ctx.resources.redis, settings, accept=request.headers.get("accept", "")
    )
    return raw(body, content_type=content_type)


def _client_allowed(client: str, networks: list[str]) -> bool:
    try:
        address = ipaddress.ip_address(client)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return any(address in ipaddress.ip_network(net, strict=False) for net in networks)
