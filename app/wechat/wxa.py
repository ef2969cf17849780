"""Mini-program server APIs: login, phone number, content security, wxacode.

`jscode2session` authenticates with appid + secret (no access_token), so this
class holds the credentials; its `session_key` must never leave the server and is
never logged by the transport.
"""

from __future__ import annotations

import re
from typing import Any

from app.wechat.base import BaseWeChatAPI, compact
from app.wechat.errors import (
    WeChatAPIError,
    WeChatCredentialError,
    WeChatInvalidArgumentError,
    WeChatValidationError,
)
from app.wechat.http import WeChatHTTP

__all__ = ["WxaAPI", "validate_wxacode_scene"]

_SCENE_RE = re.compile(r"^[0-9A-Za-z!#$&'()*+,/:;=?@\-._~]{1,32}$")
MAX_SEC_CHECK_CONTENT = 2500
RISKY_CONTENT_ERRCODE = 87014


def validate_wxacode_scene(scene: str) -> None:
    """getwxacodeunlimit accepts at most 32 visible chars from a fixed set;
    Chinese or spaces must be encoded by the caller (e.g. as an id)."""
    if not isinstance(scene, str) or not _SCENE_RE.fullmatch(scene):
        raise WeChatValidationError(
            "wxacode scene must be 1-32 characters from [0-9A-Za-z!#$&'()*+,/:;=?@-._~]"
        )


class WxaAPI(BaseWeChatAPI):
    """Mini-program APIs of `/sns/*` and `/wxa/*`."""

    def __init__(self, http: WeChatHTTP, *, appid: str, secret: str) -> None:
        super().__init__(http)
        self._appid = appid
        self._secret = secret

    async def jscode2session(self, js_code: str) -> dict[str, Any]:
        """Exchange a `wx.login` code for `openid`, `session_key` (and `unionid`
        when bound to an Open Platform account). The code is single-use: 40029/40163."""
        if not js_code:
            raise WeChatValidationError("js_code is required")
        if not self._appid or not self._secret:
            raise WeChatCredentialError(41002, "appid or secret not configured", api="/sns/jscode2session")
        return await self._get(
            "/sns/jscode2session",
            params={
                "appid": self._appid,
                "secret": self._secret,
                "js_code": js_code,
                "grant_type": "authorization_code",
            },
            with_token=False,
        )

    async def get_phone_number(self, code: str) -> dict[str, Any]:
        """Exchange a `getPhoneNumber` code for `phone_info`
        (`phoneNumber`, `purePhoneNumber`, `countryCode`). Single-use, 5 min."""
        if not code:
            raise WeChatValidationError("code is required")
        result = await self._post("/wxa/business/getuserphonenumber", json={"code": code})
        phone_info = result.get("phone_info")
        if not isinstance(phone_info, dict):
            raise WeChatAPIError(None, "response without phone_info", api="/wxa/business/getuserphonenumber")
        return phone_info

    async def msg_sec_check(self, openid: str, content: str, *, scene: int = 2) -> dict[str, Any]:
        """Text content check (v2). Returns the full result: `result.suggest` is
        `pass`/`review`/`risky`. The user must have opened the app in the last 2 h."""
        if scene not in (1, 2, 3, 4):
            raise WeChatValidationError("scene must be 1 (profile), 2 (comment), 3 (forum) or 4 (social log)")
        if not content or len(content) > MAX_SEC_CHECK_CONTENT:
            raise WeChatValidationError(f"content must be 1-{MAX_SEC_CHECK_CONTENT} characters")
        return await self._post(
            "/wxa/msg_sec_check",
            json={"version": 2, "openid": openid, "scene": scene, "content": content},
        )

    async def msg_sec_check_v1(self, content: str) -> bool:
        """Text content check, v1 (no openid): True when WeChat finds nothing, False when it
        answers 87014 (risky content).

        For text whose author has no openid of this mini-program (official-account-only
        followers, hotline and Open311 records, staff entries), which v2 cannot check.
        v1 knows no `review` verdict and has not been updated since 2021-09-01, so v2 is
        preferred whenever an openid is known. Any other error raises as usual."""
        if not content or len(content) > MAX_SEC_CHECK_CONTENT:
            raise WeChatValidationError(f"content must be 1-{MAX_SEC_CHECK_CONTENT} characters")
        try:
            await self._post("/wxa/msg_sec_check", json={"content": content})
        except WeChatInvalidArgumentError as exc:
            if exc.errcode == RISKY_CONTENT_ERRCODE:
                return False
            raise
        return True

    async def media_check_async(self, media_url: str, media_type: int, openid: str, *, scene: int = 2) -> str:
        """Submit an image (2) or audio (1) for asynchronous checking; returns the
        `trace_id` that the later `wxa_media_check` event carries."""
        if media_type not in (1, 2):
            raise WeChatValidationError("media_type must be 1 (audio) or 2 (image)")
        if scene not in (1, 2, 3, 4):
            raise WeChatValidationError("scene must be 1-4")
        if not media_url:
            raise WeChatValidationError("media_url is required")
        result = await self._post(
            "/wxa/media_check_async",
            json={"media_url": media_url, "media_type": media_type, "version": 2, "openid": openid, "scene": scene},
        )
        return str(result["trace_id"])

    async def get_wxa_code_unlimited(
        self,
        scene: str,
        *,
        page: str | None = None,
        width: int = 430,
        check_path: bool = True,
        env_version: str | None = None,
    ) -> bytes:
        """Generate a mini-program code (unlimited count) as image bytes."""
        validate_wxacode_scene(scene)
        if page is not None and (not page or "?" in page or page.startswith("/")):
            raise WeChatValidationError("page must be a path like 'pages/index/index' without '/' prefix or query")
        if not 280 <= width <= 1280:
            raise WeChatValidationError("width must be 280-1280")
        if env_version is not None and env_version not in ("release", "trial", "develop"):
            raise WeChatValidationError("env_version must be release, trial or develop")
        result = await self._post(
            "/wxa/getwxacodeunlimit",
            json=compact(
                {"scene": scene, "page": page, "width": width, "check_path": check_path, "env_version": env_version}
            ),
            raw=True,
        )
        if not isinstance(result, bytes):
            raise WeChatAPIError(None, "expected an image response", api="/wxa/getwxacodeunlimit")
        return result
