"""Tickets: the code printed in a confirmed sign-up's QR code, and the QR code itself.

The QR code encodes the bare ticket code (10 characters of an alphabet without 0/O/1/I),
which is what a USB or phone barcode scanner types into the admin check-in page; the
check-in page also accepts the ticket page's URL, which a phone camera may produce.
"""

from __future__ import annotations

import io
import re
import secrets

import qrcode
from qrcode.constants import ERROR_CORRECT_M

__all__ = ["ALPHABET", "CODE_LENGTH", "new_code", "normalise_code", "qr_png", "ticket_path"]

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 10
_CODE = re.compile(rf"^[{ALPHABET}]{{{CODE_LENGTH}}}$")
_IN_URL = re.compile(r"/tickets/([0-9A-Za-z]+)(?:\.png)?/?(?:[?#].*)?$")


def new_code() -> str:
    """A fresh ticket code: 50 bits of randomness, unguessable and short enough to type."""
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(scanned: str) -> str | None:
    """What a scanner typed -> the ticket code, or None when it cannot be one.

    Scanners send the code (sometimes lower-cased, with spaces or a trailing newline);
    a phone may send the ticket page's URL instead."""
    text = (scanned or "").strip()
    match = _IN_URL.search(text)
    if match:
        text = match.group(1)
    text = re.sub(r"[\s-]", "", text).upper()
    return text if _CODE.match(text) else None


def ticket_path(code: str) -> str:
    """The H5 page of a ticket (the owner's WeChat session is required to open it)."""
    return f"/h5/activities/tickets/{code}"


def qr_png(data: str, *, box_size: int = 10, border: int = 4) -> bytes:
    """A PNG of `data` as a QR code (error correction M: survives a scratched phone screen)."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=box_size, border=border)
    code.add_data(data)
    code.make(fit=True)
    image = code.make_image(fill_color="black", back_color="white")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
