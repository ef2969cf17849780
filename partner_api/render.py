"""Response bodies: JSON for both APIs, and GeoReport v2's XML for Open311."""

from __future__ import annotations

import json
from typing import Any
from xml.etree import ElementTree

from sanic.response import HTTPResponse

__all__ = ["FORMATS", "json_response", "open311_response", "to_xml"]

FORMATS = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}

# GeoReport v2 names the element of each list item after its list.
_ITEMS = {
    "services": "service",
    "service_requests": "request",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "errors": "error",
}


def json_response(body: Any, *, status: int = 200, headers: dict[str, str] | None = None) -> HTTPResponse:
    # Appeals are not public: no shared cache may keep an answer.
    sent = {"Cache-Control": "no-store", **(headers or {})}
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return HTTPResponse(text, status=status, headers=sent, content_type=FORMATS["json"])


def _fill(element: ElementTree.Element, value: Any) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _fill(ElementTree.SubElement(element, key), item)
    elif isinstance(value, list):
        child = _ITEMS.get(element.tag, "item")
        for item in value:
            _fill(ElementTree.SubElement(element, child), item)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = str(value)


def to_xml(root: str, value: Any) -> bytes:
    element = ElementTree.Element(root)
    _fill(element, value)
    return ElementTree.tostring(element, encoding="utf-8", xml_declaration=True)


def open311_response(fmt: str, root: str, body: Any, *, status: int = 200) -> HTTPResponse:
    """`body` as JSON, or as XML under `root` (a list becomes root's items)."""
    if fmt == "xml":
        return HTTPResponse(to_xml(root, body), status=status, headers={"Cache-Control": "no-store"},
                            content_type=FORMATS["xml"])
    return json_response(body, status=status)
