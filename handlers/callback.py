"""The official account's callback: `GET` for WeChat's URL check, `POST` for messages and events.

Three rules shape it:

* Nothing unverified gets in: `CallbackGuard` checks signatures, decrypts, refuses
  replays and hostile XML; the body is read with a hard cap before any of that.
* Exactly once: WeChat retries a message it got no answer to within 5 s (3 tries in
  all, possibly on other processes). The first try claims the message in Redis and
  handles it; the others wait for its reply and send the same bytes again.
* Always within 5 s: the handler runs under a deadline (`DEADLINE_S`). If it is still
  busy then, WeChat gets `success` at once and the reply follows as a customer-service
  message when the handler finishes (`handlers.delivery`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from redis.exceptions import RedisError
from sanic import Request, Sanic
from sanic.response import HTTPResponse, text

from handlers import dedup
from handlers.delivery import deliver_late, record_passive_reply
from handlers.inbound import Inbound, MalformedMessage, parse_inbound
from handlers.pipeline import APOLOGY, process
from handlers.context import Context
from handlers.replies import Text, render
from handlers.security import MAX_CALLBACK_BODY, CallbackGuard, CallbackRejected, ReplayCheckUnavailable

if TYPE_CHECKING:
    from app.resources import Resources

__all__ = [
    "DEADLINE_S",
    "cached_guard",
    "callback_guard",
    "drain_late_replies",
    "keep_task",
    "query_params",
    "read_body",
    "receive",
    "refuse",
    "verify",
]

logger = logging.getLogger("qiyun.callback")

DEADLINE_S = 4.0
"""Time a handler has before WeChat is told `success` (WeChat gives up after 5 s)."""
DRAIN_TIMEOUT_S = 15.0
UNAVAILABLE = "抱歉，系统正在恢复中，您刚才的消息未能处理，请稍后重新发送。"
"""The passive reply while Redis is unreachable: nothing was done, and the follower knows to resend."""


def callback_guard(app: Sanic) -> CallbackGuard:
    """The official account's guard for this worker (see `cached_guard`)."""
    return cached_guard(app, "official_account", _official_account_guard)


def _official_account_guard(resources: Resources) -> CallbackGuard:
    settings = resources.settings
    token = settings.wechat_token.get_secret_value()
    if not token:
        # An empty token would make every signature computable by anyone.
        raise CallbackRejected(503, "WECHAT_TOKEN is not configured")
    return CallbackGuard(
        token=token,
        aes_key=settings.wechat_aes_key.get_secret_value() or None,
        appid=settings.wechat_appid,
        replay_window=settings.wechat_replay_window,
        redis=resources.redis,
    )


def cached_guard(app: Sanic, name: str, build: Callable[[Resources], CallbackGuard]) -> CallbackGuard:
    """This worker's guard `name`, built on first use by `build` from the settings and the
    worker's Redis (raising `CallbackRejected` 503 when the app's token is not configured).

    Rebuilt only if the app's resources are replaced (tests hand each test its own).
    """
    resources: Resources = app.ctx.resources
    guards: dict[str, tuple[Resources, CallbackGuard]] | None = getattr(app.ctx, "callback_guards", None)
    if guards is None:
        guards = app.ctx.callback_guards = {}
    cached = guards.get(name)
    if cached is not None and cached[0] is resources:
        return cached[1]
    guard = build(resources)
    guards[name] = (resources, guard)
    return guard


async def verify(request: Request) -> HTTPResponse:
    """WeChat's server check: echo `echostr` if the signature is ours."""
    args = query_params(request)
    try:
        echostr = callback_guard(request.app).verify_url(
            signature=args.get("signature", ""),
            timestamp=args.get("timestamp", ""),
            nonce=args.get("nonce", ""),
            echostr=args.get("echostr", ""),
        )
    except CallbackRejected as rejected:
        return refuse(rejected)
    return text(echostr)


async def receive(request: Request) -> HTTPResponse:
    """A message or event from WeChat; answers within the deadline, always."""
    started = time.monotonic()
    redis_down = False
    try:
        guard = callback_guard(request.app)
        body = await read_body(request, MAX_CALLBACK_BODY)
        try:
            opened = await guard.open(params=query_params(request), body=body)
        except ReplayCheckUnavailable as unavailable:
            opened, redis_down = unavailable.opened, True
        inbound = parse_inbound(opened.plaintext)
    except CallbackRejected as rejected:
        return refuse(rejected)
    except MalformedMessage as exc:
        return refuse(CallbackRejected(400, str(exc)))
    reply_xml = ""
    if not redis_down:
        try:
            reply_xml = await _answer(request.app, inbound, deadline=started + DEADLINE_S)
        except RedisError:
            redis_down = True
    if redis_down:
        # Without Redis there is no exactly-once claim (nor nonce record): act on nothing, and
        # tell the follower in a passive reply (WeChat then does not retry) to send it again.
        logger.error(
            "callback: Redis unavailable, message not processed; the follower is asked to resend",
            extra={"openid": inbound.openid, "msg_type": inbound.msg_type},
        )
        reply_xml = render(Text(UNAVAILABLE), inbound)
    sealed = guard.seal(reply_xml, opened) if reply_xml else ""
    if not sealed:
        return text("success")
    return HTTPResponse(sealed, content_type="application/xml; charset=utf-8")


