"""WeChat's rules for the value of one template / subscribe-message field, and how a value
is made to fit them.

A field's type is its key without the trailing number (`thing1` -> thing), as in WeChat's
template library. Limits (subscribe messages, developers.weixin.qq.com "订阅消息 参数值内容限制",
violations answer 47003):

| type             | rule                                                                  |
|------------------|-----------------------------------------------------------------------|
| thing            | at most 20 characters (Chinese, letters, digits, symbols)              |
| phrase           | at most 5 Chinese characters                                          |
| character_string | at most 32 of letters, digits and ASCII symbols (no spaces)           |
| name             | at most 10 Chinese characters, or 20 letters                          |
| number           | at most 32 digits, optionally signed, optionally with decimals        |
| letter           | at most 32 letters                                                    |
| symbol           | at most 5 symbols                                                     |
| amount           | one currency sign, at most 10 digits, 2 decimals, optionally 元       |
| phone_number     | at most 17 digits and phone symbols (+ - ( ) space)                   |
| car_number       | at most 8 characters                                                  |
| time             | 24-hour time, optionally with its date: 15:01, 2019年10月1日 15:01     |
| date             | a date, optionally with a 24-hour time: 2019年10月1日                   |

Template messages of the official account (rules since 2023-05-04): every field at most
20 characters and no line breaks; no first/remark, no colours, no emoji. A template field
also keeps its type's own rule, so a value is valid for both kinds of message.

Shortening is deliberate and visible: free text (thing, name, letter) is cut with "…" (or
"..." where only ASCII is allowed) and the preview says so; values that cannot be cut
without changing their meaning (numbers, amounts, phone numbers, times, phrases) are
refused with a `TemplateError` instead, before anything is sent. Lengths count UTF-16
code units, as WeChat's servers do, so a character outside the BMP counts twice.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any
from zoneinfo import ZoneInfo

__all__ = [
    "ELLIPSIS",
    "TEMPLATE_FIELD_MAX",
    "FieldType",
    "FittedValue",
    "FieldValueError",
    "clean_text",
    "field_type_of",
    "fit_value",
    "format_date",
    "format_time",
    "is_valid",
    "wechat_len",
]

TEMPLATE_FIELD_MAX = 20
"""Template messages since 2023-05-04: each field at most 20 characters."""
ELLIPSIS = "…"
LOCAL_TZ = ZoneInfo("Asia/Shanghai")


class FieldType(str, Enum):
    thing = "thing"
    phrase = "phrase"
    character_string = "character_string"
    name = "name"
    number = "number"
    letter = "letter"
    symbol = "symbol"
    amount = "amount"
    phone_number = "phone_number"
    car_number = "car_number"
    time = "time"
    date = "date"


class FieldValueError(ValueError):
    """A value that cannot be made valid for its field type without changing its meaning."""


@dataclass(frozen=True)
class FittedValue:
    text: str
    shortened: bool = False
    note: str = ""
    """Why the value differs from its source, for the staff preview (Chinese)."""


_KEY_RE = re.compile(r"^([a-z_]+?)(\d+)$")
_CHINESE = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff\u3007]+$")
_LETTERS = re.compile(r"^[A-Za-z]+$")
_LETTERS_SPACES = re.compile(r"^[A-Za-z][A-Za-z .'-]*$")
_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")
_SYMBOLS = re.compile(r"^[^\sA-Za-z0-9\u3400-\u9fff]+$")
_CHARACTER_STRING = re.compile(r"^[\x21-\x7e]+$")
_PHONE = re.compile(r"^[0-9+\-() ]+$")
_AMOUNT = re.compile(r"^[¥￥$€£]?\d{1,10}(\.\d{1,2})?元?$")
_TIME = re.compile(r"^(\d{4}年\d{1,2}月\d{1,2}日 )?([01]?\d|2[0-3]):[0-5]\d$")
_DATE = re.compile(r"^\d{4}年\d{1,2}月\d{1,2}日( ([01]?\d|2[0-3]):[0-5]\d)?$")
_ISO_DATETIME = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::\d{2}(?:\.\d+)?)?)?$")
_WHITESPACE = re.compile(r"\s+")
# Emoji and pictographs (removed from template messages in 2023) and the joiners and
# variation selectors that build them.
_EMOJI = re.compile(
    "[\U0001f000-\U0001faff\U0001fc00-\U0001ffff\u2600-\u27bf\u2b00-\u2bff\ufe00-\ufe0f\u200d\u20e3]"
)


def field_type_of(key: str) -> FieldType:
    """`thing12` -> thing, `character_string3` -> character_string; ValueError otherwise."""
    match = _KEY_RE.match(key)
    if not match:
        raise ValueError(f"field key {key!r} must be a WeChat type followed by a number, e.g. thing1")
    try:
        return FieldType(match.group(1))
    except ValueError:
        raise ValueError(f"field key {key!r}: unknown field type {match.group(1)!r}") from None


def wechat_len(text: str) -> int:
    """Length as WeChat counts it (UTF-16 code units)."""
    return sum(2 if ord(char) > 0xFFFF else 1 for char in text)


def clean_text(value: Any) -> str:
    """One line of plain text: line breaks and runs of whitespace collapsed to one space,
    control characters and emoji removed, ends trimmed."""
    text = "" if value is None else str(value)
    text = _WHITESPACE.sub(" ", _EMOJI.sub("", text))  # line breaks are whitespace too
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf", "Co", "Cs"))
    return _WHITESPACE.sub(" ", text).strip()


def _cut(text: str, limit: int, ellipsis: str = ELLIPSIS) -> str:
    """`text` cut to at most `limit` (WeChat length) including the ellipsis."""
    if wechat_len(text) <= limit:
        return text
    budget = limit - wechat_len(ellipsis)
    out: list[str] = []
    used = 0
    for char in text:
        width = wechat_len(char)
        if used + width > budget:
            break
        out.append(char)
        used += width
    kept = "".join(out)
    # Do not end inside a bracket or quotation just opened: "指引（2…" reads worse than "指引…".
    for opening, closing in _PAIRS:
        at = kept.rfind(opening)
        if at > kept.rfind(closing) and at >= budget // 2:
            kept = kept[:at]
    return kept.rstrip(_TRAILING) + ellipsis


_TRAILING = " ，。、；：,.;:-—"
_PAIRS = (("（", "）"), ("(", ")"), ("《", "》"), ("【", "】"), ("“", "”"), ("「", "」"), ("[", "]"))


def _hard_cut(text: str, limit: int) -> str:
    out: list[str] = []
    used = 0
    for char in text:
        width = wechat_len(char)
        if used + width > limit:
            break
        out.append(char)
        used += width
    return "".join(out).rstrip()


def _local(moment: datetime) -> datetime:
    return moment.astimezone(LOCAL_TZ) if moment.tzinfo is not None else moment


def format_date(day: date | datetime) -> str:
    """`2024年5月1日` (WeChat's documented date format)."""
    if isinstance(day, datetime):
        day = _local(day).date()
    return f"{day.year}年{day.month}月{day.day}日"


def format_time(moment: datetime | time) -> str:
    """`2024年5月1日 15:01`, or `15:01` for a time of day, in Shanghai time."""
    if isinstance(moment, datetime):
        local = _local(moment)
        return f"{format_date(local)} {local.hour:02d}:{local.minute:02d}"
    return f"{moment.hour:02d}:{moment.minute:02d}"


def _parse_iso(text: str) -> datetime | date | None:
    match = _ISO_DATETIME.match(text)
    if not match:
        return None
    year, month, day, hour, minute = match.groups()
    try:
        if hour is None:
            return date(int(year), int(month), int(day))
        return datetime(int(year), int(month), int(day), int(hour), int(minute))
    except ValueError:
        return None


def _decimal(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise FieldValueError("a boolean is not a number")
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        raise FieldValueError(f"{value!r} is not a number") from None
    if not number.is_finite():
        raise FieldValueError(f"{value!r} is not a finite number")
    return number


def _plain_number(number: Decimal) -> str:
    text = format(number, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "+0", "") else text


# -- one function per type: value -> FittedValue, or FieldValueError ------------------


def _fit_thing(value: Any, limit: int) -> FittedValue:
    raw = "" if value is None else str(value)
    text = clean_text(raw)
    cut = _cut(text, 20)
    if cut != text:
        return FittedValue(cut, True, "超过20字，已截断")
    if text != raw:
        return FittedValue(text, False, "已去除换行和多余空白")
    return FittedValue(text)


def _fit_phrase(value: Any, limit: int) -> FittedValue:
    text = clean_text(value).replace(" ", "")
    if not _CHINESE.match(text) or len(text) > 5:
        raise FieldValueError(f"{text!r} is not a phrase (at most 5 Chinese characters); map it to a short word")
    return FittedValue(text)


def _fit_character_string(value: Any, limit: int) -> FittedValue:
    text = _WHITESPACE.sub("", clean_text(value))
    if text and not _CHARACTER_STRING.match(text):
        raise FieldValueError(f"{text!r}: character_string allows only letters, digits and ASCII symbols")
    cap = min(limit, 32)
    if wechat_len(text) > cap:
        return FittedValue(_cut(text, cap, "..."), True, f"超过{cap}个字符，已截断")
    return FittedValue(text)


def _fit_name(value: Any, limit: int) -> FittedValue:
    text = clean_text(value)
    if _LETTERS_SPACES.match(text):
        cap = min(limit, 20)
    else:
        text = text.replace(" ", "")
        cap = min(limit, 10)
    if wechat_len(text) > cap:
        return FittedValue(_hard_cut(text, cap), True, f"姓名超过{cap}字，已截断")
    return FittedValue(text)


def _fit_number(value: Any, limit: int) -> FittedValue:
    text = _plain_number(_decimal(value))
    if len(text) > min(limit, 32):
        raise FieldValueError(f"number {text} has more than {min(limit, 32)} characters")
    return FittedValue(text)


def _fit_letter(value: Any, limit: int) -> FittedValue:
    text = clean_text(value).replace(" ", "")
    if text and not _LETTERS.match(text):
        raise FieldValueError(f"{text!r}: letter allows only A-Z and a-z")
    cap = min(limit, 32)
    if len(text) > cap:
        return FittedValue(text[:cap], True, f"超过{cap}个字母，已截断")
    return FittedValue(text)


def _fit_symbol(value: Any, limit: int) -> FittedValue:
    text = clean_text(value).replace(" ", "")
    if not _SYMBOLS.match(text) or len(text) > 5:
        raise FieldValueError(f"{text!r}: symbol allows at most 5 symbols")
    return FittedValue(text)


def _fit_amount(value: Any, limit: int) -> FittedValue:
    if isinstance(value, str):
        text = clean_text(value).replace(" ", "").replace(",", "")
        if _AMOUNT.match(text):
            return FittedValue(text)
        value = text.lstrip("¥￥").removesuffix("元")
    number = _decimal(value).quantize(Decimal("0.01"))
    if number < 0:
        raise FieldValueError("amount must not be negative")
    text = format(number, "f")
    if text.endswith(".00"):
        text = text[:-3]
    text += "元"
    if not _AMOUNT.match(text):
        raise FieldValueError(f"amount {text} has more than 10 digits")
    return FittedValue(text)


def _fit_phone_number(value: Any, limit: int) -> FittedValue:
    text = clean_text(value)
    if not _PHONE.match(text) or len(text) > 17:
        raise FieldValueError(f"{text!r} is not a phone number (at most 17 digits and + - ( ) space)")
    return FittedValue(text)


def _fit_car_number(value: Any, limit: int) -> FittedValue:
    text = clean_text(value).replace(" ", "")
    if len(text) > 8:
        raise FieldValueError(f"{text!r} is longer than a car number (8 characters)")
    return FittedValue(text)


def _fit_time(value: Any, limit: int) -> FittedValue:
    if isinstance(value, (datetime, time)):
        return FittedValue(format_time(value))
    if isinstance(value, date):
        raise FieldValueError("a time field needs a datetime (or a time of day), not a date")
    text = clean_text(value)
    if _TIME.match(text):
        return FittedValue(text)
    parsed = _parse_iso(text)
    if isinstance(parsed, datetime):
        return FittedValue(format_time(parsed))
    raise FieldValueError(f"{text!r} is not a time (e.g. 2024年5月1日 15:01)")


def _fit_date(value: Any, limit: int) -> FittedValue:
    if isinstance(value, datetime):
        local = _local(value)
        if (local.hour, local.minute) == (0, 0):
            return FittedValue(format_date(local))
        return FittedValue(format_time(local))
    if isinstance(value, date):
        return FittedValue(format_date(value))
    text = clean_text(value)
    if _DATE.match(text):
        return FittedValue(text)
    parsed = _parse_iso(text)
    if parsed is not None:
        return _fit_date(parsed, limit)
    raise FieldValueError(f"{text!r} is not a date (e.g. 2024年5月1日)")


_FITTERS = {
    FieldType.thing: _fit_thing,
    FieldType.phrase: _fit_phrase,
    FieldType.character_string: _fit_character_string,
    FieldType.name: _fit_name,
    FieldType.number: _fit_number,
    FieldType.letter: _fit_letter,
    FieldType.symbol: _fit_symbol,
    FieldType.amount: _fit_amount,
    FieldType.phone_number: _fit_phone_number,
    FieldType.car_number: _fit_car_number,
    FieldType.time: _fit_time,
    FieldType.date: _fit_date,
}


def fit_value(field_type: FieldType, value: Any, *, template_message: bool) -> FittedValue:
    """`value` made valid for `field_type` (and, for a template message, for the 2023
    rules), or FieldValueError. Never returns an empty or invalid text."""
    limit = TEMPLATE_FIELD_MAX if template_message else 32
    fitted = _FITTERS[field_type](value, limit)
    if not fitted.text:
        raise FieldValueError("the value is empty")
    if template_message and wechat_len(fitted.text) > TEMPLATE_FIELD_MAX:
        # Only types without their own cut get here (e.g. a long number or time): refuse.
        raise FieldValueError(f"{fitted.text!r} exceeds {TEMPLATE_FIELD_MAX} characters (template message)")
    if not is_valid(field_type, fitted.text, template_message=template_message):
        raise FieldValueError(f"{fitted.text!r} is not a valid {field_type.value}")
    return fitted


def is_valid(field_type: FieldType, text: str, *, template_message: bool) -> bool:
    """Whether WeChat accepts `text` for a field of `field_type` (the final check)."""
    if not isinstance(text, str) or not text or text != text.strip():
        return False
    if "\n" in text or "\r" in text or _EMOJI.search(text):
        return False
    n = wechat_len(text)
    if template_message and n > TEMPLATE_FIELD_MAX:
        return False
    if field_type is FieldType.thing:
        return n <= 20
    if field_type is FieldType.phrase:
        return n <= 5 and bool(_CHINESE.match(text))
    if field_type is FieldType.character_string:
        return n <= 32 and bool(_CHARACTER_STRING.match(text))
    if field_type is FieldType.name:
        return n <= (20 if _LETTERS_SPACES.match(text) else 10)
    if field_type is FieldType.number:
        return n <= 32 and bool(_NUMBER.match(text))
    if field_type is FieldType.letter:
        return n <= 32 and bool(_LETTERS.match(text))
    if field_type is FieldType.symbol:
        return n <= 5 and bool(_SYMBOLS.match(text))
    if field_type is FieldType.amount:
        return bool(_AMOUNT.match(text))
    if field_type is FieldType.phone_number:
        return n <= 17 and bool(_PHONE.match(text))
    if field_type is FieldType.car_number:
        return n <= 8
    if field_type is FieldType.time:
        return bool(_TIME.match(text))
    if field_type is FieldType.date:
        return bool(_DATE.match(text))
    return False
