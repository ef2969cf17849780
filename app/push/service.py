"""Push campaigns: preview, create, start / schedule, pause, resume, cancel, progress; the
delivery reports; and followers' 退订 (mute by support type).

A campaign addresses an audience (`AudienceSpec`, see `app.push.audience`) with one
rendered template message. Starting it materialises the delivery ledger (one row per
recipient, in one statement) and fixes the message; arq workers then send the rows
(`app.push.sender`, `app.push.jobs`). Nothing here sends: every WeChat call happens in a
job, after the change that asked for it committed.

Rules kept here and nowhere else:

* an expired or withdrawn policy is never pushed: refused at create, start and resume,
  checked again by the workers before every batch, and a scheduled campaign whose policy
  expired meanwhile is cancelled instead of started;
* a follower muted for the policy's support type (or for all pushes) gets a `skipped` row,
  never a message; a follower past the weekly cap (`PUSH_FREQUENCY_CAP_PER_WEEK` policy
  pushes in 7 days) likewise — test lists are exempt from the cap, not from mutes;
* staff actions follow the transition table in `app.push.lifecycle` and are audited.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from redis.asyncio import Redis
from pydantic import ValidationError
from tortoise.exceptions import IntegrityError
from tortoise.functions import Count
from tortoise.transactions import in_transaction

from app.audit import service as audit
from app.config import Settings
from app.identity.models import Follower
from app.messagelog.models import Direction, MessageLog
from app.policy.models import Policy, SupportType
from app.push import audience as audience_module
from app.push import ledger
from app.push.audience import AudienceError, AudienceKind, AudienceSpec, describe_audience
from app.push.lifecycle import CampaignStateError, allowed_actions, transition_for
from app.push.messages import render_campaign_message, stored_message
from app.push.models import (
    CampaignStatus,
    DeliveryReason,
    DeliveryStatus,
    MuteScope,
    PushCampaign,
    PushDelivery,
    PushMute,
)
from app.push.ratelimit import quota_used
from app.push.sender import PENDING_FINISH_PREFIX, PENDING_FINISH_TTL_S, live_runners_key, rate_key
from app.staff.models import Staff
from app.staff.scope import can
from templates_msg import RenderedMessage, TemplateError

__all__ = [
    "PUSH_PERMISSION",
    "AudienceKind",
    "AudienceSpec",
    "CampaignPreview",
    "CampaignProgress",
    "FailureCount",
    "PushError",
    "PushSubscriptions",
    "apply_pending_finishes",
    "campaign_failures",
    "campaign_progress",
    "cancel_campaign",
    "create_campaign",
    "get_campaign",
    "list_campaigns",
    "mute_support_type",
    "muted_scopes",
    "pause_campaign",
    "preview_campaign",
    "push_subscriptions",
    "record_template_finished",
    "resume_after_quota",
    "resume_campaign",
    "start_campaign",
    "start_due_campaign",
    "stop_for_unpushable_policy",
    "supervise",
    "unmute_support_type",
]

logger = logging.getLogger("qiyun.push")

PUSH_PERMISSION = "policy.edit"
"""Pushing a policy is part of publishing it (政策编辑, 市级管理员)."""
RATE_WINDOW_S = 10
NOT_PUSHABLE = "政策未发布或已过期，不能推送"


class PushError(ValueError):
    """A push request refused, with a precise message for staff (Chinese)."""


# -- results ------------------------------------------------------------------------------


@dataclass
class CampaignPreview:
    """What staff see before sending: how many, who is skipped, the message, and warnings."""

    count: int
    """followers the campaign addresses"""
    muted: int
    """of them, followers who muted this support type (they will be skipped)"""
    already_received: int
    """of them, followers who got this policy from an earlier campaign (they will be skipped)"""
    audience_label: str
    message: RenderedMessage | None
    pushable: bool
    warnings: list[str] = field(default_factory=list)

    @property
    def will_send(self) -> int:
        return max(0, self.count - self.muted - self.already_received)


@dataclass(frozen=True)
class FailureCount:
    status: str
    reason: str
    label: str
    count: int


@dataclass
class CampaignProgress:
    campaign_id: int
    title: str
    status: CampaignStatus
    pause_code: str
    pause_reason: str
    total: int
    queued: int
    sending: int
    sent: int
    """accepted by WeChat, final report not yet in"""
    delivered: int
    failed: int
    skipped: int
    failures: list[FailureCount]
    rate_per_second: float
    """sends a second over the last 10 seconds, all workers"""
    started_at: datetime | None
    finished_at: datetime | None
    actions: list[str]

    @property
    def status_label(self) -> str:
        return self.status.label

    @property
    def done(self) -> int:
        return self.sent + self.delivered + self.failed + self.skipped

    @property
    def percent(self) -> float:
        return round(100.0 * self.done / self.total, 1) if self.total else 100.0

    @property
    def eta_seconds(self) -> int | None:
        left = self.queued + self.sending
        if not left:
            return 0
        return int(left / self.rate_per_second) if self.rate_per_second > 0 else None


@dataclass(frozen=True)
class PushSubscriptions:
    """What a follower receives: every support type unless muted, or nothing when all is muted."""

    all_muted: bool
    muted: list[SupportType]
    receiving: list[SupportType]


# -- helpers ------------------------------------------------------------------------------


def _today() -> date:
    from app.policy.service import shanghai_today

    return shanghai_today()


def _pushable(policy: Policy | None, today: date) -> bool:
    from app.policy.service import is_pushable

    return policy is None or is_pushable(policy, today=today)


def _require_pusher(staff: Staff | None) -> None:
    if staff is not None and not can(staff, PUSH_PERMISSION):
        raise PushError("您的角色无权发起政策推送")


async def _policy(policy_id: int | None) -> Policy | None:
    if policy_id is None:
        return None
    policy = await Policy.get_or_none(id=policy_id)
    if policy is None:
        raise PushError(f"政策 {policy_id} 不存在")
    return policy


def _audience(value: AudienceSpec | Mapping[str, Any]) -> AudienceSpec:
    if isinstance(value, AudienceSpec):
        return value
    try:
        return AudienceSpec.model_validate(dict(value))
    except ValidationError as exc:
        raise PushError(f"推送对象有误：{_first_error(exc)}") from None


def _first_error(exc: ValidationError) -> str:
    """Pydantic's first error as staff should read it: our own message, or field + reason."""
    error = exc.errors(include_url=False)[0]
    message = str(error.get("msg", ""))
    if message.startswith("Value error, "):
        return message.removeprefix("Value error, ")
    field = ".".join(str(part) for part in error.get("loc", ())) or "audience"
    labels = {"kind": "推送对象类型", "district": "区", "tag": "标签", "wechat_tag_id": "粉丝标签", "openids": "测试名单"}
    return f"{labels.get(field.split('.')[0], field)}无效（{message}）"