async def _answer(app: Sanic, inbound: Inbound, *, deadline: float) -> str:
    """The plaintext reply XML for `inbound` ('' for none), exactly once across tries."""
    resources: Resources = app.ctx.resources
    claim = await dedup.claim(resources.redis, dedup.dedup_key(inbound.raw))
    if not claim.owner:
        # A retry (or a duplicate): the first try's reply, or `success` if it is not ready.
        return await claim.wait_for_reply(deadline=deadline) or ""
    # Shielded: if WeChat drops this connection early, the work still finishes and its
    # reply is stored for the retry that WeChat is about to send.
    work = asyncio.create_task(_handle_as_owner(app, claim, inbound, resources, deadline=deadline))
    keep_task(app, work)
    return await asyncio.shield(work)


async def _handle_as_owner(
    app: Sanic, claim: dedup.Claim, inbound: Inbound, resources: Resources, *, deadline: float
) -> str:
    task = asyncio.create_task(process(inbound, resources=resources))
    done, _ = await asyncio.wait({task}, timeout=max(0.0, deadline - time.monotonic()))
    if not done:
        await claim.finish("")
        keep_task(app, asyncio.create_task(_reply_late(task, inbound, resources)))
        logger.info("handler over the deadline; replying later", extra={"openid": inbound.openid})
        return ""
    try:
        ctx, reply = task.result()
    except Exception:
        logger.exception("message could not be processed", extra={"openid": inbound.openid})
        xml = render(Text(APOLOGY), inbound)
        await _finish_claim(claim, xml, inbound)
        return xml
    xml = render(reply, inbound)
    await _finish_claim(claim, xml, inbound)
    try:
        await record_passive_reply(
            follower=ctx.follower, openid=inbound.openid, reply=reply, in_reply_to=inbound.msg_id
        )
    except Exception:  # the follower still gets the reply; only the log line is lost
        logger.exception("passive reply not logged", extra={"openid": inbound.openid})
    if ctx.followups:
        keep_task(app, asyncio.create_task(_send_followups(ctx, inbound, resources)))
    return xml


async def _finish_claim(claim: dedup.Claim, xml: str, inbound: Inbound) -> None:
    """Store the reply for WeChat's retries. The message is handled either way: if Redis went
    away meanwhile, this try still answers (so WeChat has no reason to retry)."""
    try:
        await claim.finish(xml)
    except RedisError:
        logger.error("callback: reply not stored for retries (Redis unavailable)", extra={"openid": inbound.openid})


async def _reply_late(task: asyncio.Task, inbound: Inbound, resources: Resources) -> None:
    try:
        ctx, reply = await task
    except Exception:
        logger.exception("late handler failed", extra={"openid": inbound.openid})
        return
    try:
        await deliver_late(
            wechat=resources.official_account, follower=ctx.follower, reply=reply, in_reply_to=inbound.msg_id
        )
    except Exception:
        logger.exception("late reply failed", extra={"openid": inbound.openid})
    await _send_followups(ctx, inbound, resources)


async def _send_followups(ctx: Context, inbound: Inbound, resources: Resources) -> None:
    """The messages a handler queued after its reply, in order, through the customer-service API."""
    for followup in ctx.followups:
        try:
            await deliver_late(
                wechat=resources.official_account, follower=ctx.follower, reply=followup, in_reply_to=inbound.msg_id
            )
        except Exception:
            logger.exception("follow-up message failed", extra={"openid": inbound.openid})
            return


def keep_task(app: Sanic, task: asyncio.Task) -> None:
    """Hold a reference until done, so the task is neither collected nor forgotten at shutdown
    (`drain_late_replies` waits for it)."""
    tasks: set[asyncio.Task] = _late_tasks(app)
    tasks.add(task)
    task.add_done_callback(tasks.discard)


def _late_tasks(app: Sanic) -> set[asyncio.Task]:
    tasks = getattr(app.ctx, "late_reply_tasks", None)
    if tasks is None:
        tasks = app.ctx.late_reply_tasks = set()
    return tasks


async def drain_late_replies(app: Sanic, timeout: float = DRAIN_TIMEOUT_S) -> None:
    """On shutdown: let replies (and any other kept task) still being worked on finish (bounded)."""
    tasks = set(_late_tasks(app))
    if tasks:
        await asyncio.wait(tasks, timeout=timeout)


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refused with 413 as soon as it is known to exceed `limit` (the route streams)."""
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > limit):
        raise CallbackRejected(413, f"content-length {length[:20]}")
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = await request.stream.read()
        if chunk is None:
            break
        size += len(chunk)
        if size > limit:
            raise CallbackRejected(413, f"body over {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def query_params(request: Request) -> dict[str, str]:
    return {key: values[0] for key, values in request.args.items() if values}


def refuse(rejected: CallbackRejected) -> HTTPResponse:
    logger.warning("callback refused: %s", rejected.reason, extra={"status": rejected.status})
    headers = {"Connection": "close"} if rejected.status == 413 else None
    return text(
        {400: "bad request", 403: "forbidden", 413: "too large"}.get(rejected.status, "unavailable"),
        status=rejected.status,
        headers=headers,
    )
