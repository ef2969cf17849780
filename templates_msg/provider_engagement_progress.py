"""服务进度通知: an engagement's step, told on the official account (and the rating prompt).

Official-account template message, no grant needed: the enterprise's follower when the
mini-program's `provider_engagement` subscribe message was not granted (requests made from
the chat's H5 pages, or grants used up), and the provider's members (a new request, a
confirmation, a cancellation, a delivery sent back). A completed engagement's message says
评价 and opens the page's rating form (the chat prompt's template fallback outside the
48-hour customer-service window). Opens the H5 engagement page.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from templates_msg.base import Channel, Field, MessageKind
from templates_msg.registry import template_message

__all__ = ["PROGRESS_PHRASES", "EngagementProgressContext", "Progress"]

Progress = Literal["requested", "accepted", "declined", "delivered", "completed", "reopened", "cancelled", "to_rate"]

PROGRESS_PHRASES: dict[str, str] = {
    "requested": "新委托",
    "accepted": "已接受",
    "declined": "已婉拒",
    "delivered": "待确认",
    "completed": "已完成",
    "reopened": "未完成",
    "cancelled": "已取消",
    "to_rate": "待评价",
}
"""The step -> the word in 服务状态 (a phrase: at most 5 Chinese characters)."""


@template_message(
    name="provider_engagement_progress",
    title="服务进度通知",
    kind=MessageKind.template,
    channel=Channel.official_account,
    fields=(
        Field("thing1", "服务机构", "provider_name"),
        Field("thing2", "服务项目", "product_name"),
        Field("phrase3", "服务状态", "progress", phrases=PROGRESS_PHRASES),
        Field("thing4", "说明", "note", fallback="点击查看服务详情"),
        Field("time5", "更新时间", "updated_at"),
    ),
    url=lambda c: f"/h5/engagements/{c.engagement_id}" + ("#rate" if c.progress == "to_rate" else ""),
    example={
        "engagement_id": 1,
        "provider_name": "上海浦江知识产权代理有限公司",
        "product_name": "高新技术企业认定辅导",
        "progress": "delivered",
        "note": "请确认服务是否已完成",
        "updated_at": "2024-05-02T10:00:00+08:00",
    },
)
class EngagementProgressContext(BaseModel):
    """A step of an engagement, told to the enterprise's follower or a provider member."""

    engagement_id: int
    provider_name: str
    product_name: str
    progress: Progress
    note: str = ""
    updated_at: datetime
