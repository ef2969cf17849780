"""服务机构状态通知 (official account): the `provider_status` notice for members without a grant.

Official-account template message, no grant needed: a provider's member who holds no usable
`provider_status` subscribe grant (never asked, or grants used up) but whose WeChat user
follows the official account is told the same step (admitted, more information needed,
refused, warned, suspended, reinstated, an upheld complaint, a withdrawn product, held text)
with its reason. Opens the mini-program's provider desk where a mini-program is configured
(the member's timeline), else the provider's H5 page; see `app/provider/notices.py`.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from app.provider.models import ProviderStatus
from templates_msg.base import Channel, Field, MessageKind
from templates_msg.registry import template_message

__all__ = ["ProviderStatusProgressContext"]


@template_message(
    name="provider_status_progress",
    title="服务机构状态通知",
    kind=MessageKind.template,
    channel=Channel.official_account,
    fields=(
        Field("thing1", "服务机构", "provider_name"),
        Field("phrase2", "当前状态", "status", phrases=ProviderStatus.labels()),
        Field("thing3", "说明", "note", fallback="请在服务机构工作台查看详情"),
        Field("time4", "通知时间", "updated_at"),
    ),
    url=lambda c: f"/h5/providers/{c.provider_id}",
    page=lambda c: f"pages/provider/desk?id={c.provider_id}",
    example={
        "provider_id": 1,
        "provider_name": "上海浦江知识产权代理有限公司",
        "status": "warned",
        "note": "预警：近三个月两次投诉经核实属实",
        "updated_at": "2024-05-02T10:00:00+08:00",
    },
)
class ProviderStatusProgressContext(BaseModel):
    """A step of the provider's admission or dynamic management, told on the official account."""

    provider_id: int
    provider_name: str
    status: ProviderStatus
    note: str = ""
    updated_at: datetime
