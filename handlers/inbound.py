"""A follower's message or event, read from WeChat's XML into one flat, typed shape.

Handlers see `Inbound`, never XML. Event names are compared lower-cased (WeChat writes
`subscribe` but `SCAN`, `CLICK`, `TEMPLATESENDJOBFINISH`); the raw element dict stays
available (`raw`) for the rare event with nested data, and is what the message log stores.
The XML has already passed `CallbackGuard` (no DTD, no entities) when it gets here. The
mini-program's message push may be configured to send JSON instead (`parse_inbound_json`):
the same elements as keys, numbers as numbers.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import xmltodict

__all__ = ["Inbound", "MalformedMessage", "parse_inbound", "parse_inbound_json"]

# Message types as the follower would name them, for replies and log summaries.
TYPE_NAMES = {
    "text": "文字",
    "image": "图片",
    "voice": "语音",
    "video": "视频",
    "shortvideo": "小视频",
    "location": "位置",
    "link": "链接",
    "file": "文件",
}


class MalformedMessage(ValueError):
    """The XML is well-formed but not a WeChat message (no sender or type)."""


@dataclass(frozen=True)
class Inbound:
    raw: dict[str, Any]
    openid: str
    account: str
    msg_type: str
    event: str
    event_key: str
    content: str
    msg_id: str
    create_time: int

    @property
    def is_event(self) -> bool:
        return self.msg_type == "event"

    @property
    def is_text(self) -> bool:
        return self.msg_type == "text"

    def field(self, name: str, default: str = "") -> str:
        """A top-level element as text ('' when absent or nested)."""
        value = self.raw.get(name)
        return value if isinstance(value, str) else default

    def summary(self) -> str:
        """One line for the message log and staff screens."""
        if self.is_text:
            return self.content
        if self.is_event:
            return f"[事件] {self.field('Event')} {self.event_key}".rstrip()
        if self.msg_type == "location":
            return f"[位置] {self.field('Label')}".rstrip()
        if self.msg_type == "link":
            return f"[链接] {self.field('Title')} {self.field('Url')}".rstrip()
        if self.msg_type == "voice" and self.field("Recognition"):
            return f"[语音] {self.field('Recognition')}"
        return f"[{TYPE_NAMES.get(self.msg_type, self.msg_type or '未知')}]"


def parse_inbound(xml: str) -> Inbound:
    """Read a plaintext WeChat message; raises `MalformedMessage`."""
    try:
        parsed = xmltodict.parse(xml, disable_entities=True)
    except Exception as exc:  # expat raises several unrelated types
        raise MalformedMessage(f"unreadable xml: {type(exc).__name__}") from None
    root = parsed.get("xml") if isinstance(parsed, Mapping) else None
    if not isinstance(root, Mapping):
        raise MalformedMessage("no <xml> root")
    return _inbound(dict(root))


def parse_inbound_json(text: str) -> Inbound:
    """Read a plaintext message in WeChat's JSON data format; raises `MalformedMessage`."""
    try:
        root = json.loads(text)
    except ValueError:
        raise MalformedMessage("unreadable json") from None
    if not isinstance(root, Mapping):
        raise MalformedMessage("json message is not an object")
    return _inbound(dict(root))


def _inbound(raw: dict[str, Any]) -> Inbound:
    openid = _text(raw.get("FromUserName"))
    msg_type = _text(raw.get("MsgType")).lower()
    if not openid or not msg_type:
        raise MalformedMessage("message without FromUserName or MsgType")
    create_time = _text(raw.get("CreateTime"))
    return Inbound(
        raw=raw,
        openid=openid,
        account=_text(raw.get("ToUserName")),
        msg_type=msg_type,
        event=_text(raw.get("Event")).lower(),
        event_key=_text(raw.get("EventKey")),
        content=_text(raw.get("Content")),
        msg_id=_text(raw.get("MsgId")) or _text(raw.get("MsgID")),
        create_time=int(create_time) if create_time.isdigit() else 0,
    )


def _text(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):  # JSON numbers (CreateTime, MsgId)
        return str(value)
    return value.strip() if isinstance(value, str) else ""