async def get_campaign(*, campaign_id: int) -> PushCampaign:
    campaign = await PushCampaign.get_or_none(id=campaign_id)
    if campaign is None:
        raise PushError(f"推送活动 {campaign_id} 不存在")
    return campaign


async def _audit(staff: Staff | None, action: str, campaign: PushCampaign, detail: dict[str, Any]) -> None:
    await audit.record(
        staff=staff,
        action=f"push.{action}",
        target_type="push_campaign",
        target_id=campaign.id,
        detail=detail,
        username="system",
    )


async def _move(campaign: PushCampaign, action: str, **changes: Any) -> None:
    """Apply a lifecycle transition, atomically against concurrent changes."""
    try:
        step = transition_for(action, campaign.status)
    except CampaignStateError as exc:
        raise PushError(str(exc)) from None
    changed = await PushCampaign.filter(id=campaign.id, status=step.source).update(status=step.target, **changes)
    if not changed:
        current = await PushCampaign.filter(id=campaign.id).values_list("status", flat=True)
        label = CampaignStatus(current[0]).label if current else "已删除"
        raise PushError(f"活动状态已变为“{label}”，请刷新后重试")
    campaign.status = step.target
    for name, value in changes.items():
        setattr(campaign, name, value)


# -- preview and create ------------------------------------------------------------------


