"""WeChat errcode -> exception mapping.

Callers (Sanic handlers, arq push jobs) must decide what to do with a failure
without parsing numbers: a push campaign pauses on `WeChatQuotaError`, marks the
follower on `WeChatNotFollowerError` / `WeChatInvalidOpenIdError`, marks the grant
spent on `WeChatNoGrantError`. So every errcode WeChat documents as actionable has
its own class, each carrying `errcode`, `errmsg`, `api`, `retryable` and `permanent`.

The classes extend wechatpy's exceptions so code that already catches
`wechatpy.exceptions.WeChatClientException` / `APILimitedException` keeps working.

Semantics of the two flags:

* `retryable` -- retrying the *same* request soon may succeed (system busy, 5xx,
  timeout, network). The transport retries these automatically with backoff.
* `permanent` -- retrying the same request will fail again until something outside
  the request changes (the user follows again, grants again, the data is fixed,
  the configuration is fixed). Never retry; record the outcome.

A quota error is neither: it will succeed later, but must not be retried hot.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wechatpy.exceptions import APILimitedException, WeChatClientException

__all__ = [
    "ERRCODE_EXCEPTIONS",
    "TOKEN_ERRCODES",
    "WeChatAPIError",
    "WeChatCredentialError",
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
    "exception_for",
    "raise_for_errcode",
]


class WeChatValidationError(ValueError):
    """A request was rejected locally, before any HTTP call.

    Raised for inputs WeChat would reject anyway (QR scene out of range, wxacode
    scene with forbidden characters ...), so a bad input never costs API quota.
    """


class WeChatAPIError(WeChatClientException):
    """Base class of every error returned by (or on the way to) the WeChat API.

    Used directly as the fallback for errcodes without a dedicated class.
    """

    retryable: bool = False
    permanent: bool = False

    def __init__(
        self,
        errcode: int | None,
        errmsg: str = "",
        *,
        api: str | None = None,
        http_status: int | None = None,
        payload: Mapping[str, Any] | None = None,
    ) -> None:
        # `request`/`response` of the wechatpy base stay None on purpose: the request
        # carries the access_token and must not travel inside an exception.
        super().__init__(errcode, errmsg)
        self.api = api
        self.http_status = http_status
        self.payload = dict(payload) if payload is not None else None

    def __str__(self) -> str:
        where = f" ({self.api})" if self.api else ""
        status = f" http={self.http_status}" if self.http_status else ""
        return f"WeChat API error{where}: errcode={self.errcode}{status} errmsg={self.errmsg}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(errcode={self.errcode!r}, errmsg={self.errmsg!r}, api={self.api!r})"


class WeChatTransientError(WeChatAPIError):
    """-1 system busy, HTTP 5xx, timeouts and network errors: retry with backoff."""

    retryable = True


class WeChatTokenError(WeChatAPIError):
    """40001 / 40014 / 42001: the access token is invalid or expired.

    The transport refreshes the token once (single-flight) and retries; seeing this
    exception means the retry failed too -- check the AppSecret and IP whitelist.
    """


class WeChatCredentialError(WeChatAPIError):
    """The app's own credentials or server setup are wrong (bad appid/secret, IP
    not whitelisted). Nothing to retry; alert an operator."""

    permanent = True


class WeChatUnauthorizedError(WeChatAPIError):
    """The account lacks the permission for this API (e.g. 48001): configuration."""

    permanent = True


class WeChatQuotaError(WeChatAPIError, APILimitedException):
    """45009 daily/minute quota reached, 45011 frequency limit.

    Never retry hot: pause the campaign and alert. Usually caused by token
    over-fetching elsewhere.
    """


class WeChatNotFollowerError(WeChatAPIError):
    """43004: the receiver does not follow the account. Mark the follower as
    unsubscribed and fall back to a subscribe message or SMS."""

    permanent = True


class WeChatInvalidOpenIdError(WeChatAPIError):
    """40003: the openid is invalid for this appid (wrong app, or not a follower)."""

    permanent = True


class WeChatNoGrantError(WeChatAPIError):
    """43101: the user has no subscription grant left (declined, used, unsubscribed).
    Mark the grant consumed and ask the user to subscribe again."""

    permanent = True


class WeChatWindowClosedError(WeChatAPIError):
    """45015: outside the 48 h customer-service window; 45047: consecutive message
    cap reached. Stop and wait for the user's next interaction."""

    permanent = True


class WeChatInvalidArgumentError(WeChatAPIError):
    """The request itself is wrong (bad template_id, field content, code, page ...)."""

    permanent = True


