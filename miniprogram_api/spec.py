"""What each endpoint declares about itself, for the OpenAPI document.

The decorators that do the work (`validate_body`, `authenticated`, `idempotent` ...) record
what they enforce here, and `describe` adds the summary, the success response and the
error codes. The document is built from these records and the same pydantic models that
validate requests, so it cannot drift from what the code does.

The record is one mutable object shared by a handler and all its wrappers:
`functools.wraps` copies `__dict__`, so every decorator, whatever its position, reaches
the same `EndpointSpec` through `get_spec`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel

__all__ = ["EndpointSpec", "ResponseSpec", "describe", "get_spec", "has_spec"]

_ATTR = "__mp_endpoint_spec__"

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class ResponseSpec:
    status: int
    model: type[BaseModel] | None
    description: str


@dataclass
class EndpointSpec:
    summary: str = ""
    description: str = ""
    tags: list[str] = field(default_factory=list)
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    form: type[BaseModel] | None = None
    """A multipart/form-data body's text fields (`uploads.validate_form`)."""
    form_files: tuple[str, int] | None = None
    """The form's file field and how many files it takes."""
    authenticated: bool = False
    idempotent: bool = False
    responses: list[ResponseSpec] = field(default_factory=list)
    errors: set[str] = field(default_factory=set)
    documented: bool = True


def get_spec(handler: Callable[..., Any]) -> EndpointSpec:
    """The handler's record, created on first use."""
    spec = getattr(handler, _ATTR, None)
    if spec is None:
        spec = EndpointSpec()
        setattr(handler, _ATTR, spec)
    return spec


def has_spec(handler: Callable[..., Any]) -> bool:
    return isinstance(getattr(handler, _ATTR, None), EndpointSpec)


def describe(
    summary: str,
    *,
    response: type[BaseModel] | None = None,
    status: int = 200,
    description: str = "",
    tags: Iterable[str] = (),
    errors: Iterable[str] = (),
) -> Callable[[F], F]:
    """Document an endpoint: one-line summary (Chinese, shown in the docs page), the success
    status and body model (None for an empty body), and the domain error codes it may
    answer with (codes from `miniprogram_api.errors.ERRORS`; the generic ones — 401, 422,
    429, 500 — are added from what the other decorators enforce)."""
    from miniprogram_api.errors import ERRORS

    unknown = [code for code in errors if code not in ERRORS]
    if unknown:
        raise ValueError(f"unknown error codes {unknown}: add them to miniprogram_api.errors.ERRORS")

    def decorator(handler: F) -> F:
        spec = get_spec(handler)
        spec.summary = summary
        spec.description = description or spec.description
        spec.tags = list(tags) or spec.tags
        spec.responses.append(ResponseSpec(status, response, "成功"))
        spec.errors.update(errors)
        return handler

    return decorator
