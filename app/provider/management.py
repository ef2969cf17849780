"""Dynamic management (动态管理): warnings and suspensions from scores, completion and
complaints; staff decisions on complaints, ratings and a provider's standing.

The rules (all thresholds in configuration, `PROVIDER_*`):

* **suspend** when the score is below PROVIDER_SUSPEND_SCORE (once the provider has
  PROVIDER_RULES_MIN_RATINGS counting ratings), or the completion rate is below
  PROVIDER_SUSPEND_COMPLETION_RATE (once PROVIDER_COMPLETION_MIN_ENGAGEMENTS engagements
  have ended after acceptance), or PROVIDER_SUSPEND_COMPLAINTS complaints were upheld in
  the last PROVIDER_COMPLAINT_WINDOW_DAYS (≥ 2 in 12 months by default, government.md §3);
* **warn** on the same measures against PROVIDER_WARN_SCORE, PROVIDER_WARN_COMPLETION_RATE
  and PROVIDER_WARN_COMPLAINTS;
* a warning the rules gave is lifted by the rules when every measure is back above its
  line; a suspension, and anything staff decided, is undone only by staff (`reinstate`).
* **Staff stand by their decisions.** After a reinstatement only new evidence counts:
  complaints upheld before it are not counted again, and the score and completion rules
  wait for a rating or an ended engagement newer than it.

`refresh_provider` recomputes the reputation columns and applies the rules. It runs in the
outbox handler `provider.refresh` (queued by the engagement service with each completion,
rating, cancellation and decline, and here after complaints and exclusions) and nightly
for every provider (`app.provider.jobs`: scores decay with time). It is idempotent and safe
with several workers: the numbers are plain overwrites, and status steps are conditional
updates — a second worker finding the step already taken does nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tortoise.transactions import in_transaction

from app.audit import service as audit
from app.config import Settings
from app.db import db_time
from app.engagement.models import Engagement, EngagementStatus, ProviderRating
from app.enterprise.models import Enterprise
from app.identity.models import WeChatUser
from app.identity.permissions import require_binding
from app.outbox.delivery import outbox_handler
from app.outbox.models import OutboxMessage
from app.outbox.service import put as outbox_put
from app.provider import reputation
from app.provider.errors import ProviderConflict, ProviderError, ProviderNotFound
from app.provider.models import ComplaintStatus, Provider, ProviderComplaint, ProviderEvent, ProviderStatus
from app.provider.steps import clean_reason, now, record_event, take_step
from app.provider.workflow import Role
from app.staff.models import Staff

# The members' notices register their outbox handlers with this module (HANDLER_MODULES).
from app.provider import notices as _notices  # noqa: F401,E402  isort: skip

__all__ = [
    "Verdict",
    "decide_complaint",
    "exclude_rating",
    "file_complaint",
    "refresh_provider",
    "staff_step",
    "verdict",
]

logger = logging.getLogger("qiyun.provider")

COMPLAINT_MIN = 10
COMPLAINT_LIMIT = 2000
STAFF_STEPS = ("warn", "suspend", "reinstate")


@dataclass(frozen=True)
class Verdict:
    level: str
    """"ok", "warn" or "suspend"."""
    reasons: list[str] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def reason(self) -> str:
        return "；".join(self.reasons)


def verdict(*, rep: reputation.Reputation, upheld_complaints: int, settings: Settings,
            judge_performance: bool = True) -> Verdict:
    """What the rules say about these measures (pure: the tests' specification)."""
    suspend: list[str] = []
    warn: list[str] = []
    if judge_performance and rep.rating_count >= settings.provider_rules_min_ratings:
        if rep.score < settings.provider_suspend_score:
            suspend.append(f"综合评分 {rep.score:.2f} 低于暂停线 {settings.provider_suspend_score:g}")
        elif rep.score < settings.provider_warn_score:
            warn.append(f"综合评分 {rep.score:.2f} 低于预警线 {settings.provider_warn_score:g}")
    rate = rep.completion_rate
    if judge_performance and rate is not None and rep.completed + rep.failed >= settings.provider_completion_min_engagements:
        if rate < settings.provider_suspend_completion_rate:
            suspend.append(f"服务完成率 {rate:.0%} 低于暂停线 {settings.provider_suspend_completion_rate:.0%}")
        elif rate < settings.provider_warn_completion_rate:
            warn.append(f"服务完成率 {rate:.0%} 低于预警线 {settings.provider_warn_completion_rate:.0%}")
    window = settings.provider_complaint_window_days
    if upheld_complaints >= settings.provider_suspend_complaints:
        suspend.append(f"近 {window} 天内 {upheld_complaints} 次投诉经核实属实")
    elif upheld_complaints >= settings.provider_warn_complaints:
        warn.append(f"近 {window} 天内 {upheld_complaints} 次投诉经核实属实")
    facts = {"score": rep.score, "rating_count": rep.rating_count, "completion_rate": rate,
             "upheld_complaints": upheld_complaints}
    if suspend:
        return Verdict("suspend", suspend, facts)
    if warn:
        return Verdict("warn", warn, facts)
    return Verdict("ok", [], facts)


async def _last_reinstated(provider_id: int) -> datetime | None:
    event = await ProviderEvent.filter(provider_id=provider_id, action="reinstate").order_by("-id").first()
    return event.created_at if event is not None else None


async def _new_evidence_since(provider_id: int, moment: datetime) -> bool:
    since = db_time(moment)
    if await ProviderRating.filter(provider_id=provider_id, counts=True, created_at__gt=since).exists():
        return True
    return await Engagement.filter(provider_id=provider_id, completed_at__gt=since).exists() or await Engagement.filter(
        provider_id=provider_id, status__in=[EngagementStatus.declined, EngagementStatus.cancelled], closed_at__gt=since,
    ).exists()


async def _upheld_complaints(provider_id: int, *, settings: Settings, at: datetime, after: datetime | None) -> int:
    since = at - timedelta(days=settings.provider_complaint_window_days)
    if after is not None and after > since:
        since = after
    return await ProviderComplaint.filter(
        provider_id=provider_id, status=ComplaintStatus.upheld, decided_at__gt=db_time(since)
    ).count()


_JUDGED = frozenset({ProviderStatus.admitted, ProviderStatus.warned, ProviderStatus.suspended})


async def refresh_provider(*, provider_id: int, settings: Settings, at: datetime | None = None,
                           means: dict[str | None, float] | None = None) -> str:
    """Recompute the provider's reputation and apply the rules; returns what happened
    (`updated`, `warn`, `suspend`, `lift_warning`, or `gone`)."""
    at = at or now()
    provider = await Provider.get_or_none(id=provider_id)
    if provider is None:
        return "gone"
    rep = await reputation.compute(provider=provider, settings=settings, now=at, means=means)
    await Provider.filter(id=provider.id).update(
        score=rep.score, raw_average=rep.raw_average, rating_count=rep.rating_count,
        dimension_averages=rep.dimensions, ranked=rep.ranked, completion_rate=rep.completion_rate,
        completion_counts={"completed": rep.completed, "failed": rep.failed}, reputation_at=at,
    )
    for _attempt in range(2):
        if ProviderStatus(provider.status) not in _JUDGED:
            return "updated"
        reinstated = await _last_reinstated(provider.id)
        judge = reinstated is None or await _new_evidence_since(provider.id, reinstated)
        upheld = await _upheld_complaints(provider.id, settings=settings, at=at, after=reinstated)
        found = verdict(rep=rep, upheld_complaints=upheld, settings=settings, judge_performance=judge)
        action = _action_for(ProviderStatus(provider.status), found, by_system=provider.status_by_system)
        if action is None:
            return "updated"
        reason = found.reason if action != "lift_warning" else "各项指标已恢复到预警线以上"
        try:
            await take_step(provider, action, role=Role.system, reason=reason, payload=found.facts)
        except ProviderConflict:
            # Someone (another worker, staff) changed it meanwhile: judge the new status once more.
            provider = await Provider.get(id=provider.id)
            continue
        logger.info("provider %s: %s", action, provider.id, extra={"provider_id": provider.id, "reason": reason})
        return action
    return "updated"


def _action_for(status: ProviderStatus, found: Verdict, *, by_system: bool) -> str | None:
    if found.level == "suspend" and status in (ProviderStatus.admitted, ProviderStatus.warned):
        return "suspend"
    if found.level == "warn" and status is ProviderStatus.admitted:
        return "warn"
    if found.level == "ok" and status is ProviderStatus.warned and by_system:
        return "lift_warning"
    return None


@outbox_handler("provider.refresh")
async def refresh_handler(message: OutboxMessage, resources: Any) -> str:
    """Payload {"provider_id"}: queued after a completion, a rating, a cancellation or a
    decline (app.engagement), a complaint decided or a rating excluded (here)."""
    provider_id = (message.payload or {}).get("provider_id")
    if not isinstance(provider_id, int):
        return "failed:bad_payload"
    outcome = await refresh_provider(provider_id=provider_id, settings=resources.settings)
    return "skipped:provider_gone" if outcome == "gone" else f"sent:{outcome}"


# -- staff: warn, suspend, reinstate -----------------------------------------------------


async def staff_step(*, staff: Staff, provider_id: int, action: str, reason: str) -> Provider:
    """Staff warn, suspend or reinstate a provider, always with a reason the provider is told."""
    if action not in STAFF_STEPS:
        raise ProviderError("未知的操作", code="unknown_action", field="action")
    provider = await Provider.get_or_none(id=provider_id)
    if provider is None:
        raise ProviderNotFound()

    async def within(event: ProviderEvent, connection: Any) -> None:
        await audit.record(staff=staff, action=f"provider.{action}", target_type="provider", target_id=provider.id,
                           detail={"reason": event.reason})

    await take_step(provider, action, role=Role.staff, staff=staff, reason=reason, within=within)
    return provider


# -- complaints -------------------------------------------------------------------------


async def file_complaint(*, user: WeChatUser, enterprise_id: int, provider_id: int, text: str,
                         engagement_id: int | None = None) -> ProviderComplaint:
    """An enterprise (a person bound to it) complains about a provider it dealt with or
    knows; staff then uphold or dismiss it. One open complaint per enterprise and provider."""
    binding = await require_binding(user=user, enterprise_id=enterprise_id)
    provider = await Provider.get_or_none(id=provider_id)
    if provider is None or ProviderStatus(provider.status) not in _JUDGED:
        raise ProviderNotFound()
    text = (text or "").strip()
    if len(text) < COMPLAINT_MIN:
        raise ProviderError(f"请把投诉事由写清楚（至少 {COMPLAINT_MIN} 个字）", code="invalid_complaint", field="text")
    if len(text) > COMPLAINT_LIMIT:
        raise ProviderError(f"投诉内容不能超过 {COMPLAINT_LIMIT} 字", code="invalid_complaint", field="text")
    if engagement_id is not None and not await Engagement.filter(
        id=engagement_id, provider_id=provider.id, enterprise_id=binding.enterprise_id
    ).exists():
        raise ProviderNotFound("未找到该企业与该机构的服务订单", code="engagement_not_found")
    if await ProviderComplaint.filter(provider_id=provider.id, enterprise_id=binding.enterprise_id,
                                      status=ComplaintStatus.open).exists():
        raise ProviderConflict("贵企业对该机构的投诉正在核实中，请耐心等待处理结果", code="complaint_pending")
    async with in_transaction() as connection:
        complaint = await ProviderComplaint.create(
            provider=provider, enterprise_id=binding.enterprise_id, engagement_id=engagement_id, filed_by=user,
            text=text, using_db=connection,
        )
        await record_event(provider=provider, action="complaint", connection=connection, user=user, role=Role.applicant,
                           payload={"complaint_id": complaint.id, "enterprise": binding.enterprise.name})
    return complaint


async def decide_complaint(*, staff: Staff, complaint_id: int, uphold: bool, reason: str) -> ProviderComplaint:
    """Uphold (counts towards warnings and suspension, the provider is told) or dismiss."""
    reason = clean_reason(reason)
    if not reason:
        raise ProviderError("请填写核实结论", code="reason_required", field="reason")
    complaint = await ProviderComplaint.get_or_none(id=complaint_id).select_related("provider", "enterprise")
    if complaint is None:
        raise ProviderNotFound("未找到该投诉", code="complaint_not_found")
    status = ComplaintStatus.upheld if uphold else ComplaintStatus.dismissed
    at = now()
    async with in_transaction() as connection:
        updated = await ProviderComplaint.filter(id=complaint.id, status=ComplaintStatus.open).using_db(connection).update(
            status=status, decided_by_id=staff.id, decision_reason=reason, decided_at=at
        )
        if updated != 1:
            raise ProviderConflict("该投诉已处理", code="complaint_decided")
        await record_event(provider=complaint.provider, action=f"complaint_{status.value}", connection=connection,
                           staff=staff, reason=reason, notify=uphold,
                           payload={"complaint_id": complaint.id, "enterprise": complaint.enterprise.name})
        await outbox_put(topic="provider.refresh", dedupe_key=f"provider:{complaint.provider_id}:complaint:{complaint.id}",
                         payload={"provider_id": complaint.provider_id}, connection=connection)
        await audit.record(staff=staff, action=f"provider.complaint_{status.value}", target_type="provider_complaint",
                           target_id=complaint.id, detail={"reason": reason})
    complaint.status, complaint.decision_reason, complaint.decided_at = status, reason, at
    return complaint


# -- ratings staff exclude ---------------------------------------------------------------


async def exclude_rating(*, staff: Staff, rating_id: int, reason: str) -> ProviderRating:
    """Take a rating out of the score (abuse: a rating ring, a competitor's rating, ...)."""
    reason = clean_reason(reason)
    if not reason:
        raise ProviderError("请填写排除原因", code="reason_required", field="reason")
    rating = await ProviderRating.get_or_none(id=rating_id).select_related("provider")
    if rating is None:
        raise ProviderNotFound("未找到该评价", code="rating_not_found")
    enterprise = await Enterprise.get_or_none(id=rating.enterprise_id)
    async with in_transaction() as connection:
        updated = await ProviderRating.filter(id=rating.id, excluded_at__isnull=True).using_db(connection).update(
            counts=False, excluded_at=now(), excluded_by_id=staff.id, excluded_reason=reason
        )
        if updated != 1:
            raise ProviderConflict("该评价已被排除", code="rating_excluded")
        await record_event(provider=rating.provider, action="exclude_rating", connection=connection, staff=staff,
                           reason=reason, payload={"rating_id": rating.id, "overall": rating.overall,
                                                   "enterprise": enterprise.name if enterprise else ""})
        await outbox_put(topic="provider.refresh", dedupe_key=f"provider:{rating.provider_id}:exclude:{rating.id}",
                         payload={"provider_id": rating.provider_id}, connection=connection)
        await audit.record(staff=staff, action="provider.exclude_rating", target_type="provider_rating",
                           target_id=rating.id, detail={"reason": reason})
    rating.counts = False
    return rating