TOKEN_ERRCODES: frozenset[int] = frozenset({40001, 40014, 42001})

ERRCODE_EXCEPTIONS: dict[int, type[WeChatAPIError]] = {
    -1: WeChatTransientError,  # system busy
    40001: WeChatTokenError,  # invalid credential / token not latest
    40014: WeChatTokenError,  # invalid access_token
    42001: WeChatTokenError,  # access_token expired
    40013: WeChatCredentialError,  # invalid appid
    40125: WeChatCredentialError,  # invalid appsecret
    40164: WeChatCredentialError,  # caller IP not in whitelist
    41002: WeChatCredentialError,  # appid missing
    41004: WeChatCredentialError,  # appsecret missing
    48001: WeChatUnauthorizedError,  # api unauthorized
    45009: WeChatQuotaError,  # reach max api daily quota limit
    45011: WeChatQuotaError,  # api minute-quota reach limit
    43004: WeChatNotFollowerError,  # require subscribe
    40003: WeChatInvalidOpenIdError,  # invalid openid
    43101: WeChatNoGrantError,  # user refuse to accept the msg
    45015: WeChatWindowClosedError,  # response out of time limit
    45047: WeChatWindowClosedError,  # out of response count limit
    40007: WeChatInvalidArgumentError,  # invalid media_id
    40008: WeChatInvalidArgumentError,  # invalid message type
    **{code: WeChatInvalidArgumentError for code in range(40016, 40028)},  # menu button errors
    40029: WeChatInvalidArgumentError,  # invalid code
    40032: WeChatInvalidArgumentError,  # invalid openid list size
    40037: WeChatInvalidArgumentError,  # invalid template_id
    40053: WeChatInvalidArgumentError,  # invalid action info (QR scene)
    40097: WeChatInvalidArgumentError,  # invalid args
    40129: WeChatInvalidArgumentError,  # invalid scene
    40163: WeChatInvalidArgumentError,  # code been used
    40165: WeChatInvalidArgumentError,  # invalid weapp pagepath
    40169: WeChatInvalidArgumentError,  # invalid length for scene
    41008: WeChatInvalidArgumentError,  # missing code
    41009: WeChatInvalidArgumentError,  # missing openid
    41030: WeChatInvalidArgumentError,  # invalid page (wxacode)
    43002: WeChatInvalidArgumentError,  # require POST method
    44002: WeChatInvalidArgumentError,  # empty post data
    44003: WeChatInvalidArgumentError,  # empty news data
    44004: WeChatInvalidArgumentError,  # empty content
    45002: WeChatInvalidArgumentError,  # content size out of limit
    45008: WeChatInvalidArgumentError,  # article size out of limit
    45056: WeChatInvalidArgumentError,  # too many tags
    45058: WeChatInvalidArgumentError,  # can't modify sys tag
    45059: WeChatInvalidArgumentError,  # too many tags on the user
    45157: WeChatInvalidArgumentError,  # invalid tag name
    45158: WeChatInvalidArgumentError,  # tag name too long
    45159: WeChatInvalidArgumentError,  # invalid tag id
    47001: WeChatInvalidArgumentError,  # data format error
    47003: WeChatInvalidArgumentError,  # argument invalid (subscribe field content)
    87014: WeChatInvalidArgumentError,  # risky content (msg_sec_check v1)
}


def exception_for(
    errcode: int | None,
    errmsg: str = "",
    *,
    api: str | None = None,
    http_status: int | None = None,
    payload: Mapping[str, Any] | None = None,
) -> WeChatAPIError:
    """Build (not raise) the exception matching `errcode`; the generic base class
    for codes without a dedicated class."""
    cls = ERRCODE_EXCEPTIONS.get(errcode, WeChatAPIError) if errcode is not None else WeChatAPIError
    return cls(errcode, errmsg, api=api, http_status=http_status, payload=payload)


def raise_for_errcode(
    payload: Mapping[str, Any],
    *,
    api: str | None = None,
    http_status: int | None = None,
) -> None:
    """Raise the mapped exception if a decoded WeChat response carries a non-zero
    errcode; return silently on success (errcode absent or 0)."""
    errcode = payload.get("errcode")
    if errcode in (None, 0, "0"):
        return
    try:
        code = int(errcode)
    except (TypeError, ValueError):
        code = None
    raise exception_for(
        code, str(payload.get("errmsg", "")), api=api, http_status=http_status, payload=payload
    )
