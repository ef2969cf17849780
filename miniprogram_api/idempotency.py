"""Idempotency keys for endpoints that create things: `@idempotent`.

Mobile networks drop responses; a mini-program that retries a "create" must not create
twice. With an `Idempotency-Key` header (any 1-255 visible ASCII characters; a UUID is
a good choice) the first response is stored in Redis for 24 h and replayed, with
`Idempotent-Replayed: true`, to the same person sending the same key again:

* same key, same request (method, path and body; JSON key order and a multipart
  boundary ignored) -> the stored response, and the handler does not run again;
* same key, different request -> 422 `idempotency_key_reused`;
* same key while the first request is still running -> wait up to `WAIT_SECONDS` for
  its outcome, then 409 `idempotency_request_in_progress` with `Retry-After`.

Outcomes are stored for 2xx and 4xx answers (a refused request stays refused, which is
what a retry should see) except 409 and 429, which say "try again later"; a 5xx or a
crash releases the key so the retry runs for real. Without the header the endpoint
behaves as usual. Keys are scoped per signed-in account, so `@authenticated` must run
first (put it above `@idempotent`).
"""

from __future__ import annotations

import asyncio
import hashlib
import json as jsonlib
import re
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any

from sanic import Request
from sanic.response import HTTPResponse

from miniprogram_api.errors import ApiError, render_exception
from miniprogram_api.spec import get_spec

__all__ = ["HEADER", "RECORD_TTL_SECONDS", "idempotent"]

Handler = Callable[..., Awaitable[HTTPResponse]]

HEADER = "Idempotency-Key"
RECORD_TTL_SECONDS = 24 * 3600
PENDING_TTL_SECONDS = 120
WAIT_SECONDS = 5.0
_POLL_SECONDS = 0.05
_KEY_SHAPE = re.compile(r"^[\x21-\x7e]{1,255}$")
_REDIS_KEY = "qiyun:mp:idempotency:{subject}:{key_hash}"
_UNSTORED_STATUSES = frozenset({409, 429})
_REPLAYED_HEADERS = ("location", "retry-after")


def idempotent(handler: Handler) -> Handler:
    """Make a creating endpoint safe to retry with an `Idempotency-Key` header."""
    get_spec(handler).idempotent = True

    @wraps(handler)
    async def wrapper(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
        key = request.headers.get(HEADER)
        if key is None:
            return await handler(request, *args, **kwargs)
        if not _KEY_SHAPE.match(key):
            raise ApiError("invalid_idempotency_key")
        principal = getattr(request.ctx, "principal", None)
        if principal is None:
            raise RuntimeError("@idempotent needs @authenticated above it")

        redis = request.app.ctx.resources.redis
        redis_key = _REDIS_KEY.format(
            subject=principal.account.id, key_hash=hashlib.sha256(key.encode()).hexdigest()
        )
        fingerprint = _fingerprint(request)
        pending = jsonlib.dumps({"state": "pending", "fingerprint": fingerprint})
        if not await redis.set(redis_key, pending, nx=True, ex=PENDING_TTL_SECONDS):
            return await _answer_duplicate(redis, redis_key, fingerprint)

        stored = False
        try:
            try:
                response = await handler(request, *args, **kwargs)
            except Exception as exc:
                # Rendered here (and logged once, if it is a crash) so a refusal can be stored.
                response = render_exception(request, exc)
            if response.status < 500 and response.status not in _UNSTORED_STATUSES:
                await redis.set(redis_key, _record(fingerprint, response), ex=RECORD_TTL_SECONDS)
                stored = True
            return response
        finally:
            if not stored:
                # A crash, a 5xx, a "try later" or a cancelled request: release the key
                # so the retry runs for real (PENDING_TTL_SECONDS covers a dead process).
                await redis.delete(redis_key)

    return wrapper


async def _answer_duplicate(redis: Any, redis_key: str, fingerprint: str) -> HTTPResponse:
    deadline = asyncio.get_running_loop().time() + WAIT_SECONDS
    while True:
        raw = await redis.get(redis_key)
        if raw is None:
            # The first request failed and released the key just now: let the client retry.
            raise ApiError("idempotency_request_in_progress", headers={"Retry-After": "1"})
        record = jsonlib.loads(raw)
        if record.get("fingerprint") != fingerprint:
            raise ApiError("idempotency_key_reused")
        if record.get("state") == "done":
            return _replay(record)
        if asyncio.get_running_loop().time() >= deadline:
            raise ApiError("idempotency_request_in_progress", headers={"Retry-After": "1"})
        await asyncio.sleep(_POLL_SECONDS)


def _fingerprint(request: Request) -> str:
    """Method, path and body; a JSON body is canonicalised so key order and spacing do not count,
    and a multipart form so its boundary (random per send) does not."""
    raw = request.body or b""
    if request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        body = _form_fingerprint(request)
    else:
        try:
            body = jsonlib.dumps(jsonlib.loads(raw), sort_keys=True, separators=(",", ":")).encode()
        except (ValueError, UnicodeDecodeError):
            body = raw
    digest = hashlib.sha256()
    digest.update(request.method.encode())
    digest.update(b" ")
    digest.update(request.path.encode())
    digest.update(b"\n")
    digest.update(body)
    return digest.hexdigest()


def _form_fingerprint(request: Request) -> bytes:
    """The form's fields and each file's name and content hash, in a stable order."""
    fields = sorted((name, list(values)) for name, values in (request.form or {}).items())
    files = sorted(
        (name, [(item.name or "", hashlib.sha256(item.body).hexdigest()) for item in items])
        for name, items in (request.files or {}).items()
    )
    return jsonlib.dumps({"fields": fields, "files": files}, ensure_ascii=False, separators=(",", ":")).encode()


def _record(fingerprint: str, response: HTTPResponse) -> str:
    headers = {name: response.headers[name] for name in _REPLAYED_HEADERS if name in response.headers}
    return jsonlib.dumps(
        {
            "state": "done",
            "fingerprint": fingerprint,
            "status": response.status,
            "content_type": response.content_type,
            "headers": headers,
            "body": (response.body or b"").decode("utf-8"),
        },
        ensure_ascii=False,
    )


def _replay(record: dict[str, Any]) -> HTTPResponse:
    response = HTTPResponse(
        record.get("body", "").encode("utf-8"),
        status=int(record["status"]),
        content_type=record.get("content_type") or "application/json",
    )
    for name, value in (record.get("headers") or {}).items():
        response.headers[name] = value
    response.headers["Idempotent-Replayed"] = "true"
    return response