async def preview_campaign(
    *,
    policy_id: int | None,
    audience: AudienceSpec | Mapping[str, Any],
    template_name: str,
    settings: Settings,
    redis: Redis | None = None,
    values: Mapping[str, Any] | None = None,
    today: date | None = None,
) -> CampaignPreview:
    """The audience count, muted followers, the rendered message and warnings, before anything is sent.

    Never raises for problems staff can fix in the form (they come back as warnings); an
    unknown policy or a malformed audience raise PushError."""
    today = today or _today()
    spec = _audience(audience)
    policy = await _policy(policy_id)
    warnings: list[str] = []
    pushable = _pushable(policy, today)
    if not pushable:
        warnings.append(NOT_PUSHABLE)
    support_type = policy.support_type.value if policy is not None else ""
    try:
        count = await audience_module.count_audience(spec, policy=policy, today=today)
        muted = await audience_module.count_muted(spec, policy=policy, support_type=support_type, today=today)
        received = await audience_module.count_already_received(
            spec, policy=policy, support_type=support_type, today=today
        )
    except AudienceError as exc:
        raise PushError(str(exc)) from None
    message: RenderedMessage | None = None
    try:
        message = await render_campaign_message(
            template_name=template_name, policy=policy, settings=settings, values=values, require_template_id=False
        )
    except TemplateError as exc:
        warnings.append(f"消息无法生成：{exc}")
    else:
        if not message.template_id:
            warnings.append(f"模板 ID 未配置（{templates_setting(template_name)}），无法发送")
        if message.shortened:
            warnings.append("部分字段超过微信长度限制，已自动截短：" + "、".join(message.shortened))
    missing = await audience_module.missing_test_openids(spec)
    if missing:
        warnings.append("以下 openid 不是可推送的粉丝：" + "、".join(missing))
    if count == 0:
        warnings.append("没有符合条件的粉丝")
    if count and muted:
        warnings.append(f"其中 {muted} 人已退订此类推送，将跳过")
    if count and received:
        warnings.append(f"其中 {received} 人已收到过该政策的推送，将跳过")
    if redis is not None and count:
        left = settings.template_daily_quota - await quota_used(redis, appid=settings.wechat_appid)
        if count - muted - received > left:
            warnings.append(f"今日模板消息剩余额度 {max(left, 0)} 条，超出部分将在次日 0 点后继续发送")
    return CampaignPreview(
        count=count,
        muted=muted,
        already_received=received,
        audience_label=describe_audience(spec),
        message=message,
        pushable=pushable,
        warnings=warnings,
    )


def templates_setting(template_name: str) -> str:
    import templates_msg

    try:
        return templates_msg.get(template_name).setting_variable
    except TemplateError:
        return template_name


