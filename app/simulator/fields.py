"""Content rules for template and subscribe message data.

Template messages (rules since 2023-05-04): every field shown is at most 20
characters with no line breaks; `first` and `remark` are no longer shown and are
ignored. Subscribe messages: the field's type is its key without the trailing
number (`thing1` -> thing) and each type has WeChat's own limits. A violation is
47003 "argument invalid!" naming the field, as WeChat does.
"""

from __future__ import annotations

import re
from typing import Any

from app.simulator.errors import WxError

__all__ = ["check_subscribe_data", "check_template_data", "field_type", "subscribe_value_ok"]

TEMPLATE_FIELD_MAX = 20
_IGNORED_TEMPLATE_FIELDS = frozenset({"first", "remark"})
_CHINESE = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff\u3007]+$")
_LETTERS = re.compile(r"^[A-Za-z]+$")
_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")
_SYMBOLS = re.compile(r"^[^\sA-Za-z0-9\u3400-\u9fff]+$")
_CHARACTER_STRING = re.compile(r"^[\x21-\x7e]+$")
_PHONE = re.compile(r"^[0-9+\-() ]+$")
_AMOUNT = re.compile(r"^[¥￥$€£]?\d{1,10}(\.\d{1,2})?元?$")
_DIGITS = re.compile(r"\d")


def field_type(key: str) -> str:
    """`thing12` -> `thing`, `character_string3` -> `character_string`."""
    return key.rstrip("0123456789")


def _value_of(key: str, item: Any) -> str:
    if not isinstance(item, dict) or "value" not in item:
        raise WxError(47003, f"data.{key}.value is required")
    value = item["value"]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise WxError(47003, f"data.{key}.value must be a string")
    return value


def _data_items(data: Any) -> list[tuple[str, Any]]:
    if not isinstance(data, dict) or not data:
        raise WxError(47001, "data must be a non-empty object")
    return list(data.items())


def check_template_data(data: Any) -> None:
    """Raise 47003 for a template field breaking the 2023 rules."""
    for key, item in _data_items(data):
        if key in _IGNORED_TEMPLATE_FIELDS:
            continue
        value = _value_of(key, item)
        if "\n" in value or "\r" in value:
            raise WxError(47003, f"data.{key}.value contains a line break")
        if len(value) > TEMPLATE_FIELD_MAX:
            raise WxError(47003, f"data.{key}.value exceeds {TEMPLATE_FIELD_MAX} characters")


def subscribe_value_ok(kind: str, value: str) -> bool:
    """Whether `value` fits subscribe-message field type `kind`."""
    if not value:
        return False
    n = len(value)
    if kind == "thing":
        return n <= 20
    if kind == "number":
        return n <= 32 and bool(_NUMBER.match(value))
    if kind == "letter":
        return n <= 32 and bool(_LETTERS.match(value))
    if kind == "symbol":
        return n <= 5 and bool(_SYMBOLS.match(value))
    if kind == "character_string":
        return n <= 32 and bool(_CHARACTER_STRING.match(value))
    if kind == "phone_number":
        return n <= 17 and bool(_PHONE.match(value))
    if kind == "car_number":
        return n <= 8
    if kind == "name":
        return n <= (20 if _LETTERS.match(value.replace(" ", "")) else 10)
    if kind == "phrase":
        return n <= 5 and bool(_CHINESE.match(value))
    if kind == "amount":
        return bool(_AMOUNT.match(value))
    if kind in ("time", "date"):
        return n <= 40 and bool(_DIGITS.search(value))
    return n <= 20  # unknown types: the common limit


def check_subscribe_data(data: Any) -> None:
    """Raise 47003 for a subscribe field that breaks its type's limits."""
    for key, item in _data_items(data):
        value = _value_of(key, item)
        kind = field_type(key)
        if not subscribe_value_ok(kind, value):
            raise WxError(47003, f"data.{key}.value invalid for type {kind}")
