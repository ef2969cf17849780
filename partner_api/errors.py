"""The error bodies of the partner APIs: one shape per API, chosen by its own conventions.

* 12345 hotline: `{"error": {"code", "message" (English), "message_zh", "fields": [...]}}`
  — `code` is stable for programs, both messages are precise enough to fix the call.
* Open311 GeoReport v2: the specification's error list `[{"code": <HTTP status>,
  "description": "..."}]` (or `<errors><error>…` in XML), with the same HTTP status.

Tracebacks never leave the server; a 500 carries the request id to quote to the operator.
"""

from __future__ import annotations

import logging
from typing import Any

from sanic import Request
from sanic.exceptions import SanicException
from sanic.response import HTTPResponse

from app.appeal.errors import AppealError, AppealNotFound
from app.appeal.hotline import FieldProblem, TicketInvalid
from app.appeal.open311 import Open311Error
from partner_api.render import json_response

__all__ = ["HotlineError", "hotline_error_response", "open311_error_from"]

logger = logging.getLogger("qiyun.partner")


class HotlineError(Exception):
    """Raise in the hotline API to answer with its error body."""

    def __init__(self, status: int, code: str, message: str, message_zh: str,
                 fields: list[FieldProblem] | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.message_zh = status, code, message, message_zh
        self.fields = fields or []
        self.headers = headers or {}


_SANIC = {
    400: ("bad_request", "bad request", "请求格式错误"),
    404: ("not_found", "no such endpoint", "接口不存在"),
    405: ("method_not_allowed", "method not allowed", "不支持该请求方法"),
    408: ("request_timeout", "request timeout", "请求超时"),
    413: ("payload_too_large", "request body too large", "请求内容过大"),
}


def _request_id(request: Request | None) -> str | None:
    return getattr(request.ctx, "request_id", None) if request is not None else None


def hotline_error(request: Request, exc: Exception) -> HotlineError:
    """Any exception raised under the hotline API, as a HotlineError."""
    if isinstance(exc, HotlineError):
        return exc
    if isinstance(exc, TicketInvalid):
        return HotlineError(422, "invalid_ticket", "the ticket has invalid fields", "工单字段有误", exc.problems)
    if isinstance(exc, AppealNotFound):
        return HotlineError(404, "ticket_not_found", "no appeal was filed for this ticket number", exc.message)
    if isinstance(exc, AppealError):
        return HotlineError(exc.status, exc.code, exc.message, exc.message)
    if isinstance(exc, SanicException) and exc.status_code < 500:
        code, message, message_zh = _SANIC.get(exc.status_code, ("bad_request", str(exc), "请求有误"))
        headers = dict(getattr(exc, "headers", None) or {})
        return HotlineError(exc.status_code, code, message, message_zh, headers=headers)
    logger.exception("hotline API failed", extra={"request_id": _request_id(request)})
    rid = _request_id(request)
    return HotlineError(500, "internal_error", f"internal error (request id {rid})", f"服务器内部错误（请求编号 {rid}）")


def hotline_error_response(request: Request, exc: Exception) -> HTTPResponse:
    error = hotline_error(request, exc)
    body: dict[str, Any] = {"code": error.code, "message": error.message, "message_zh": error.message_zh}
    if error.fields:
        body["fields"] = [
            {"field": p.field, "code": p.code, "message": p.message, "message_zh": p.message_zh} for p in error.fields
        ]
    return json_response({"error": body}, status=error.status, headers=error.headers)


def open311_error_from(request: Request, exc: Exception) -> Open311Error:
    """Any exception raised under the Open311 API, as an Open311Error."""
    if isinstance(exc, Open311Error):
        return exc
    if isinstance(exc, AppealError):
        return Open311Error(exc.status, f"{exc.field or exc.code}: {exc.message}")
    if isinstance(exc, SanicException) and exc.status_code < 500:
        return Open311Error(exc.status_code, _SANIC.get(exc.status_code, ("", str(exc), ""))[1])
    logger.exception("Open311 API failed", extra={"request_id": _request_id(request)})
    return Open311Error(500, f"internal error (request id {_request_id(request)})")