async def create_campaign(
    *,
    staff: Staff | None,
    title: str,
    policy_id: int | None,
    audience: AudienceSpec | Mapping[str, Any],
    template_name: str,
    scheduled_at: datetime | None = None,
    settings: Settings,
    redis: Redis | None = None,
    values: Mapping[str, Any] | None = None,
) -> PushCampaign:
    """A draft campaign, or a scheduled one when `scheduled_at` is given (its start job is
    queued when `redis` is given; the supervising cron starts it in any case)."""
    _require_pusher(staff)
    title = (title or "").strip()
    if not title:
        raise PushError("请填写活动名称")
    if len(title) > 200:
        raise PushError("活动名称最多 200 个字")
    spec = _audience(audience)
    policy = await _policy(policy_id)
    if not _pushable(policy, _today()):
        raise PushError(NOT_PUSHABLE)
    try:
        await render_campaign_message(
            template_name=template_name, policy=policy, settings=settings, values=values, require_template_id=False
        )
    except TemplateError as exc:
        raise PushError(f"消息无法生成：{exc}") from None
    status = CampaignStatus.draft
    if scheduled_at is not None:
        if scheduled_at.tzinfo is None:
            raise PushError("定时发送时间需要带时区")
        if scheduled_at <= datetime.now(UTC):
            raise PushError("定时发送时间必须晚于现在")
        status = CampaignStatus.scheduled
    async with in_transaction():
        campaign = await PushCampaign.create(
            title=title,
            policy=policy,
            template_name=template_name,
            audience=spec.model_dump(mode="json"),
            template_values=dict(values or {}),
            status=status,
            scheduled_at=scheduled_at,
            support_type=policy.support_type.value if policy is not None else "",
            frequency_capped=policy is not None and spec.kind is not AudienceKind.test_list,
            created_by=staff,
        )
        await _audit(
            staff,
            "create",
            campaign,
            {"title": title, "policy_id": policy_id, "audience": describe_audience(spec), "scheduled_at": str(scheduled_at or "")},
        )
    if scheduled_at is not None and redis is not None:
        from app.push.jobs import enqueue_scheduled_start

        await enqueue_scheduled_start(redis, campaign_id=campaign.id, at=scheduled_at)
    return campaign


# -- lifecycle -----------------------------------------------------------------------------


async def start_campaign(*, staff: Staff | None, campaign_id: int, settings: Settings, redis: Redis) -> PushCampaign:
    """Send now: fix the message, write the ledger (one row per recipient), queue the workers.

    Refused for an unpushable policy or an unrenderable message (nothing is written then)."""
    _require_pusher(staff)
    campaign = await get_campaign(campaign_id=campaign_id)
    try:
        transition_for("start", campaign.status)
    except CampaignStateError as exc:
        raise PushError(str(exc)) from None
    policy = await _policy(campaign.policy_id)
    today = _today()
    if not _pushable(policy, today):
        raise PushError(NOT_PUSHABLE)
    try:
        message = await render_campaign_message(
            template_name=campaign.template_name,
            policy=policy,
            settings=settings,
            values=campaign.template_values or None,
        )
    except TemplateError as exc:
        raise PushError(f"消息无法生成：{exc}") from None
    spec = AudienceSpec.from_stored(campaign.audience)
    now = datetime.now(UTC)
    async with in_transaction():
        await _move(campaign, "start", started_at=now, message=stored_message(message), pause_code="", pause_reason="")
        total = await audience_module.materialise(
            campaign_id=campaign.id, spec=spec, policy=policy, support_type=campaign.support_type, today=today
        )
        await PushCampaign.filter(id=campaign.id).update(total=total)
        campaign.total = total
        await _audit(staff, "start", campaign, {"total": total})
    await _enqueue_runners(redis, campaign.id)
    return campaign


async def _enqueue_runners(redis: Redis, campaign_id: int) -> None:
    from app.push.jobs import enqueue_runners

    await enqueue_runners(redis, campaign_id=campaign_id)


