"""WeChat's XML message format: building what WeChat pushes, reading what the
project replies.

Pushes are written the way WeChat writes them: one element per line inside
`<xml>`, strings in CDATA, numbers bare, element names in WeChat's own casing
(`MsgId` for messages, `MsgID` in TEMPLATESENDJOBFINISH, lower-case fields in
mini-program events).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import xmltodict

__all__ = ["build_xml", "inbound_fields", "normalize_reply", "parse_xml"]

Fields = list[tuple[str, Any]]

# Follower message types and the /_sim/push keys that fill their elements.
_MESSAGE_ELEMENTS: dict[str, list[tuple[str, str, Any]]] = {
    "text": [("Content", "content", "")],
    "image": [("PicUrl", "pic_url", "http://mmbiz.qpic.cn/sim/0"), ("MediaId", "media_id", "sim_media_id")],
    "voice": [("MediaId", "media_id", "sim_media_id"), ("Format", "format", "amr")],
    "video": [("MediaId", "media_id", "sim_media_id"), ("ThumbMediaId", "thumb_media_id", "sim_thumb_id")],
    "shortvideo": [("MediaId", "media_id", "sim_media_id"), ("ThumbMediaId", "thumb_media_id", "sim_thumb_id")],
    "location": [
        ("Location_X", "location_x", 31.230416),
        ("Location_Y", "location_y", 121.473701),
        ("Scale", "scale", 15),
        ("Label", "label", "上海市人民广场"),
    ],
    "link": [("Title", "title", ""), ("Description", "description", ""), ("Url", "url", "")],
}


def _cdata(value: str) -> str:
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _element(name: str, value: Any) -> str:
    if isinstance(value, list):  # repeated elements, e.g. the `List` items of a subscribe event
        return "".join(_element(name, item) for item in value)
    if isinstance(value, Mapping):
        inner = "".join(_element(k, v) for k, v in value.items())
        return f"<{name}>{inner}</{name}>"
    if isinstance(value, bool):
        value = int(value)
    if isinstance(value, (int, float)):
        return f"<{name}>{value}</{name}>"
    return f"<{name}>{_cdata(str(value))}</{name}>"


def build_xml(fields: Iterable[tuple[str, Any]]) -> str:
    """`<xml>` with one element per field, in order."""
    return "<xml>" + "\n".join(_element(name, value) for name, value in fields) + "\n</xml>"


def parse_xml(text: str) -> dict[str, Any]:
    """The children of `<xml>` as a dict; raises ValueError for anything else."""
    try:
        parsed = xmltodict.parse(text)
    except Exception as exc:  # expat errors have no common base class worth naming
        raise ValueError(f"malformed XML: {exc}") from None
    root = parsed.get("xml") if isinstance(parsed, dict) else None
    if not isinstance(root, dict):
        raise ValueError("reply is not an <xml> document")
    return root


def inbound_fields(spec: Mapping[str, Any], *, original_id: str, create_time: int, msg_id: int | None) -> Fields:
    """The elements of a follower's message or event, as WeChat orders them."""
    msg_type = str(spec.get("type") or "text")
    fields: Fields = [
        ("ToUserName", original_id),
        ("FromUserName", str(spec["openid"])),
        ("CreateTime", create_time),
        ("MsgType", msg_type),
    ]
    if msg_type == "event":
        event = str(spec.get("event") or "")
        fields.append(("Event", event))
        key = spec.get("event_key")
        if key is not None or event in ("CLICK", "VIEW", "SCAN"):
            fields.append(("EventKey", "" if key is None else str(key)))
        if spec.get("ticket"):
            fields.append(("Ticket", str(spec["ticket"])))
        if event == "LOCATION":
            fields += [
                ("Latitude", spec.get("latitude", 31.230416)),
                ("Longitude", spec.get("longitude", 121.473701)),
                ("Precision", spec.get("precision", 65.0)),
            ]
        if event == "VIEW" and spec.get("menu_id"):
            fields.append(("MenuId", spec["menu_id"]))
    else:
        for element, key, default in _MESSAGE_ELEMENTS.get(msg_type, []):
            fields.append((element, spec.get(key, default)))
        if msg_id is not None:
            fields.append(("MsgId", msg_id))
    extra = spec.get("extra")
    if isinstance(extra, Mapping):
        fields += [(str(k), v) for k, v in extra.items()]
    return fields


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def normalize_reply(reply: Mapping[str, Any]) -> dict[str, Any]:
    """A passive reply in the simple shape the follower page renders."""
    msg_type = str(reply.get("MsgType") or "")
    out: dict[str, Any] = {"msgtype": msg_type}
    if msg_type == "text":
        out["content"] = reply.get("Content") or ""
    elif msg_type == "news":
        articles = reply.get("Articles") or {}
        items = _as_list(articles.get("item") if isinstance(articles, Mapping) else None)
        out["articles"] = [
            {
                "title": item.get("Title") or "",
                "description": item.get("Description") or "",
                "picurl": item.get("PicUrl") or "",
                "url": item.get("Url") or "",
            }
            for item in items
            if isinstance(item, Mapping)
        ]
    elif msg_type in ("image", "voice", "video", "music"):
        media = reply.get(msg_type.capitalize())
        out["media"] = dict(media) if isinstance(media, Mapping) else media
    return out
