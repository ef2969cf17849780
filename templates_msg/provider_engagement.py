"""服务进度: a service provider accepted, delivered or declined the enterprise's request.

Mini-program subscribe message, one-time: an engagement is requested in the mini-program,
which asks for this template then; each status change uses one grant (the ledger refuses
locally once they are used up, instead of meeting 43101).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from app.engagement.models import Engagement, EngagementStatus
from templates_msg.base import Channel, Field, MessageKind
from templates_msg.registry import template_message

__all__ = ["ProviderEngagementContext", "values_for"]


@template_message(
    name="provider_engagement",
    title="服务进度提醒",
    kind=MessageKind.subscribe,
    channel=Channel.miniprogram,
    fields=(
        Field("thing1", "服务机构", "provider_name"),
        Field("thing2", "服务项目", "product_name"),
        Field("phrase3", "服务状态", "status", phrases=EngagementStatus.labels()),
        Field("time4", "更新时间", "updated_at"),
        Field("thing5", "备注", "note", fallback="点击查看服务详情"),
    ),
    page=lambda c: f"pages/provider/engagement?id={c.engagement_id}",
    example={
        "engagement_id": 1,
        "provider_name": "上海浦江知识产权代理有限公司",
        "product_name": "高新技术企业认定辅导",
        "status": "accepted",
        "updated_at": "2024-05-02T10:00:00+08:00",
    },
)
class ProviderEngagementContext(BaseModel):
    """A change of an engagement's status."""

    engagement_id: int
    provider_name: str
    product_name: str
    status: EngagementStatus
    updated_at: datetime
    note: str = ""


def values_for(engagement: Engagement, *, provider_name: str, product_name: str, updated_at: datetime,
               note: str = "") -> dict[str, Any]:
    return {
        "engagement_id": engagement.id,
        "provider_name": provider_name,
        "product_name": product_name,
        "status": engagement.status,
        "updated_at": updated_at,
        "note": note,
    }
