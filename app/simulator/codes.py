"""Single-use codes the mini-program would obtain on the phone (wx.login,
getPhoneNumber) and subscription grants (wx.requestSubscribeMessage).

Tests mint them through the control API; the WeChat endpoints consume them with
WeChat's rules: a code is valid 5 minutes and once (40029 unknown/expired/other
app, 40163 already used); a grant is one message each.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass, field
from typing import Any

__all__ = ["CODE_TTL_S", "CodeStore", "GrantStore", "IssuedCode"]

CODE_TTL_S = 300.0
_CODE_ALPHABET = string.ascii_letters + string.digits


@dataclass(slots=True)
class IssuedCode:
    appid: str
    expires_at: float
    payload: dict[str, Any] = field(default_factory=dict)
    used: bool = False


class CodeStore:
    """One kind of single-use code (login or phone)."""

    def __init__(self, rng: random.Random, length: int = 32) -> None:
        self._rng = rng
        self._length = length
        self._codes: dict[str, IssuedCode] = {}

    def issue(self, appid: str, now: float, **payload: Any) -> str:
        code = "".join(self._rng.choices(_CODE_ALPHABET, k=self._length))
        self._codes[code] = IssuedCode(appid=appid, expires_at=now + CODE_TTL_S, payload=payload)
        return code

    def redeem(self, code: str, appid: str, now: float) -> dict[str, Any] | int:
        """The code's payload, or the errcode WeChat answers."""
        issued = self._codes.get(code)
        if issued is None or issued.appid != appid or now >= issued.expires_at:
            return 40029
        if issued.used:
            return 40163
        issued.used = True
        return issued.payload


class GrantStore:
    """(appid, openid, template_id) -> remaining grants (None = long-term)."""

    def __init__(self) -> None:
        self._grants: dict[tuple[str, str, str], int | None] = {}

    def add(self, appid: str, openid: str, template_id: str, count: int | None) -> int | None:
        key = (appid, openid, template_id)
        if count is None:
            self._grants[key] = None
        else:
            current = self._grants.get(key, 0)
            self._grants[key] = None if current is None else current + count
        return self._grants[key]

    def consume(self, appid: str, openid: str, template_id: str, *, required: bool) -> bool:
        """Use one grant. Without `required`, an openid with no grants ever
        registered for the template may receive (the lenient default)."""
        key = (appid, openid, template_id)
        if key not in self._grants:
            return not required
        remaining = self._grants[key]
        if remaining is None:
            return True
        if remaining <= 0:
            return False
        self._grants[key] = remaining - 1
        return True

    def remaining(self, appid: str, openid: str, template_id: str) -> int | None:
        return self._grants.get((appid, openid, template_id), 0)

    def revoke(self, appid: str, openid: str, template_id: str) -> None:
        """The user turned the template off: nothing more until they grant again."""
        self._grants[(appid, openid, template_id)] = 0

    def of(self, appid: str, openid: str) -> dict[str, int | None]:
        """template_id -> remaining (None = long-term) for one user."""
        return {tid: left for (a, o, tid), left in self._grants.items() if a == appid and o == openid}
