"""Errors of the provider, engagement and rating services.

`message` is what the person who asked is told, in Chinese (enterprise, provider or staff);
`code` is stable for programs; `field` names the input at fault so a form can show the
message next to it. Transports map `status` to HTTP.
"""

from __future__ import annotations

from app.errors import DomainError


class ProviderError(DomainError):
    """A rule refused the request: invalid input, or a step not allowed in this state."""

    default_code = "provider_refused"


class ProviderPermissionError(ProviderError):
    """The person may not act for this provider or on this engagement."""

    status = 403

    def __init__(self, message: str = "您无权办理该服务机构的事项") -> None:
        super().__init__(message, code="forbidden")


class ProviderNotFound(ProviderError):
    """No such provider, product or engagement, or not one the caller may see."""

    status = 404

    def __init__(self, message: str = "未找到该服务机构", *, code: str = "provider_not_found") -> None:
        super().__init__(message, code=code)


class ProviderConflict(ProviderError):
    """Someone else changed the row between reading it and this step; reload and retry."""

    status = 409

    def __init__(self, message: str = "该记录刚刚已被他人处理，请刷新后重试", *, code: str = "provider_conflict") -> None:
        super().__init__(message, code=code)