async def start_due_campaign(*, campaign_id: int, settings: Settings, redis: Redis) -> str:
    """Start a scheduled campaign whose time has come (job / cron). Returns what happened:
    started, cancelled (its policy is no longer pushable), not_due, or not_scheduled."""
    campaign = await PushCampaign.get_or_none(id=campaign_id)
    if campaign is None or campaign.status != CampaignStatus.scheduled:
        return "not_scheduled"
    if campaign.scheduled_at is not None and campaign.scheduled_at > datetime.now(UTC):
        return "not_due"
    policy = await _policy(campaign.policy_id) if campaign.policy_id else None
    if not _pushable(policy, _today()):
        await _move(
            campaign,
            "cancel",
            pause_code=DeliveryReason.policy_not_pushable.value,
            pause_reason="定时发送时政策已过期或不再发布，活动已取消，未发送任何消息。",
            finished_at=datetime.now(UTC),
        )
        await _audit(None, "cancel", campaign, {"reason": DeliveryReason.policy_not_pushable.value})
        return "cancelled"
    try:
        await start_campaign(staff=None, campaign_id=campaign_id, settings=settings, redis=redis)
    except PushError as exc:
        # e.g. the template id was unset meanwhile: visible on the campaign, never silent.
        await PushCampaign.filter(id=campaign_id, status=CampaignStatus.scheduled).update(
            pause_code="start_failed", pause_reason=f"定时发送失败：{exc}"[:200]
        )
        logger.warning("scheduled push not started", extra={"campaign_id": campaign_id, "error": str(exc)})
        return "failed"
    return "started"


async def pause_campaign(*, staff: Staff | None, campaign_id: int, reason: str = "") -> PushCampaign:
    """Stop sending; rows not yet sent stay queued (workers stop within half a second)."""
    _require_pusher(staff)
    campaign = await get_campaign(campaign_id=campaign_id)
    who = staff.display_name if staff is not None else "系统"
    text = f"{who}暂停" + (f"：{reason.strip()}" if reason.strip() else "")
    await _move(campaign, "pause", pause_code="staff", pause_reason=text[:200])
    await _audit(staff, "pause", campaign, {"reason": reason})
    return campaign


async def resume_campaign(*, staff: Staff | None, campaign_id: int, redis: Redis) -> PushCampaign:
    """Continue a paused campaign (after 45009, the quota, or a staff pause)."""
    _require_pusher(staff)
    campaign = await get_campaign(campaign_id=campaign_id)
    policy = await _policy(campaign.policy_id)
    if not _pushable(policy, _today()):
        raise PushError(NOT_PUSHABLE + "，请取消此活动")
    await _move(campaign, "resume", pause_code="", pause_reason="")
    await _audit(staff, "resume", campaign, {})
    await _enqueue_runners(redis, campaign.id)
    return campaign


async def resume_after_quota(*, campaign_id: int, redis: Redis) -> bool:
    """The day's quota is back: continue if the campaign is still paused for the quota."""
    campaign = await PushCampaign.get_or_none(id=campaign_id)
    if campaign is None or campaign.status != CampaignStatus.paused or campaign.pause_code != "quota":
        return False
    try:
        await resume_campaign(staff=None, campaign_id=campaign_id, redis=redis)
    except PushError as exc:
        logger.warning("push not resumed after quota reset", extra={"campaign_id": campaign_id, "error": str(exc)})
        return False
    return True


async def cancel_campaign(*, staff: Staff | None, campaign_id: int, reason: str = "") -> PushCampaign:
    """Stop for good: queued rows become skipped (cancelled); rows being sent finish or are skipped."""
    _require_pusher(staff)
    campaign = await get_campaign(campaign_id=campaign_id)
    who = staff.display_name if staff is not None else "系统"
    text = f"{who}取消" + (f"：{reason.strip()}" if reason.strip() else "")
    async with in_transaction():
        await _move(
            campaign, "cancel", pause_code="cancelled", pause_reason=text[:200], finished_at=datetime.now(UTC)
        )
        await _skip_queued(campaign.id, DeliveryReason.cancelled)
        await _audit(staff, "cancel", campaign, {"reason": reason})
    return campaign


async def _skip_queued(campaign_id: int, reason: DeliveryReason) -> int:
    return await PushDelivery.filter(campaign_id=campaign_id, status=DeliveryStatus.queued).update(
        status=DeliveryStatus.skipped, reason=reason.value, finished_at=datetime.now(UTC)
    )


