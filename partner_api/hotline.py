"""The 12345 hotline's API: file a ticket, read its status (see docs/partner-api.md).

`POST /partner/12345/v1/tickets` (JSON) files a ticket: 201 the first time, 200 with the
same appeal for a ticket number filed before, 422 listing every field at fault.
`GET /partner/12345/v1/tickets/<ticket_no>` answers the appeal's status, its public
timeline, the reply and the enterprise's satisfaction.
`POST /partner/12345/v1/tickets/<ticket_no>/feedback` records the hotline's 回访: resolved or
not and the 好差评 level, which closes (or reopens once) the appeal. Both are signed (`partner_api.auth`);
the rules are in `app.appeal.hotline`.
"""

from __future__ import annotations

import json
from urllib.parse import quote

from sanic import Request
from sanic.response import HTTPResponse

from app.appeal import hotline
from partner_api.blueprint import HOTLINE_PREFIX, hotline_bp
from app.appeal.checks import TextCheck
from partner_api.errors import HotlineError
from partner_api.render import json_response


def _warnings(problems: list[hotline.FieldProblem]) -> list[dict[str, str]]:
    return [{"field": p.field, "code": p.code, "message": p.message, "message_zh": p.message_zh} for p in problems]


@hotline_bp.post("/tickets")
async def file_ticket(request: Request) -> HTTPResponse:
    resources = request.app.ctx.resources
    try:
        ticket = json.loads(request.body or b"")
    except (ValueError, UnicodeDecodeError):
        raise HotlineError(400, "invalid_json", "the body must be UTF-8 JSON", "请求体必须是 UTF-8 编码的 JSON") from None
    check = TextCheck(resources.miniprogram)
    receipt = await hotline.receive_ticket(ticket=ticket, settings=resources.settings, check_text=check)
    body = {"created": receipt.created, "warnings": _warnings(receipt.warnings),
            **await hotline.status_payload(receipt.appeal)}
    location = f"{HOTLINE_PREFIX}/tickets/{quote(receipt.appeal.external_id or '', safe='')}"
    return json_response(body, status=201 if receipt.created else 200, headers={"Location": location})


@hotline_bp.get("/tickets/<ticket_no:str>")
async def ticket_status(request: Request, ticket_no: str) -> HTTPResponse:
    return json_response(await hotline.ticket_status(ticket_no=ticket_no))


@hotline_bp.post("/tickets/<ticket_no:str>/feedback")
async def ticket_follow_up(request: Request, ticket_no: str) -> HTTPResponse:
    """The hotline's 回访: the enterprise's verdict on the reply, heard on the phone."""
    try:
        feedback = json.loads(request.body or b"")
    except (ValueError, UnicodeDecodeError):
        raise HotlineError(400, "invalid_json", "the body must be UTF-8 JSON", "请求体必须是 UTF-8 编码的 JSON") from None
    settings = request.app.ctx.resources.settings
    return json_response(await hotline.record_follow_up(ticket_no=ticket_no, feedback=feedback, settings=settings))
