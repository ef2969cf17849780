"""Followers and tags of each simulated app.

With `strict_openids` off, any well-formed openid counts as a subscribed follower
without being stored (a million-recipient benchmark must not materialise a
million objects); a follower is stored only once something about it differs from
that default (registered, tagged, unsubscribed, interacted).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = ["OPENID_RE", "SYSTEM_TAGS", "Follower", "FollowerStore", "TagStore"]

OPENID_RE = re.compile(r"^[A-Za-z0-9_-]{6,64}$")
SYSTEM_TAGS: dict[int, str] = {2: "星标组"}
MAX_TAGS = 100
MAX_TAGS_PER_USER = 20


@dataclass(slots=True)
class Follower:
    openid: str
    unionid: str | None = None
    subscribed: bool = True
    blocked: bool = False
    subscribe_time: int = 0
    subscribe_scene: str = "ADD_SCENE_OTHERS"
    qr_scene: int = 0
    qr_scene_str: str = ""
    remark: str = ""
    tags: set[int] = field(default_factory=set)
    last_interaction: float | None = None
    custom_since_interaction: int = 0

    def info(self, lang: str = "zh_CN") -> dict:
        """The `/cgi-bin/user/info` shape (no nickname/avatar since 2021-12-27)."""
        if not self.subscribed:
            out: dict = {"subscribe": 0, "openid": self.openid, "tagid_list": []}
            if self.unionid:
                out["unionid"] = self.unionid
            return out
        out = {
            "subscribe": 1,
            "openid": self.openid,
            "language": lang,
            "subscribe_time": self.subscribe_time,
            "remark": self.remark,
            "groupid": 0,
            "tagid_list": sorted(self.tags),
            "subscribe_scene": self.subscribe_scene,
            "qr_scene": self.qr_scene,
            "qr_scene_str": self.qr_scene_str,
        }
        if self.unionid:
            out["unionid"] = self.unionid
        return out


class FollowerStore:
    """appid -> openid -> Follower, plus the implicit-follower rule."""

    def __init__(self, *, strict: bool, default_subscribe_time: int) -> None:
        self.strict = strict
        self.default_subscribe_time = default_subscribe_time
        self.by_app: dict[str, dict[str, Follower]] = {}

    def find(self, appid: str, openid: str | None) -> Follower | None:
        """The follower, a transient default for an implicit one, or None (unknown openid)."""
        if not openid or not isinstance(openid, str):
            return None
        stored = self.by_app.get(appid, {}).get(openid)
        if stored is not None:
            return stored
        if not self.strict and OPENID_RE.match(openid):
            return Follower(openid=openid, subscribe_time=self.default_subscribe_time)
        return None

    def ensure(self, appid: str, openid: str) -> Follower:
        """Store (or return) the follower so changes to it persist."""
        app = self.by_app.setdefault(appid, {})
        follower = app.get(openid)
        if follower is None:
            follower = Follower(openid=openid, subscribe_time=self.default_subscribe_time)
            app[openid] = follower
        return follower

    def stored(self, appid: str) -> dict[str, Follower]:
        return self.by_app.get(appid, {})

    def subscribed_openids(self, appid: str) -> list[str]:
        """Stored subscribed followers in subscription (insertion) order."""
        return [f.openid for f in self.by_app.get(appid, {}).values() if f.subscribed]


class TagStore:
    """appid -> tag id -> name; membership lives on the followers."""

    def __init__(self) -> None:
        self.by_app: dict[str, dict[int, str]] = {}
        self._next_id: dict[str, int] = {}

    def tags(self, appid: str) -> dict[int, str]:
        if appid not in self.by_app:
            self.by_app[appid] = dict(SYSTEM_TAGS)
        return self.by_app[appid]

    def create(self, appid: str, name: str) -> int:
        tag_id = self._next_id.get(appid, 100)
        self._next_id[appid] = tag_id + 1
        self.tags(appid)[tag_id] = name
        return tag_id