async def stop_for_unpushable_policy(*, campaign_id: int, policy_id: int, today: date | None = None) -> bool:
    """Workers call this before every batch. If the policy expired or was withdrawn, the
    campaign is cancelled and its queued rows skipped; returns True when it stopped."""
    policy = await Policy.get_or_none(id=policy_id)
    if policy is not None and _pushable(policy, today or _today()):
        return False
    async with in_transaction():
        changed = await PushCampaign.filter(
            id=campaign_id, status__in=[CampaignStatus.running, CampaignStatus.paused]
        ).update(
            status=CampaignStatus.cancelled,
            pause_code=DeliveryReason.policy_not_pushable.value,
            pause_reason="政策已过期或不再发布，推送已停止，剩余粉丝不再发送。",
            finished_at=datetime.now(UTC),
        )
        if changed:
            await _skip_queued(campaign_id, DeliveryReason.policy_not_pushable)
    if changed:
        logger.warning("push stopped: policy no longer pushable", extra={"campaign_id": campaign_id})
    return True


async def supervise(*, settings: Settings, redis: Redis) -> dict[str, int]:
    """The supervising cron (every 15 s): start due scheduled campaigns, give orphaned running campaigns a runner,
    and settle rows a dead worker left behind in paused or cancelled campaigns."""
    now = datetime.now(UTC)
    now_ms = ledger.now_ms()
    report = {"started": 0, "revived": 0, "settled": 0}
    due = await PushCampaign.filter(status=CampaignStatus.scheduled, scheduled_at__lte=now).values_list("id", flat=True)
    for campaign_id in due:
        if await start_due_campaign(campaign_id=campaign_id, settings=settings, redis=redis) == "started":
            report["started"] += 1
    for campaign_id in await PushCampaign.filter(status=CampaignStatus.running).values_list("id", flat=True):
        key = live_runners_key(campaign_id)
        await redis.zremrangebyscore(key, 0, now_ms)
        if not await redis.zcard(key):
            await _enqueue_runners(redis, campaign_id)
            report["revived"] += 1
    for campaign_id in await PushCampaign.filter(status=CampaignStatus.paused).values_list("id", flat=True):
        report["settled"] += await ledger.reclaim_expired(campaign_id=campaign_id, now=now_ms)
    report["settled"] += await PushDelivery.filter(
        status=DeliveryStatus.sending,
        lease_until__lt=now_ms,
        campaign__status__in=[CampaignStatus.cancelled, CampaignStatus.completed],
    ).update(
        status=DeliveryStatus.failed,
        reason=DeliveryReason.unknown_outcome.value,
        uncertain=True,
        claimed_by=None,
        lease_until=None,
        finished_at=now,
    )
    return report


# -- reading -------------------------------------------------------------------------------


async def list_campaigns(
    *, status: CampaignStatus | None = None, policy_id: int | None = None, limit: int = 50, offset: int = 0
) -> list[PushCampaign]:
    query = PushCampaign.all()
    if status is not None:
        query = query.filter(status=status)
    if policy_id is not None:
        query = query.filter(policy_id=policy_id)
    return await query.order_by("-id").offset(offset).limit(limit).prefetch_related("policy", "created_by")


