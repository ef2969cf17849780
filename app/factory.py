"""The Sanic application factory: every server worker, and every test, builds the app here."""

from __future__ import annotations

import logging
import re
import time
import uuid
from functools import partial
from inspect import isawaitable

from sanic import Request, Sanic
from sanic.response import HTTPResponse, empty

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
    _register_metrics(app, settings)
    _register_blueprints(app)
    _add_head_and_options_routes(app)
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

    _register_path_types(app)
    for blueprint in (ops_bp, wechat_bp, miniprogram_bp, admin_bp):
        app.blueprint(blueprint)
    app.blueprint(files_bp)  # signed links to appeal files (app/files.py)
    app.blueprint(partner_bp)  # server-to-server intake: 12345 hotline and Open311 (partner_api/)


async def _head(request: Request, get_handler, *args, **kwargs):
    """HEAD answers as GET does (Sanic sends no body for HEAD)."""
    response = get_handler(request, *args, **kwargs)
    return await response if isawaitable(response) else response


async def _options(request: Request, methods, *args, **kwargs) -> HTTPResponse:
    answer = empty()
    answer.headers["allow"] = ",".join([*methods, "OPTIONS"])
    return answer


def _add_head_and_options_routes(app: Sanic) -> None:
    """HEAD for every GET route and OPTIONS for every path, added while the app is built.

    sanic-ext adds the same routes in a `before_server_start` listener, one `add_route` at a
    time on a started app, and each of those re-compiles Sanic's signal router: with our ~450
    routes that was 110 s of a 125 s worker start on a busy 2-core host (Sanic kills a worker
    that takes longer than its ack timeout). Added here, before the app starts, the routes cost
    milliseconds and sanic-ext's listener finds nothing left to add. Same handlers and names
    (`<route>_head`, `<route>_options`) as sanic-ext's, so behaviour is unchanged.
    """
    for group in list(app.router.groups.values()):
        if "GET" in group.methods and "HEAD" not in group.methods:
            for route in group:
                if "GET" in route.methods:
                    app.add_route(
                        partial(_head, get_handler=route.handler), group.uri, methods=["HEAD"],
                        strict_slashes=group.strict, name=f"{route.name.split('.', 1)[-1]}_head",
                        host=route.requirements.get("host"), unquote=group.unquote,
                    )
    for group in list(app.router.groups.values()):
        if "OPTIONS" not in group.methods:
            base = next((r for r in group if not r.name.endswith("_head")), group[0])
            app.add_route(
                partial(_options, methods=group.methods), group.uri, methods=["OPTIONS"],
                strict_slashes=group.strict, name=f"{base.name.split('.', 1)[-1]}_options",
                unquote=group.unquote,
            )


_DATABASE_INT_MAX = 2**31 - 1  # PostgreSQL's `integer`, the id columns' type


def _database_int(value: str) -> int:
    """An `<name:int>` path segment, only when a database id could hold it: a larger number
    (as a fuzzer sends) is no route, 404, instead of an overflow in the driver, 500."""
    number = int(value)
    if not -_DATABASE_INT_MAX <= number <= _DATABASE_INT_MAX:
        raise ValueError("out of the id range")
    return number


def _register_path_types(app: Sanic) -> None:
    """Replace Sanic's unbounded `int` path type with `_database_int` for every route."""
    app.router.register_pattern("int", _database_int, r"^-?\d+$")


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


def _register_metrics(app: Sanic, settings: Settings) -> None:
    """Count every answered request by method, route name and status (app/ops/metrics.py)."""
    from app.ops import metrics

    metrics.configure(settings)

    @app.on_request(priority=99)
    async def metrics_start(request: Request) -> None:
        request.ctx.metrics_started = time.perf_counter()
        metrics.http_started(request.method)

    @app.on_response(priority=99)
    async def metrics_finish(request: Request, response: HTTPResponse) -> None:
        started = getattr(request.ctx, "metrics_started", None)
        route = metrics.route_label(request.app.name, request.route.name if request.route else None)
        elapsed = time.perf_counter() - started if started is not None else None
        metrics.observe_http(request.method, route, response.status, elapsed, started=started is not None)
