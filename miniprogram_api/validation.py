"""Request validation with pydantic models: `@validate_body(Model)`, `@validate_query(Model)`.

The validated model is passed to the handler as `body=` / `query=`. Failures answer
with the envelope: malformed JSON is 400 `malformed_json`; a well-formed request that
breaks the model is 422 `validation_failed`, whose `details.fields` lists every problem
(`field`, Chinese `message`, pydantic `type`) and whose `message` names the first one in
words the person understands (the field's `title`, e.g. "统一社会信用代码：此字段为必填项").
"""

from __future__ import annotations

import json as jsonlib
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from sanic import Request
from sanic.response import HTTPResponse

from miniprogram_api.errors import ApiError
from miniprogram_api.spec import get_spec

__all__ = ["parse_json_body", "refuse_unstorable", "validate_body", "validate_query", "validation_error"]

Handler = Callable[..., Awaitable[HTTPResponse]]
M = TypeVar("M", bound=BaseModel)

_MESSAGES: dict[str, str] = {
    "missing": "此字段为必填项",
    "extra_forbidden": "不支持该字段",
    "string_type": "应为字符串",
    "string_too_short": "长度不能少于{min_length}个字符",
    "string_too_long": "长度不能超过{max_length}个字符",
    "string_pattern_mismatch": "格式不正确",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "greater_than": "应大于{gt}",
    "greater_than_equal": "不能小于{ge}",
    "less_than": "应小于{lt}",
    "less_than_equal": "不能大于{le}",
    "enum": "取值无效，可选值：{expected}",
    "literal_error": "取值无效，可选值：{expected}",
    "list_type": "应为数组",
    "too_short": "至少需要{min_length}项",
    "too_long": "最多{max_length}项",
    "dict_type": "应为 JSON 对象",
    "model_type": "应为 JSON 对象",
    "model_attributes_type": "应为 JSON 对象",
    "date_parsing": "日期格式不正确",
    "date_from_datetime_parsing": "日期格式不正确",
    "datetime_parsing": "时间格式不正确",
    "datetime_from_date_parsing": "时间格式不正确",
}


def parse_json_body(request: Request) -> Any:
    """The request body as JSON, or 400 `malformed_json` (also for an empty body)."""
    raw = request.body or b""
    if not raw.strip():
        raise ApiError("malformed_json", "请求体不能为空，应为 JSON 对象")
    try:
        return jsonlib.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: [[[[... nested past the stack
        raise ApiError("malformed_json") from None


_INT_LIMIT = 2**31 - 1  # PostgreSQL's `integer`, the id columns' type


def refuse_unstorable(data: Any, model: type[BaseModel] | None = None, path: str = "") -> None:
    """422 for validated input no column can hold: a NUL character (PostgreSQL refuses it in
    text; SQLite would store it) or a whole number beyond the id columns' range (the driver
    overflows). Both were 500s; nobody sends them but a fuzzer or an attacker."""
    problem = ""
    if isinstance(data, str) and "\x00" in data:
        problem = "不能包含空字符（\\u0000）"
    elif isinstance(data, int) and not isinstance(data, bool) and abs(data) > _INT_LIMIT:
        problem = "数值超出范围"
    elif isinstance(data, dict):
        for key, value in data.items():
            refuse_unstorable(key, model, path or "(body)")
            refuse_unstorable(value, model, f"{path}.{key}" if path else str(key))
    elif isinstance(data, (list, tuple)):
        for index, value in enumerate(data):
            refuse_unstorable(value, model, f"{path}.{index}" if path else str(index))
    if problem:
        field = path or "(body)"
        raise ApiError("validation_failed", f"{_title(model, field)}：{problem}",
                       details={"fields": [{"field": field, "message": problem, "type": "unstorable"}]})


def validation_error(exc: ValidationError, model: type[BaseModel] | None = None) -> ApiError:
    """A pydantic failure as 422 `validation_failed` with Chinese field messages."""
    fields = []
    for error in exc.errors(include_url=False):
        loc = [str(part) for part in error.get("loc", ())]
        fields.append(
            {
                "field": ".".join(loc) or "(body)",
                "message": _message(error),
                "type": error.get("type", ""),
            }
        )
    message = "请求参数有误"
    if fields:
        first = fields[0]
        message = f"{_title(model, first['field'])}：{first['message']}"
    return ApiError("validation_failed", message, details={"fields": fields})


def validate_body(model: type[M]) -> Callable[[Handler], Handler]:
    """Parse the JSON body into `model`; the handler receives it as `body=`."""

    def decorator(handler: Handler) -> Handler:
        get_spec(handler).body = model

        @wraps(handler)
        async def wrapper(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
            data = parse_json_body(request)
            try:
                body = model.model_validate(data)
            except ValidationError as exc:
                raise validation_error(exc, model) from None
            refuse_unstorable(body.model_dump(), model)
            return await handler(request, *args, body=body, **kwargs)

        return wrapper

    return decorator


def validate_query(model: type[M]) -> Callable[[Handler], Handler]:
    """Parse the query string into `model`; the handler receives it as `query=`.
    A repeated parameter keeps its last value unless the model field is a list."""

    def decorator(handler: Handler) -> Handler:
        get_spec(handler).query = model

        @wraps(handler)
        async def wrapper(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
            data: dict[str, Any] = {}
            for name, values in request.args.items():
                field = model.model_fields.get(name)
                is_list = field is not None and getattr(field.annotation, "__origin__", None) is list
                data[name] = values if is_list else values[-1]
            try:
                query = model.model_validate(data)
            except ValidationError as exc:
                raise validation_error(exc, model) from None
            refuse_unstorable(query.model_dump(), model)
            return await handler(request, *args, query=query, **kwargs)

        return wrapper

    return decorator


def _message(error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    if kind == "value_error":
        # Our own validators raise ValueError with a Chinese message.
        text = str(error.get("ctx", {}).get("error") or error.get("msg", ""))
        return text.removeprefix("Value error, ") or "格式不正确"
    template = _MESSAGES.get(kind, "格式不正确")
    ctx = error.get("ctx") or {}
    try:
        return template.format(**{key: str(value) for key, value in ctx.items()})
    except (KeyError, IndexError):
        return template.split("{", 1)[0].rstrip("，：") or "格式不正确"


def _title(model: type[BaseModel] | None, field: str) -> str:
    if model is not None:
        info = model.model_fields.get(field.split(".", 1)[0])
        if info is not None and info.title:
            return info.title
    return field
