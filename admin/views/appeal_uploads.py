"""Forms with attachments on the appeal pages (a reply's PDF, a walk-in's photos).

The server caps every request body at MAX_REQUEST_BODY_BYTES (1 MiB by default): right for
forms, far too small for a phone photo. The appeal routes that take files are declared with
`stream=True`, which lifts Sanic's cap for them only, and `read_upload_body` puts a cap of
its own back:

    limit = MAX_FILES × UPLOAD_MAX_BYTES + FORM_OVERHEAD_BYTES   (9 × 10 MiB + 1 MiB by default)

It must read the body before the admin's request hook (`admin.security.start_request`)
looks for the CSRF token in the form, so it is registered with a higher priority. Only a
request carrying a live signed-in session is read at all: anyone else gets the usual
sign-in redirect or CSRF refusal from that hook, without us receiving their upload. Each
file's type and size are then the domain's to check (`app.appeal.storage.store`).
"""

from __future__ import annotations

from urllib.parse import unquote

from sanic import Request
from sanic.exceptions import PayloadTooLarge
from sanic.response import HTTPResponse

from admin.blueprint import bp
from admin.render import render
from admin.security import store_for
from admin.sessions import COOKIE
from app.appeal.errors import AppealError
from app.appeal.service import MAX_ATTACHMENTS, IncomingFile

__all__ = ["FORM_OVERHEAD_BYTES", "UPLOAD_ROUTES", "body_limit", "read_upload_body", "uploads"]

FORM_OVERHEAD_BYTES = 1024 * 1024
"""Room for the text fields and the multipart headers beside the files."""
UPLOAD_ROUTES: set[str] = set()
"""Names of the streaming admin routes whose body is read here (see `upload_route`)."""
FIELD = "attachments"


def upload_route(name: str) -> str:
    """Declare a `stream=True` route of the admin blueprint as taking attachments."""
    UPLOAD_ROUTES.add(name)
    return name


def body_limit(upload_max_bytes: int) -> int:
    return MAX_ATTACHMENTS * upload_max_bytes + FORM_OVERHEAD_BYTES


@bp.on_request(priority=100)
async def read_upload_body(request: Request) -> HTTPResponse | None:
    route = request.route
    if route is None or route.name.rsplit(".", 1)[-1] not in UPLOAD_ROUTES or request.stream is None:
        return None
    if not getattr(request.stream, "request_body", None):
        return None  # no body to read (or already read)
    session = await store_for(request).load(request.cookies.get(COOKIE))
    if session is None or session.staff_id is None:
        return None  # the security hook sends them to sign in; their upload is never read
    settings = request.app.ctx.resources.settings
    limit = body_limit(settings.upload_max_bytes)
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        return _too_large(request, settings.upload_max_bytes)
    request.stream.request_max_size = limit
    try:
        await request.receive_body()
    except PayloadTooLarge:
        return _too_large(request, settings.upload_max_bytes)
    return None


def _too_large(request: Request, upload_max_bytes: int) -> HTTPResponse:
    megabytes = max(1, upload_max_bytes // (1024 * 1024))
    return render(request, "error.html", status=413, title="上传内容过大",
                  message=f"一次最多上传 {MAX_ATTACHMENTS} 个附件，每个不超过 {megabytes} MB。请返回上一页重新选择文件。")


def uploads(request: Request) -> list[IncomingFile]:
    """The files of a multipart form (an empty file input sends one nameless empty part)."""
    files = request.files
    parts = [part for part in (files.getlist(FIELD) if files else None) or [] if part.body or part.name]
    if len(parts) > MAX_ATTACHMENTS:
        raise AppealError(f"最多上传 {MAX_ATTACHMENTS} 个附件", code="too_many_files", field=FIELD)
    return [IncomingFile(data=part.body, filename=_filename(part.name or "")) for part in parts]


def _filename(raw: str) -> str:
    """The name as the person knows it: browsers send UTF-8 as is, some clients (aiohttp
    among them) percent-encode it; without any client-side directory, at most 200 characters."""
    name = raw
    if "%" in name:
        try:
            name = unquote(name, errors="strict")
        except UnicodeDecodeError:
            pass
    name = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    return "".join(ch for ch in name if ch.isprintable())[:200]
