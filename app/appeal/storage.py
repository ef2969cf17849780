"""Appeal photos and attachments on disk, and the signed links that show them.

Files are stored under `UPLOAD_DIR` by content hash (`appeal/ab/abcdef….jpg`), so the same
photo sent twice is stored once. Several hosts must share that directory (a network volume);
the database keeps only the key. The type is decided by the file's first bytes, never by
the name or the Content-Type the client sent.

Links are signed with SECRET_KEY and expire, because WeChat's media check, the admin and
the mini-program fetch them without a session.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass
from pathlib import Path

from app.appeal.errors import AppealError
from app.config import Settings

__all__ = ["ALLOWED_TYPES", "StoredFile", "open_file", "sign", "signed_url", "sniff", "store", "verify"]

ALLOWED_TYPES: dict[str, str] = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
    "image/webp": "webp",
    "application/pdf": "pdf",
}
IMAGE_TYPES = frozenset(t for t in ALLOWED_TYPES if t.startswith("image/"))


@dataclass(frozen=True)
class StoredFile:
    storage_key: str
    content_type: str
    size: int
    sha256: str


def sniff(data: bytes) -> str | None:
    """The content type told by the first bytes, or None if it is not one we accept."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def store(data: bytes, *, settings: Settings, images_only: bool = False) -> StoredFile:
    """Check and write one file; AppealError (Chinese, for the person uploading) if refused."""
    if not data:
        raise AppealError("上传的文件是空的", code="empty_file", field="attachments")
    if len(data) > settings.upload_max_bytes:
        limit = settings.upload_max_bytes // (1024 * 1024)
        raise AppealError(f"单个文件不能超过 {limit} MB", code="file_too_large", field="attachments")
    content_type = sniff(data)
    if content_type is None or (images_only and content_type not in IMAGE_TYPES):
        allowed = "JPG、PNG、GIF、WEBP 图片" + ("" if images_only else "或 PDF 文件")
        raise AppealError(f"只能上传{allowed}", code="file_type_not_allowed", field="attachments")
    digest = hashlib.sha256(data).hexdigest()
    key = f"appeal/{digest[:2]}/{digest}.{ALLOWED_TYPES[content_type]}"
    path = settings.resolved_upload_dir / key
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(path.suffix + ".part")
        partial.write_bytes(data)
        partial.replace(path)  # atomic: a reader never sees half a file
    return StoredFile(storage_key=key, content_type=content_type, size=len(data), sha256=digest)


def open_file(storage_key: str, *, settings: Settings) -> Path:
    """The file's path; FileNotFoundError if the key is not a stored file."""
    root = settings.resolved_upload_dir
    path = (root / storage_key).resolve()
    if root not in path.parents or not path.is_file():
        raise FileNotFoundError(storage_key)
    return path


def sign(attachment_id: int, expires: int, *, settings: Settings) -> str:
    message = f"appeal-attachment:{attachment_id}:{expires}".encode()
    return hmac.new(settings.secret_key.get_secret_value().encode() or b"dev", message, hashlib.sha256).hexdigest()[:32]


def signed_url(attachment_id: int, *, settings: Settings, ttl_seconds: int = 3600, absolute: bool = False) -> str:
    """A link to `/files/appeal/<id>` valid for `ttl_seconds`."""
    expires = int(time.time()) + ttl_seconds
    path = f"/files/appeal/{attachment_id}?expires={expires}&sig={sign(attachment_id, expires, settings=settings)}"
    return settings.public_base_url.rstrip("/") + path if absolute else path


def verify(attachment_id: int, expires: str | int, sig: str, *, settings: Settings) -> bool:
    try:
        expires_at = int(expires)
    except (TypeError, ValueError):
        return False
    if expires_at < time.time():
        return False
    return hmac.compare_digest(sign(attachment_id, expires_at, settings=settings), sig or "")