async def campaign_progress(*, campaign_id: int, redis: Redis | None = None) -> CampaignProgress:
    """Counts by status, failures by reason, the current rate: the admin's live progress."""
    campaign = await get_campaign(campaign_id=campaign_id)
    by_status = dict(
        await PushDelivery.filter(campaign_id=campaign_id)
        .annotate(n=Count("id"))
        .group_by("status")
        .values_list("status", "n")
    )
    counts = {DeliveryStatus(status).value: int(n) for status, n in by_status.items()}
    reasons = (
        await PushDelivery.filter(
            campaign_id=campaign_id, status__in=[DeliveryStatus.failed, DeliveryStatus.skipped]
        )
        .annotate(n=Count("id"))
        .group_by("status", "reason")
        .values_list("status", "reason", "n")
    )
    failures = sorted(
        (
            FailureCount(
                status=DeliveryStatus(status).value,
                reason=reason,
                label=_reason_label(reason),
                count=int(n),
            )
            for status, reason, n in reasons
        ),
        key=lambda f: (-f.count, f.reason),
    )
    rate = 0.0
    if redis is not None:
        second = int(datetime.now(UTC).timestamp())
        keys = [rate_key(campaign_id, second - back) for back in range(RATE_WINDOW_S)]
        rate = sum(int(v or 0) for v in await redis.mget(keys)) / RATE_WINDOW_S
    return CampaignProgress(
        campaign_id=campaign.id,
        title=campaign.title,
        status=CampaignStatus(campaign.status),
        pause_code=campaign.pause_code,
        pause_reason=campaign.pause_reason,
        total=campaign.total or sum(counts.values()),
        queued=counts.get("queued", 0),
        sending=counts.get("sending", 0),
        sent=counts.get("sent", 0),
        delivered=counts.get("delivered", 0),
        failed=counts.get("failed", 0),
        skipped=counts.get("skipped", 0),
        failures=failures,
        rate_per_second=rate,
        started_at=campaign.started_at,
        finished_at=campaign.finished_at,
        actions=allowed_actions(campaign.status),
    )


def _reason_label(reason: str) -> str:
    try:
        return DeliveryReason(reason).label
    except ValueError:
        return reason or "未知"


async def campaign_failures(
    *, campaign_id: int, reason: str | None = None, limit: int = 50, offset: int = 0
) -> list[PushDelivery]:
    """Failed and skipped rows (newest first), optionally of one reason: the campaign page's list."""
    query = PushDelivery.filter(campaign_id=campaign_id, status__in=[DeliveryStatus.failed, DeliveryStatus.skipped])
    if reason:
        query = query.filter(reason=reason)
    return await query.order_by("-id").offset(offset).limit(limit)


# -- delivery reports (TEMPLATESENDJOBFINISH) ------------------------------------------------

_FINISH_REASONS = {
    "failed:user block": DeliveryReason.user_block,
    "failed: system failed": DeliveryReason.system_failed,
}


def _finish_outcome(status: str) -> tuple[DeliveryStatus, str]:
    text = (status or "").strip()
    if text == "success":
        return DeliveryStatus.delivered, ""
    normalised = text.lower().replace(" ", "")
    for wechat_text, reason in _FINISH_REASONS.items():
        if normalised == wechat_text.replace(" ", ""):
            return DeliveryStatus.failed, reason.value
    return DeliveryStatus.failed, DeliveryReason.rejected.value


async def _apply_finished(msgids: list[int], status: str) -> int:
    target, reason = _finish_outcome(status)
    changed = await PushDelivery.filter(wechat_msgid__in=msgids, status=DeliveryStatus.sent).update(
        status=target, reason=reason, error=(status or "")[:200], finished_at=datetime.now(UTC)
    )
    if changed:
        await MessageLog.filter(
            direction=Direction.outbound,
            related_type="push_campaign",
            wechat_msg_id__in=[str(m) for m in msgids],
        ).update(status=(status or "")[:40])
    return changed


async def record_template_finished(
    *, msg_id: str | int, status: str, openid: str = "", redis: Redis | None = None
) -> bool:
    """WeChat's final word on a pushed template message: the ledger row becomes delivered, or
    failed with the reason (failed:user block, failed: system failed).

    The report can arrive before the sending worker wrote the msgid (outcomes are written in
    batches), so it is also parked in Redis for a day; the worker applies parked reports right
    after writing its batch. Park first, then update: whichever of the two runs second sees
    the other's write. Returns True when a ledger row was updated now."""
    try:
        msgid = int(str(msg_id).strip())
    except ValueError:
        return False
    if redis is not None:
        await redis.set(f"{PENDING_FINISH_PREFIX}{msgid}", str(status or ""), ex=PENDING_FINISH_TTL_S)
    changed = await _apply_finished([msgid], status)
    if changed and redis is not None:
        await redis.delete(f"{PENDING_FINISH_PREFIX}{msgid}")
    return bool(changed)


