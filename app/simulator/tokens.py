"""access_token issuance and validation, with WeChat's lifetimes.

Two isolated chains per appid, as on WeChat: `/cgi-bin/token` (every call issues
a new token, the previous one stays valid for 5 more minutes) and
`/cgi-bin/stable_token` (normal mode hands back the current token until 5 minutes
before it expires; force_refresh issues a new one, at most 20 times a day and not
within 30 s of the previous force_refresh -- then WeChat simply does not refresh).
Validation distinguishes an unknown/superseded token (40001) from an expired one
(42001), which clients treat differently in their logs.
"""

from __future__ import annotations

import random
import string
import time
from dataclasses import dataclass

__all__ = ["FORCE_REFRESH_DAILY_LIMIT", "FORCE_REFRESH_MIN_GAP_S", "TokenInfo", "TokenStore"]

FORCE_REFRESH_DAILY_LIMIT = 20
FORCE_REFRESH_MIN_GAP_S = 30.0
_ALPHABET = string.ascii_letters + string.digits + "_-"
_TOKEN_LENGTH = 136  # real tokens are 130-160 characters


@dataclass(slots=True)
class TokenInfo:
    token: str
    appid: str
    chain: str  # "stable" or "legacy"
    issued_at: float
    expires_at: float
    valid_until: float  # earlier than expires_at once superseded
    revoked: bool = False

    def usable(self, now: float) -> bool:
        return not self.revoked and now < self.expires_at and now < self.valid_until


class TokenStore:
    """All tokens issued by this simulator, by value."""

    def __init__(self, rng: random.Random, ttl: int, overlap_s: int) -> None:
        self._rng = rng
        self.ttl = ttl
        self.overlap_s = overlap_s
        self.by_token: dict[str, TokenInfo] = {}
        self._current: dict[tuple[str, str], TokenInfo] = {}
        self._last_force: dict[str, float] = {}
        self._force_per_day: dict[tuple[str, str], int] = {}

    # -- validation -------------------------------------------------------------

    def check(self, token: str, now: float) -> tuple[TokenInfo | None, int]:
        """(token info, 0) for a usable token, else (info or None, errcode)."""
        info = self.by_token.get(token)
        if info is None or info.revoked:
            return info, 40001
        if now >= info.expires_at:
            return info, 42001
        if now >= info.valid_until:
            return info, 40001
        return info, 0

    def revoke(self, token: str) -> None:
        """Make `token` invalid at once (the `invalidate_token` fault)."""
        info = self.by_token.get(token)
        if info is not None:
            info.revoked = True

    def current(self, appid: str, chain: str = "stable") -> TokenInfo | None:
        return self._current.get((appid, chain))

    # -- issuance ---------------------------------------------------------------

    def stable(self, appid: str, *, force_refresh: bool, now: float) -> TokenInfo | int:
        """The stable_token answer: a TokenInfo, or 45009 when force_refresh is used up."""
        current = self._current.get((appid, "stable"))
        usable = current is not None and current.usable(now)
        if force_refresh:
            last = self._last_force.get(appid)
            if usable and last is not None and now - last < FORCE_REFRESH_MIN_GAP_S:
                return current  # type: ignore[return-value]  # "otherwise it will not refresh"
            day = time.strftime("%Y%m%d", time.gmtime(now + 8 * 3600))  # Beijing day
            count = self._force_per_day.get((appid, day), 0)
            if count >= FORCE_REFRESH_DAILY_LIMIT:
                return 45009
            self._force_per_day[(appid, day)] = count + 1
            self._last_force[appid] = now
            return self._issue(appid, "stable", now)
        renew_margin = min(300.0, self.ttl / 2)
        if usable and current is not None and current.expires_at - now > renew_margin:
            return current
        if usable and current is not None:
            # Last 5 minutes: WeChat issues the successor early; both stay valid
            # until the old one's own expiry.
            return self._issue(appid, "stable", now, supersede=False)
        return self._issue(appid, "stable", now)

    def legacy(self, appid: str, *, now: float) -> TokenInfo:
        """The /cgi-bin/token answer: always a new token."""
        return self._issue(appid, "legacy", now)

    def _issue(self, appid: str, chain: str, now: float, *, supersede: bool = True) -> TokenInfo:
        previous = self._current.get((appid, chain))
        if previous is not None and supersede:
            previous.valid_until = min(previous.valid_until, now + self.overlap_s)
        token = "".join(self._rng.choices(_ALPHABET, k=_TOKEN_LENGTH))
        info = TokenInfo(
            token=token, appid=appid, chain=chain, issued_at=now, expires_at=now + self.ttl, valid_until=now + self.ttl
        )
        self.by_token[token] = info
        self._current[(appid, chain)] = info
        return info
