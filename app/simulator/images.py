"""PNG images of QR codes (parametric QR codes and wxacode stand-ins).

Cached because rendering takes milliseconds and the same ticket is typically
fetched repeatedly (admin previews, print runs).
"""

from __future__ import annotations

import io
from functools import lru_cache

import qrcode
from qrcode.constants import ERROR_CORRECT_M

__all__ = ["qr_png"]


@lru_cache(maxsize=256)
def qr_png(data: str, width: int = 430) -> bytes:
    """A PNG QR code of `data`, roughly `width` pixels wide."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=2)
    code.add_data(data)
    code.make(fit=True)
    modules = code.modules_count + 2 * code.border
    code.box_size = max(1, width // modules)
    image = code.make_image()
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue()
