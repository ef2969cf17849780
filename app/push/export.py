"""Policy pushes as XLSX: the campaign list (`/admin/campaigns`, by status) and one
campaign's deliveries — all of them, or the failures and skips the campaign page lists
(optionally of one reason).

An openid is not a phone number and is written as it is; the follower's verified phone, where
there is one, is a `phone` column and is masked unless `app.exports.may_unmask`. Campaigns
are city-wide (the push permission is 政策编辑 / 市级管理员), so there is no organisation scope.
"""

from __future__ import annotations

from typing import Any

from app.exports import ROW_CAP, Column, Export, export_list, register_export, today_text
from app.push.models import CampaignStatus, DeliveryReason, DeliveryStatus, PushCampaign, PushDelivery
from app.push.service import PushError, get_campaign, list_campaigns
from app.staff.models import Staff

__all__ = ["CAMPAIGN_COLUMNS", "DELIVERY_COLUMNS", "FAILURE_STATUSES", "deliveries_query", "export_campaigns",
           "export_deliveries"]

register_export("campaigns", "政策推送列表")
register_export("deliveries", "推送投递记录")

CAMPAIGN_COLUMNS: tuple[Column, ...] = (
    Column("编号", 8), Column("活动", 36), Column("政策", 36), Column("状态", 10), Column("人数", 8, "number"),
    Column("定时", 17, "datetime"), Column("开始", 17, "datetime"), Column("完成", 17, "datetime"),
    Column("创建时间", 17, "datetime"), Column("创建人", 12),
)
DELIVERY_COLUMNS: tuple[Column, ...] = (
    Column("OpenID", 32), Column("手机号", 15, "phone"), Column("状态", 10), Column("原因", 30),
    Column("错误码", 8), Column("错误信息", 30), Column("尝试次数", 8, "number"), Column("入队时间", 17, "datetime"),
    Column("发送时间", 17, "datetime"), Column("完成时间", 17, "datetime"),
)
FAILURE_STATUSES = (DeliveryStatus.failed, DeliveryStatus.skipped)
"""What the campaign page's 失败与跳过 list holds (`app.push.service.campaign_failures`)."""


async def export_campaigns(*, staff: Staff, status: CampaignStatus | None) -> Export:
    """The campaign list with the page's status filter, newest first (the page's order)."""
    campaigns = await list_campaigns(status=status, limit=ROW_CAP + 1)
    rows = (
        [c.id, c.title, c.policy.title if c.policy_id is not None and c.policy else "", CampaignStatus(c.status).label,
         c.total, c.scheduled_at, c.started_at, c.finished_at, c.created_at,
         c.created_by.display_name if c.created_by_id is not None and c.created_by else ""]
        for c in campaigns
    )
    suffix = f"-{status.label}" if status else ""
    return await export_list(
        staff=staff, kind="campaigns", filters={"status": status}, filename=f"政策推送{suffix}-{today_text()}.xlsx",
        fallback="campaigns.xlsx", sheet_title="政策推送", columns=CAMPAIGN_COLUMNS, rows=rows,
    )


def deliveries_query(*, campaign_id: int, failures_only: bool = False, reason: str = "") -> Any:
    """A campaign's deliveries, newest first; `failures_only` and `reason` as the campaign
    page's failure list filters them."""
    query = PushDelivery.filter(campaign_id=campaign_id)
    if failures_only or reason:
        query = query.filter(status__in=list(FAILURE_STATUSES))
    if reason:
        query = query.filter(reason=reason)
    return query.order_by("-id")


def _reason(code: str) -> str:
    try:
        return DeliveryReason(code).label
    except ValueError:
        return code


async def export_deliveries(*, staff: Staff, campaign_id: int, failures_only: bool = False,
                            reason: str = "", chunk: int = 2000) -> Export:
    """One campaign's deliveries (PushError if there is no such campaign)."""
    campaign: PushCampaign = await get_campaign(campaign_id=campaign_id)
    query = deliveries_query(campaign_id=campaign_id, failures_only=failures_only, reason=reason)

    async def rows():
        for start in range(0, ROW_CAP + 1, chunk):
            part = await query.offset(start).limit(chunk).prefetch_related("follower__user")
            for d in part:
                user = d.follower.user if d.follower is not None and d.follower.user_id is not None else None
                yield [d.openid, user.phone if user else "", DeliveryStatus(d.status).label, _reason(d.reason),
                       d.errcode if d.errcode is not None else "", d.error, d.attempts, d.queued_at, d.sent_at,
                       d.finished_at]
            if len(part) < chunk:
                return

    what = f"失败与跳过-{_reason(reason)}" if reason else ("失败与跳过" if failures_only else "投递记录")
    return await export_list(
        staff=staff, kind="deliveries", filters={"failures_only": failures_only, "reason": reason},
        filename=f"推送{what}-{campaign.id}-{campaign.title[:30]}.xlsx",
        fallback=f"campaign-{campaign.id}-deliveries.xlsx",
        sheet_title="投递记录", columns=DELIVERY_COLUMNS, rows=rows(), target_type="push_campaign",
        target_id=campaign.id,
    )

