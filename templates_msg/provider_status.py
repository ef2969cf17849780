"""服务机构状态通知: a provider's members are told about its admission review and its standing
(admitted, more information needed, refused, warned, suspended, reinstated), and about an
upheld complaint or a product staff withdrew.

Mini-program subscribe message, one-time: a provider applies and works in the mini-program's
provider desk, which asks for this template when the application is submitted and whenever
the desk is opened; each notice uses one grant. The provider's whole timeline, with every
reason, is in the desk too, so a notice missed for want of a grant loses nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from app.provider.models import Provider, ProviderStatus
from templates_msg.base import Channel, Field, MessageKind
from templates_msg.registry import template_message

__all__ = ["ProviderStatusContext", "values_for"]


@template_message(
    name="provider_status",
    title="服务机构状态通知",
    kind=MessageKind.subscribe,
    channel=Channel.miniprogram,
    fields=(
        Field("thing1", "服务机构", "provider_name"),
        Field("phrase2", "当前状态", "status", phrases=ProviderStatus.labels()),
        Field("thing3", "说明", "note", fallback="请在服务机构工作台查看详情"),
        Field("time4", "通知时间", "updated_at"),
    ),
    page=lambda c: f"pages/provider/desk?id={c.provider_id}",
    example={
        "provider_id": 1,
        "provider_name": "上海浦江知识产权代理有限公司",
        "status": "needs_info",
        "note": "请补充专利代理机构执业许可证扫描件",
        "updated_at": "2024-05-02T10:00:00+08:00",
    },
)
class ProviderStatusContext(BaseModel):
    """A step of the provider's admission or dynamic management."""

    provider_id: int
    provider_name: str
    status: ProviderStatus
    note: str = ""
    updated_at: datetime


def values_for(provider: Provider, *, note: str, updated_at: datetime, status: ProviderStatus | None = None) -> dict[str, Any]:
    return {
        "provider_id": provider.id,
        "provider_name": provider.name,
        "status": status or provider.status,
        "note": note,
        "updated_at": updated_at,
    }
