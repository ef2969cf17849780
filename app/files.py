"""Files behind signed links: `GET /files/appeal/<id>?expires=&sig=`.

Appeal photos and attachments are shown by the mini-program's `<image>`, the H5 pages,
the admin, and fetched by WeChat's media check — none of which carries a session that
could be checked here. So the link itself is the permission: it is signed with SECRET_KEY
and expires (`app.appeal.storage.signed_url`), and is only issued to someone who may see
the appeal (`app.appeal.queries`) or to WeChat.

* A missing, tampered or expired signature is 403, before anything is looked up, so a
  bad link says nothing about whether the attachment exists.
* A valid link to an attachment (or file) that is gone is 404.
* The file is streamed with the content type decided when it was stored (from its bytes,
  never from what the uploader claimed), `nosniff`, and shown inline; caches may keep it
  privately until the link expires.
"""

from __future__ import annotations

import time
from urllib.parse import quote

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, ResponseStream, file_stream, json, redirect

from app.appeal import storage
from app.appeal.errors import AppealNotFound
from app.appeal.queries import attachment_file

__all__ = ["bp"]

bp = Blueprint("files", url_prefix="/files")

CHUNK_BYTES = 64 * 1024


def _error(status: int, code: str, message: str) -> HTTPResponse:
    return json({"error": {"code": code, "message": message, "details": {}}}, status=status,
                headers={"Cache-Control": "no-store"}, ensure_ascii=False)


@bp.get("/appeal/<attachment_id:int>")
async def appeal_attachment(request: Request, attachment_id: int) -> HTTPResponse | ResponseStream:
    settings = request.app.ctx.resources.settings
    expires = request.args.get("expires", "")
    sig = request.args.get("sig", "")
    if not storage.verify(attachment_id, expires, sig, settings=settings):
        return _error(403, "invalid_signature", "链接无效或已过期，请刷新页面后重试")
    try:
        found = await attachment_file(attachment_id=attachment_id, settings=settings)
    except AppealNotFound as exc:
        return _error(404, "not_found", exc.message)
    max_age = max(0, int(expires) - int(time.time()))
    headers = {
        "Cache-Control": f"private, max-age={max_age}",
        "X-Content-Type-Options": "nosniff",
        "Content-Disposition": f"inline; filename*=UTF-8''{quote(found.filename or 'file')}",
    }
    if found.redirect:
        return redirect(found.redirect, headers={"Cache-Control": headers["Cache-Control"]})
    assert found.path is not None
    return await file_stream(found.path, chunk_size=CHUNK_BYTES, mime_type=found.content_type, headers=headers)
