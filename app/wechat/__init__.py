"""Async WeChat API client for Qiyun (official account + mini-program).

Built for many Sanic and arq processes sharing one Redis: the access token is
cached and refreshed single-flight across processes, transient failures are
retried with backoff, and errcodes map to exceptions push campaigns can act on.

    async with WeChatClient(appid=..., secret=..., redis=redis) as wx:
        msgid = await wx.message.send_template(openid, template_id, {"thing1": "..."})
"""

from app.wechat.client import WeChatClient
from app.wechat.errors import (
    ERRCODE_EXCEPTIONS,
    TOKEN_ERRCODES,
    WeChatAPIError,
    WeChatCredentialError,
    WeChatInvalidArgumentError,
    WeChatInvalidOpenIdError,
    WeChatNoGrantError,
    WeChatNotFollowerError,
    WeChatQuotaError,
    WeChatTokenError,
    WeChatTransientError,
    WeChatUnauthorizedError,
    WeChatValidationError,
    WeChatWindowClosedError,
    raise_for_errcode,
)
from app.wechat.http import WeChatHTTP
from app.wechat.token import AccessTokenManager

__all__ = [
    "ERRCODE_EXCEPTIONS",
    "TOKEN_ERRCODES",
    "AccessTokenManager",
    "WeChatAPIError",
    "WeChatClient",
    "WeChatCredentialError",
    "WeChatHTTP",
    "WeChatInvalidArgumentError",
    "WeChatInvalidOpenIdError",
    "WeChatNoGrantError",
    "WeChatNotFollowerError",
    "WeChatQuotaError",
    "WeChatTokenError",
    "WeChatTransientError",
    "WeChatUnauthorizedError",
    "WeChatValidationError",
    "WeChatWindowClosedError",
    "raise_for_errcode",
]
