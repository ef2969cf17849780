"""The Sanic application factory: every server worker, and every test, builds the app here."""

from __future__ import annotations

import logging
import re
import time
import uuid

from sanic import Request, Sanic
from sanic.response import HTTPResponse

from app.config import Settings, load_settings
from app.logs import request_id_var
from app.resources import open_resources

logger = logging.getLogger("qiyun.http")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def create_app(settings: Settings | None = None, *, name: str = "qiyun", manage_resources: bool = True) -> Sanic:
    """Build the app. Tests pass `manage_resources=False` and open resources themselves."""
    settings = settings or load_settings()
    app = Sanic(name, configure_logging=False)  # app.logs configures logging once
    app.config.REQUEST_MAX_SIZE = settings.max_request_body_bytes
    app.config.GRACEFUL_SHUTDOWN_TIMEOUT = 15.0
    app.config.MOTD = False
    app.config.ACCESS_LOG = False  # our own access line below carries the request id and latency
    app.config.FALLBACK_ERROR_FORMAT = "json"
    # Behind nginx the peer is the proxy: per-IP rate limits, sign-in lock-outs and the
    # audit log need the client's address, which only the configured proxies may assert.
    app.config.PROXIES_COUNT = settings.proxies_count
    if settings.real_ip_header:
        app.config.REAL_IP_HEADER = settings.real_ip_header
    app.ctx.settings = settings

    _register_request_context(app)
    _register_blueprints(app)
    if manage_resources:
        _register_resource_listeners(app, settings)
    return app


def _register_blueprints(app: Sanic) -> None:
    """Every transport registers here: ops, the official account, the mini-program API, the admin."""
    from admin.routes import bp as admin_bp
    from app.files import bp as files_bp
    from app.ops.views import bp as ops_bp
    from handlers.routes import bp as wechat_bp
    from miniprogram_api.routes import bp as miniprogram_bp
    from partner_api import bp as partner_bp

    for blueprint in (ops_bp, wechat_bp, miniprogram_bp, admin_bp):
        app.blueprint(blueprint)
    app.blueprint(files_bp)  # signed links to appeal files (app/files.py)
    app.blueprint(partner_bp)  # server-to-server intake: 12345 hotline and Open311 (partner_api/)


def _register_resource_listeners(app: Sanic, settings: Settings) -> None:
    from app.policy import segment

    @app.before_server_start
    async def open_(app: Sanic) -> None:
        from app.outbox.jobs import notify_hook
        from app.outbox.wake import set_wake_hook

        app.ctx.resources = await open_resources(settings)
        # Domain steps wake the outbox worker after commit (an arq job through this Redis).
        set_wake_hook(notify_hook(app.ctx.resources.redis))
        # Load the Chinese tokenizer (~1 s) before traffic, not in the first search's request.
        await segment.ensure_ready()

    @app.after_server_stop
    async def close_(app: Sanic) -> None:
        from app.outbox.wake import set_wake_hook

        set_wake_hook(None)
        await app.ctx.resources.aclose()


def _register_request_context(app: Sanic) -> None:
    @app.on_request(priority=100)
    async def start(request: Request) -> None:
        incoming = request.headers.get("x-request-id", "")
        request.ctx.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.ctx.started = time.perf_counter()
        request_id_var.set(request.ctx.request_id)

    @app.on_response(priority=100)
    async def finish(request: Request, response: HTTPResponse) -> None:
        request_id = getattr(request.ctx, "request_id", None)
        if request_id is None:
            return
        response.headers["X-Request-ID"] = request_id
        elapsed_ms = (time.perf_counter() - request.ctx.started) * 1000
        logger.info(
            "%s %s %s",
            request.method,
            request.path,
            response.status,
            extra={"status": response.status, "latency_ms": round(elapsed_ms, 1), "path": request.path},
        )
