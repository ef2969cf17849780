"""Form posts with files (`multipart/form-data`): `@validate_form(Model, files="photos", max_files=9)`.

The server caps every request body at MAX_REQUEST_BODY_BYTES (1 MiB by default), which is
right for JSON and far too small for photos. Routes that take files are declared with
`stream=True`, which lifts Sanic's cap for them only, and this decorator puts a cap of its
own back before reading anything:

    limit = max_files × UPLOAD_MAX_BYTES + FORM_OVERHEAD_BYTES   (9 × 10 MiB + 1 MiB by default)

* a `Content-Length` above the limit is refused at once (413 `payload_too_large`) without
  reading the body; a chunked body is cut off as soon as it passes the limit;
* more than `max_files` files is 400 `too_many_files` (the appeal service's own rule and
  message, checked here too so nobody uploads 50 photos to hear it);
* the text fields are validated with `Model` like a JSON body (422 `validation_failed`
  with Chinese field messages); unknown fields are refused;
* each file's type and size are the domain's to check (`app.appeal.storage.store` reads
  the first bytes, never trusts the name or the declared type).

Put it below `@authenticated` (nobody unauthenticated gets to send 90 MB) and above
`@idempotent` (which fingerprints the received form). The handler receives `form=` (the
model) and `files=` (a list of `Upload`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import unquote

from pydantic import BaseModel, ValidationError
from sanic import Request
from sanic.exceptions import PayloadTooLarge
from sanic.headers import parse_content_header
from sanic.response import HTTPResponse

from miniprogram_api.errors import ApiError
from miniprogram_api.spec import get_spec
from miniprogram_api.validation import refuse_unstorable, validation_error

__all__ = ["FORM_OVERHEAD_BYTES", "FORM_TYPES", "Upload", "body_limit", "validate_form"]

Handler = Callable[..., Awaitable[HTTPResponse]]
M = TypeVar("M", bound=BaseModel)

FORM_OVERHEAD_BYTES = 1024 * 1024
"""Room for the text fields and the multipart headers beside the files."""
FORM_TYPES = frozenset({"multipart/form-data", "application/x-www-form-urlencoded"})


@dataclass(frozen=True)
class Upload:
    """One uploaded file as the client sent it (name and declared type are hints only)."""

    filename: str
    declared_type: str
    data: bytes


def body_limit(*, max_files: int, upload_max_bytes: int) -> int:
    return max_files * upload_max_bytes + FORM_OVERHEAD_BYTES


def _too_large(max_files: int, upload_max_bytes: int) -> ApiError:
    megabytes = max(1, upload_max_bytes // (1024 * 1024))
    return ApiError(
        "payload_too_large",
        f"上传内容过大：一次最多 {max_files} 个文件，每个不超过 {megabytes} MB",
        details={"max_files": max_files, "max_file_bytes": upload_max_bytes},
    )


def validate_form(model: type[M], *, files: str = "photos", max_files: int) -> Callable[[Handler], Handler]:
    """Read and check a form post (see the module docstring); the handler gets `form=`, `files=`."""

    def decorator(handler: Handler) -> Handler:
        spec = get_spec(handler)
        spec.form = model
        spec.form_files = (files, max_files)
        spec.errors.update({"too_many_files", "unsupported_media_type"})

        @wraps(handler)
        async def wrapper(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
            content_type, _ = parse_content_header(request.headers.get("content-type", ""))
            if content_type not in FORM_TYPES:
                raise ApiError("unsupported_media_type", "请以 multipart/form-data 格式提交表单和图片")
            upload_max_bytes = request.app.ctx.resources.settings.upload_max_bytes
            limit = body_limit(max_files=max_files, upload_max_bytes=upload_max_bytes)
            await _receive(request, limit, max_files, upload_max_bytes)

            parts = list(request.files.getlist(files) or []) if request.files else []
            if len(parts) > max_files:
                raise ApiError(
                    "too_many_files", f"最多上传 {max_files} 张图片或文件", details={"field": files, "max_files": max_files}
                )
            data: dict[str, Any] = {}
            for name, values in (request.form or {}).items():
                data[name] = values[-1] if len(values) == 1 else values
            for name in (request.files or {}):
                if name != files:
                    data[name] = "(file)"  # a file where a text field belongs: let the model refuse it
            try:
                form = model.model_validate(data)
            except ValidationError as exc:
                raise validation_error(exc, model) from None
            refuse_unstorable(form.model_dump(), model)
            uploads = [Upload(filename=_filename(part.name), declared_type=part.type or "", data=part.body) for part in parts]
            return await handler(request, *args, form=form, files=uploads, **kwargs)

        return wrapper

    return decorator


def _filename(raw: str | None) -> str:
    """The name as the person knows it: percent-decoded (some clients, aiohttp among them,
    send UTF-8 names that way), without any client-side directory, at most 200 characters."""
    name = unquote(raw or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    return "".join(ch for ch in name if ch.isprintable())[:200]


async def _receive(request: Request, limit: int, max_files: int, upload_max_bytes: int) -> None:
    """Read the body under `limit` (the route is `stream=True`, so Sanic has not read it)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(max_files, upload_max_bytes)
    stream = request.stream
    if stream is not None and getattr(stream, "request_body", None):
        stream.request_max_size = limit
    try:
        await request.receive_body()
    except PayloadTooLarge:
        raise _too_large(max_files, upload_max_bytes) from None
