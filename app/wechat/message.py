"""Official-account messages: template messages, subscribe notifications
(bizsend) and customer-service messages.

Each call returns what a caller needs to record the delivery (template `msgid`);
failures raise the mapped exceptions (43004 not a follower, 45009 quota, 45015
outside the 48 h window ...), which push campaigns act on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from app.wechat.base import BaseWeChatAPI, compact
from app.wechat.errors import WeChatValidationError

__all__ = ["MessageAPI", "normalize_template_data"]


def normalize_template_data(data: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Accept `{"thing1": "text"}` as well as WeChat's `{"thing1": {"value": "text"}}`.

    Template definitions in `templates_msg` are plain key -> text mappings; the
    wrapping is a wire-format detail that belongs here.
    """
    if not isinstance(data, Mapping) or not data:
        raise WeChatValidationError("template data must be a non-empty mapping")
    out: dict[str, dict[str, Any]] = {}
    for key, value in data.items():
        if isinstance(value, Mapping):
            if "value" not in value:
                raise WeChatValidationError(f"template field {key!r} has no 'value'")
            out[str(key)] = dict(value)
        else:
            out[str(key)] = {"value": "" if value is None else str(value)}
    return out


class MessageAPI(BaseWeChatAPI):
    """`/cgi-bin/message/*` of the official account."""

    async def send_template(
        self,
        openid: str,
        template_id: str,
        data: Mapping[str, Any],
        *,
        url: str | None = None,
        miniprogram: Mapping[str, Any] | None = None,
        client_msg_id: str | None = None,
    ) -> int:
        """Send a template message; returns WeChat's `msgid`, which the later
        TEMPLATESENDJOBFINISH event refers to.

        Pass `client_msg_id` (unique per delivery) so that a retry after a lost
        response is de-duplicated by WeChat instead of reaching the user twice.
        """
        result = await self._post(
            "/cgi-bin/message/template/send",
            json=compact(
                {
                    "touser": openid,
                    "template_id": template_id,
                    "url": url,
                    "miniprogram": dict(miniprogram) if miniprogram else None,
                    "client_msg_id": client_msg_id,
                    "data": normalize_template_data(data),
                }
            ),
        )
        return int(result["msgid"])

    async def send_subscribe_bizsend(
        self,
        openid: str,
        template_id: str,
        data: Mapping[str, Any],
        *,
        page: str | None = None,
        miniprogram: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Send an official-account subscribe notification (one grant per message);
        43101 means no grant left."""
        return await self._post(
            "/cgi-bin/message/subscribe/bizsend",
            json=compact(
                {
                    "touser": openid,
                    "template_id": template_id,
                    "page": page,
                    "miniprogram": dict(miniprogram) if miniprogram else None,
                    "data": normalize_template_data(data),
                }
            ),
        )

    async def send_custom(self, openid: str, msgtype: str, payload: Mapping[str, Any]) -> dict[str, Any]:
        """Send a customer-service message of any type (only within 48 h of the
        user's last interaction: 45015 otherwise)."""
        if not msgtype:
            raise WeChatValidationError("msgtype is required")
        return await self._post(
            "/cgi-bin/message/custom/send",
            json={"touser": openid, "msgtype": msgtype, msgtype: dict(payload)},
        )

    async def send_custom_text(self, openid: str, content: str) -> dict[str, Any]:
        """Send a customer-service text message."""
        if not content:
            raise WeChatValidationError("content must not be empty")
        return await self.send_custom(openid, "text", {"content": content})

    async def send_custom_news(self, openid: str, articles: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        """Send a customer-service news (link card) message; WeChat shows one article."""
        if not articles:
            raise WeChatValidationError("articles must not be empty")
        return await self.send_custom(openid, "news", {"articles": [dict(a) for a in articles]})
