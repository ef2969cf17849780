"""Rendering success responses: pydantic models to JSON, Chinese left readable.

Handlers build a response model and return `ok(model)`; `model_dump(mode="json")` turns
datetimes, enums and decimals into the JSON the OpenAPI document promises.
"""

from __future__ import annotations

from pydantic import BaseModel
from sanic.response import HTTPResponse, empty
from sanic.response import json as json_response

from miniprogram_api.errors import dumps

__all__ = ["no_content", "ok"]


def ok(model: BaseModel, *, status: int = 200, headers: dict[str, str] | None = None) -> HTTPResponse:
    """A JSON response from a response model."""
    return json_response(model.model_dump(mode="json"), status=status, headers=headers, dumps=dumps)


def no_content() -> HTTPResponse:
    """204 with an empty body (deletions, logout)."""
    return empty(status=204)
