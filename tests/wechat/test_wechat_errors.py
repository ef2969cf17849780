"""errcode -> exception mapping (pure; the transport tests cover it over HTTP)."""

from __future__ import annotations

import pytest
from wechatpy.exceptions import APILimitedException, WeChatClientException

from app.wechat.errors import (
    ERRCODE_EXCEPTIONS,
    WeChatAPIError,
    WeChatInvalidArgumentError,
    WeChatInvalidOpenIdError,
    WeChatNoGrantError,
    WeChatNotFollowerError,
    WeChatQuotaError,
    WeChatTokenError,
    WeChatTransientError,
    WeChatWindowClosedError,
    raise_for_errcode,
)


@pytest.mark.parametrize(
    ("errcode", "cls", "retryable", "permanent"),
    [
        (-1, WeChatTransientError, True, False),
        (40001, WeChatTokenError, False, False),
        (40014, WeChatTokenError, False, False),
        (42001, WeChatTokenError, False, False),
        (45009, WeChatQuotaError, False, False),
        (45011, WeChatQuotaError, False, False),
        (43004, WeChatNotFollowerError, False, True),
        (40003, WeChatInvalidOpenIdError, False, True),
        (43101, WeChatNoGrantError, False, True),
        (45015, WeChatWindowClosedError, False, True),
        (45047, WeChatWindowClosedError, False, True),
        (47003, WeChatInvalidArgumentError, False, True),
        (40037, WeChatInvalidArgumentError, False, True),
        (40029, WeChatInvalidArgumentError, False, True),
        (40163, WeChatInvalidArgumentError, False, True),
    ],
)
def test_errcode_maps_to_class_with_flags(errcode: int, cls: type, retryable: bool, permanent: bool) -> None:
    with pytest.raises(cls) as info:
        raise_for_errcode({"errcode": errcode, "errmsg": "x"}, api="/cgi-bin/x")
    exc = info.value
    assert type(exc) is cls
    assert isinstance(exc, WeChatAPIError)
    assert isinstance(exc, WeChatClientException)
    assert (exc.errcode, exc.errmsg, exc.api) == (errcode, "x", "/cgi-bin/x")
    assert (exc.retryable, exc.permanent) == (retryable, permanent)


def test_quota_error_is_also_wechatpy_api_limited() -> None:
    assert issubclass(WeChatQuotaError, APILimitedException)


def test_unknown_errcode_falls_back_to_base_class() -> None:
    assert 99999 not in ERRCODE_EXCEPTIONS
    with pytest.raises(WeChatAPIError) as info:
        raise_for_errcode({"errcode": 99999, "errmsg": "new"})
    assert type(info.value) is WeChatAPIError
    assert info.value.errcode == 99999


@pytest.mark.parametrize("payload", [{}, {"errcode": 0, "errmsg": "ok"}, {"msgid": 1}])
def test_success_payloads_do_not_raise(payload: dict) -> None:
    raise_for_errcode(payload)
