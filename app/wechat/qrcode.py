"""Official-account parametric QR codes (follow-with-scene).

Scene ranges are validated locally: WeChat rejects out-of-range scenes anyway,
and permanent codes are capped at 100,000 per account, so a bad call is never
worth making.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from app.wechat.base import BaseWeChatAPI
from app.wechat.errors import WeChatValidationError
from app.wechat.http import WeChatHTTP

__all__ = ["DEFAULT_MP_BASE", "QRCodeAPI", "build_qrcode_request"]

DEFAULT_MP_BASE = "https://mp.weixin.qq.com"

MAX_EXPIRE_SECONDS = 2_592_000  # 30 days
MAX_PERMANENT_SCENE_ID = 100_000
MAX_TEMP_SCENE_ID = 2**32 - 1
MAX_SCENE_STR = 64


def build_qrcode_request(
    scene: int | str, *, expire_seconds: int | None = None, permanent: bool = False
) -> dict[str, Any]:
    """Validate the scene and build the `/cgi-bin/qrcode/create` body.

    int scene -> QR_SCENE / QR_LIMIT_SCENE; str scene -> QR_STR_SCENE / QR_LIMIT_STR_SCENE.
    Temporary codes without `expire_seconds` get WeChat's default (30 s).
    """
    if isinstance(scene, bool) or not isinstance(scene, (int, str)):
        raise WeChatValidationError("scene must be an int or a str")
    if permanent and expire_seconds is not None:
        raise WeChatValidationError("permanent QR codes do not expire; omit expire_seconds")
    if expire_seconds is not None and (
        isinstance(expire_seconds, bool) or not isinstance(expire_seconds, int)
        or not 1 <= expire_seconds <= MAX_EXPIRE_SECONDS
    ):
        raise WeChatValidationError(f"expire_seconds must be 1-{MAX_EXPIRE_SECONDS}")
    if isinstance(scene, int):
        upper = MAX_PERMANENT_SCENE_ID if permanent else MAX_TEMP_SCENE_ID
        if not 1 <= scene <= upper:
            kind = "permanent" if permanent else "temporary"
            raise WeChatValidationError(f"integer scene must be 1-{upper} for a {kind} code")
        scene_info: dict[str, Any] = {"scene_id": scene}
        action = "QR_LIMIT_SCENE" if permanent else "QR_SCENE"
    else:
        if not 1 <= len(scene) <= MAX_SCENE_STR:
            raise WeChatValidationError(f"string scene must be 1-{MAX_SCENE_STR} characters")
        scene_info = {"scene_str": scene}
        action = "QR_LIMIT_STR_SCENE" if permanent else "QR_STR_SCENE"
    body: dict[str, Any] = {"action_name": action, "action_info": {"scene": scene_info}}
    if expire_seconds is not None:
        body["expire_seconds"] = expire_seconds
    return body


class QRCodeAPI(BaseWeChatAPI):
    """`/cgi-bin/qrcode/create` and the ticket exchange at `mp_base`."""

    def __init__(self, http: WeChatHTTP, *, mp_base: str = DEFAULT_MP_BASE) -> None:
        super().__init__(http)
        self.mp_base = mp_base.rstrip("/")

    async def create(
        self, scene: int | str, *, expire_seconds: int | None = None, permanent: bool = False
    ) -> dict[str, Any]:
        """Create a QR code; returns `{"ticket", "expire_seconds"?, "url"}`."""
        body = build_qrcode_request(scene, expire_seconds=expire_seconds, permanent=permanent)
        return await self._post("/cgi-bin/qrcode/create", json=body)

    def show_url(self, ticket: str) -> str:
        """URL of the QR image for `ticket` (public, no token needed)."""
        if not ticket:
            raise WeChatValidationError("ticket is required")
        return f"{self.mp_base}/cgi-bin/showqrcode?ticket={quote(ticket, safe='')}"

    async def download(self, ticket: str) -> bytes:
        """Fetch the QR image for `ticket` as bytes (to print or re-host it)."""
        if not ticket:
            raise WeChatValidationError("ticket is required")
        return await self._get(
            "/cgi-bin/showqrcode", params={"ticket": ticket}, with_token=False, raw=True, base=self.mp_base
        )
