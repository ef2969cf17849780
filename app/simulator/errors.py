"""WeChat's error codes and messages, and the exception handlers raise to answer one.

The messages are WeChat's own English errmsg texts (as seen in responses and in
the global return-code page) so clients that log or match them see the real thing.
"""

from __future__ import annotations

import itertools
from typing import Any

__all__ = ["ERRMSG", "WxError", "error_payload", "errmsg_for"]

ERRMSG: dict[int, str] = {
    -1: "system error",
    0: "ok",
    40001: (
        "invalid credential, access_token is invalid or not latest, "
        "could get access_token by getStableAccessToken, more details at https://mmbizurl.cn/s/JtxxFh33r"
    ),
    40002: "invalid grant_type",
    40003: "invalid openid",
    40007: "invalid media_id",
    40008: "invalid message type",
    40013: "invalid appid",
    40014: "invalid access_token",
    40016: "invalid button size",
    40017: "invalid button type",
    40018: "invalid button name size",
    40019: "invalid button key size",
    40020: "invalid button url size",
    40022: "invalid sub button level",
    40023: "invalid sub button size",
    40024: "invalid sub button type",
    40025: "invalid sub button name size",
    40026: "invalid sub button key size",
    40027: "invalid sub button url size",
    40029: "invalid code",
    40032: "invalid openid list size",
    40037: "invalid template_id",
    40053: "invalid action info",
    40097: "invalid args",
    40125: "invalid appsecret",
    40129: "invalid scene",
    40163: "code been used",
    40169: "invalid length for scene, or the data is not json string",
    41001: "access_token missing",
    41002: "appid missing",
    41004: "appsecret missing",
    41008: "missing code",
    41009: "missing openid",
    41030: "invalid page",
    42001: "access_token expired",
    43002: "require POST method",
    43004: "require subscribe",
    43101: "user refuse to accept the msg",
    44002: "empty post data",
    44003: "empty news data",
    44004: "empty content",
    45008: "article size out of limit",
    45009: "reach max api daily quota limit",
    45011: "api minute-quota reach limit  mustslower  retry next minute",
    45015: "response out of time limit or subscription is canceled",
    45047: "out of response count limit",
    45056: "too many tags",
    45058: "can't modify sys tag",
    45059: "too many tag now, no need to add new",
    45157: "invalid tag name",
    45158: "tag name too long",
    45159: "invalid tag id",
    46003: "menu no exist",
    47001: "data format error",
    47003: "argument invalid!",
    48001: "api unauthorized",
    87014: "risky content",
}

_rid_counter = itertools.count(1)


def errmsg_for(errcode: int) -> str:
    """WeChat's errmsg for `errcode` (a generic text for codes it does not list)."""
    return ERRMSG.get(errcode, "simulated error")


def _rid() -> str:
    # WeChat appends a request id to every error message; clients must not parse it.
    n = next(_rid_counter)
    return f"{n:08x}-{(n * 2654435761) & 0xFFFFFFFF:08x}-sim"


def error_payload(errcode: int, detail: str | None = None) -> dict[str, Any]:
    """The JSON body WeChat answers for an error."""
    message = errmsg_for(errcode)
    if detail:
        message = f"{message} {detail}"
    if errcode != 0:
        message = f"{message} rid: {_rid()}"
    return {"errcode": errcode, "errmsg": message}


class WxError(Exception):
    """Raised by an endpoint handler to answer WeChat's error `errcode`."""

    def __init__(self, errcode: int, detail: str | None = None) -> None:
        super().__init__(errcode, detail)
        self.errcode = errcode
        self.detail = detail

    def payload(self) -> dict[str, Any]:
        return error_payload(self.errcode, self.detail)
