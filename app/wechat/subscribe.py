"""Mini-program subscribe messages (`subscribeMessage.send`).

Separate from `message.py` because it runs under the mini-program's appid and
token; the official account's bizsend lives in `message.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.wechat.base import BaseWeChatAPI, compact
from app.wechat.errors import WeChatValidationError
from app.wechat.message import normalize_template_data

__all__ = ["SubscribeAPI"]

_STATES = frozenset({"developer", "trial", "formal"})
_LANGS = frozenset({"zh_CN", "en_US", "zh_HK", "zh_TW"})


class SubscribeAPI(BaseWeChatAPI):
    """`/cgi-bin/message/subscribe/send` of the mini-program."""

    async def send(
        self,
        openid: str,
        template_id: str,
        data: Mapping[str, Any],
        *,
        page: str | None = None,
        miniprogram_state: str = "formal",
        lang: str = "zh_CN",
    ) -> dict[str, Any]:
        """Send one subscribe message, consuming one grant of the user. 43101 means
        the user has no grant left; 47003 a field value breaks its type's limits."""
        if miniprogram_state not in _STATES:
            raise WeChatValidationError(f"miniprogram_state must be one of {sorted(_STATES)}")
        if lang not in _LANGS:
            raise WeChatValidationError(f"lang must be one of {sorted(_LANGS)}")
        return await self._post(
            "/cgi-bin/message/subscribe/send",
            json=compact(
                {
                    "touser": openid,
                    "template_id": template_id,
                    "page": page,
                    "miniprogram_state": miniprogram_state,
                    "lang": lang,
                    "data": normalize_template_data(data),
                }
            ),
        )
