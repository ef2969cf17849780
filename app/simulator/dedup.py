"""Template messages' `client_msg_id`: WeChat sends one message per openid and
client_msg_id within 10 minutes, so a client retrying after a lost response does
not reach the user twice."""

from __future__ import annotations

from collections import deque

__all__ = ["DEDUP_WINDOW_S", "Deduplicator"]

DEDUP_WINDOW_S = 600.0


class Deduplicator:
    """Remembers (appid, openid, client_msg_id) -> msgid for the window; memory
    stays proportional to the sends of the last 10 minutes."""

    def __init__(self, window_s: float = DEDUP_WINDOW_S) -> None:
        self.window_s = window_s
        self._seen: dict[tuple[str, str, str], tuple[int, float]] = {}
        self._order: deque[tuple[float, tuple[str, str, str]]] = deque()

    def _prune(self, now: float) -> None:
        while self._order and now - self._order[0][0] >= self.window_s:
            at, key = self._order.popleft()
            seen = self._seen.get(key)
            if seen is not None and seen[1] == at:
                del self._seen[key]

    def lookup(self, key: tuple[str, str, str], now: float) -> int | None:
        """The msgid already sent for `key` within the window, if any."""
        self._prune(now)
        seen = self._seen.get(key)
        return seen[0] if seen is not None else None

    def remember(self, key: tuple[str, str, str], msgid: int, now: float) -> None:
        self._seen[key] = (msgid, now)
        self._order.append((now, key))
