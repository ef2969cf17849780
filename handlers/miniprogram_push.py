"""The mini-program's message push (消息推送): `GET` for WeChat's URL check, `POST` for events.

Configured in the mini-program's console (开发管理 → 消息推送) as
`PUBLIC_BASE_URL/wechat/miniprogram` with the mini-program's own Token
(`MINIPROGRAM_TOKEN`) and EncodingAESKey (`MINIPROGRAM_AES_KEY`); WeChat signs with that
token and encrypts with that key and the mini-program's appid. It is where WeChat sends the
verdicts of `media_check_async` (`wxa_media_check`), which never reach the official
account's callback.

The same defences as the official account's callback (`handlers/callback.py`), with the
mini-program's credentials: `CallbackGuard` (signature, replay window, nonce, decryption,
hostile XML), a 64 KB streamed body cap, and a Redis claim so that WeChat's retries of one
push, on any process, are handled once. The data format may be XML or JSON (either is a
console setting), in plain, compatible or safe mode. WeChat expects `success` and nothing
else: the handler runs under the callback's deadline and, if slower, finishes after the
answer (`handlers.miniprogram_events`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING

from sanic import Request, Sanic
from sanic.response import HTTPResponse, text

from handlers import dedup, modules  # noqa: F401  (modules: every handler module registers on import)
from handlers.callback import DEADLINE_S, cached_guard, keep_task, query_params, read_body, refuse
from handlers.inbound import Inbound, MalformedMessage, parse_inbound, parse_inbound_json
from handlers.miniprogram_events import process
from handlers.security import MAX_CALLBACK_BODY, CallbackGuard, CallbackRejected, OpenedCallback

if TYPE_CHECKING:
    from app.resources import Resources

__all__ = ["CLAIM_SCOPE", "NONCE_SCOPE", "miniprogram_guard", "receive", "verify"]

logger = logging.getLogger("qiyun.miniprogram_push")

NONCE_SCOPE = "mp:"
"""Keeps the mini-program's nonces apart from the official account's in Redis."""
CLAIM_SCOPE = "mp:"
"""Keeps the mini-program's retry claims apart from the official account's."""


def miniprogram_guard(app: Sanic) -> CallbackGuard:
    """The mini-program's guard for this worker (built once per resources)."""
    return cached_guard(app, "miniprogram", _build_guard)


def _build_guard(resources: Resources) -> CallbackGuard:
    settings = resources.settings
    token = settings.miniprogram_token.get_secret_value()
    if not token:
        # An empty token would make every signature computable by anyone.
        raise CallbackRejected(503, "MINIPROGRAM_TOKEN is not configured")
    return CallbackGuard(
        token=token,
        aes_key=settings.miniprogram_aes_key.get_secret_value() or None,
        appid=settings.miniprogram_appid,
        replay_window=settings.wechat_replay_window,
        redis=resources.redis,
        scope=NONCE_SCOPE,
        formats=("xml", "json"),
    )


async def verify(request: Request) -> HTTPResponse:
    """WeChat's server check when the push URL is saved: echo `echostr` if the signature is ours."""
    args = query_params(request)
    try:
        echostr = miniprogram_guard(request.app).verify_url(
            signature=args.get("signature", ""),
            timestamp=args.get("timestamp", ""),
            nonce=args.get("nonce", ""),
            echostr=args.get("echostr", ""),
        )
    except CallbackRejected as rejected:
        return refuse(rejected)
    return text(echostr)


async def receive(request: Request) -> HTTPResponse:
    """An event pushed for the mini-program: verified, handled once, answered `success`."""
    started = time.monotonic()
    try:
        guard = miniprogram_guard(request.app)
        body = await read_body(request, MAX_CALLBACK_BODY)
        opened = await guard.open(params=query_params(request), body=body)
        inbound = _parse(opened)
    except CallbackRejected as rejected:
        return refuse(rejected)
    except MalformedMessage as exc:
        return refuse(CallbackRejected(400, str(exc)))
    await _handle_once(request.app, inbound, deadline=started + DEADLINE_S)
    return text("success")


def _parse(opened: OpenedCallback) -> Inbound:
    if opened.data_format == "json":
        return parse_inbound_json(opened.plaintext)
    return parse_inbound(opened.plaintext)


async def _handle_once(app: Sanic, inbound: Inbound, *, deadline: float) -> None:
    """Handle the push if this is its first try; wait for it at most until `deadline`.

    A retry (or a duplicate) returns at once: the first try is handling it, and WeChat
    wants nothing but `success`. The work is not cancelled at the deadline, or if WeChat
    drops the connection: it finishes in the background and is waited for at shutdown.
    """
    resources: Resources = app.ctx.resources
    claim = await dedup.claim(resources.redis, CLAIM_SCOPE + dedup.dedup_key(inbound.raw))
    if not claim.owner:
        logger.info("mini-program push already claimed: a retry", extra={"openid": inbound.openid})
        return
    work = asyncio.create_task(_process(claim, inbound, resources))
    keep_task(app, work)
    done, _ = await asyncio.wait({work}, timeout=max(0.0, deadline - time.monotonic()))
    if not done:
        logger.info("mini-program event handler over the deadline; finishing later", extra={"openid": inbound.openid})


async def _process(claim: dedup.Claim, inbound: Inbound, resources: Resources) -> None:
    try:
        await process(inbound, resources=resources)
    except Exception:  # the log line could not be written (database down): nothing to retry with
        logger.exception("mini-program push not processed", extra={"openid": inbound.openid})
    finally:
        await claim.finish("success")