async def apply_pending_finishes(*, redis: Redis, msgids: list[int]) -> int:
    """Apply parked delivery reports for msgids a worker has just written (see above)."""
    if not msgids:
        return 0
    keys = [f"{PENDING_FINISH_PREFIX}{m}" for m in msgids]
    values = await redis.mget(keys)
    by_status: dict[str, list[int]] = {}
    for msgid, value in zip(msgids, values, strict=True):
        if value is not None:
            status = value.decode() if isinstance(value, bytes) else str(value)
            by_status.setdefault(status, []).append(msgid)
    if not by_status:
        return 0
    changed = 0
    for status, ids in by_status.items():
        changed += await _apply_finished(ids, status)
    await redis.delete(*[f"{PENDING_FINISH_PREFIX}{m}" for ids in by_status.values() for m in ids])
    return changed


# -- 退订: muting by support type ---------------------------------------------------------------


def _scope(support_type: SupportType | str | None) -> MuteScope:
    if support_type is None:
        return MuteScope.all
    value = support_type.value if isinstance(support_type, SupportType) else str(support_type)
    try:
        return MuteScope(value)
    except ValueError:
        raise PushError(f"未知的政策类型 {value!r}") from None


async def muted_scopes(*, follower: Follower) -> set[str]:
    """The follower's mutes: `all` and/or support-type codes."""
    return set(await PushMute.filter(follower_id=follower.id).values_list("scope", flat=True))


async def mute_support_type(*, follower: Follower, support_type: SupportType | None) -> PushSubscriptions:
    """退订: stop pushes of one support type, or of every type when `support_type` is None.

    Takes effect for campaigns already running too (workers check mutes before each batch)."""
    scope = _scope(support_type)
    async with in_transaction():
        try:
            await PushMute.get_or_create(follower_id=follower.id, scope=scope)
        except IntegrityError:
            pass  # muted concurrently: the row exists, which is the goal
        if scope is MuteScope.all:
            await PushMute.filter(follower_id=follower.id).exclude(scope=MuteScope.all).delete()
    return await push_subscriptions(follower=follower)


async def unmute_support_type(*, follower: Follower, support_type: SupportType | None) -> PushSubscriptions:
    """恢复推送: of one support type, or of everything when `support_type` is None.

    Unmuting one type while all are muted keeps the others muted."""
    scope = _scope(support_type)
    async with in_transaction():
        if scope is MuteScope.all:
            await PushMute.filter(follower_id=follower.id).delete()
        else:
            if await PushMute.filter(follower_id=follower.id, scope=MuteScope.all).exists():
                await PushMute.filter(follower_id=follower.id, scope=MuteScope.all).delete()
                others = [s for s in MuteScope if s not in (MuteScope.all, scope)]
                await PushMute.bulk_create([PushMute(follower_id=follower.id, scope=s) for s in others])
            await PushMute.filter(follower_id=follower.id, scope=scope).delete()
    return await push_subscriptions(follower=follower)


async def push_subscriptions(*, follower: Follower) -> PushSubscriptions:
    """What the follower receives now (for the 退订 reply and the mini-program's settings)."""
    scopes = await muted_scopes(follower=follower)
    all_muted = MuteScope.all.value in scopes
    muted = [t for t in SupportType if all_muted or t.value in scopes]
    receiving = [] if all_muted else [t for t in SupportType if t.value not in scopes]
    return PushSubscriptions(all_muted=all_muted, muted=muted, receiving=receiving)
