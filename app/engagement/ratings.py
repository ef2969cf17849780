"""Rating a completed engagement: once, by the engaging enterprise, content-checked.

Rules (every channel — mini-program, H5 page, chat flow — calls `rate`):

* only a **completed** engagement, only **once** (the rating's engagement is unique: of two
  submissions at once one is stored; a retry with the same idempotency key gets the rating
  already stored, anything else `already_rated`);
* only a person **bound to the engaging enterprise**; never a member of the provider, and
  never when the engaging enterprise is the provider itself (same credit code);
* overall 1–5 and the four dimensions 1–5 (`require_dimensions`: the mini-program asks
  for all four, the chat may skip them); a comment of at most `COMMENT_LIMIT` characters.

The comment goes through WeChat's content check (`app.content_check`, msg_sec_check v2, v1
without a mini-program openid) before anything is written; a comment WeChat doubts (or
that could not be checked) is stored held: the rating is kept with `counts=False` until a
reviewer decides (`app.engagement.checks`). Staff exclude abusive ratings with
`app.provider.management.exclude_rating` (provider-core). A rating that counts puts `provider.refresh` in
its transaction, so the provider's reputation follows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app.outbox.wake import wake
from app.content_check import service as content_check
from app.content_check.models import ContentCheck
from app.engagement.access import actor_for
from app.engagement.models import CommentCheck, EngagementChannel, EngagementStatus, ProviderRating
from app.engagement.service import get_engagement
from app.engagement.workflow import Role
from app.identity.models import EnterpriseBinding, WeChatUser
from app.outbox.service import put as outbox_put
from app.provider.errors import ProviderConflict, ProviderError, ProviderPermissionError

__all__ = ["COMMENT_LIMIT", "DIMENSIONS", "RateResult", "counts_again", "rate", "refuse_unless_rateable"]

DIMENSIONS: tuple[str, ...] = ("专业能力", "响应速度", "服务态度", "收费合理")
COMMENT_LIMIT = 500
SUBJECT = "provider_rating"


@dataclass(frozen=True)
class RateResult:
    rating: ProviderRating
    created: bool
    """False for a retried submission (same key): the stored rating is returned."""

    @property
    def held(self) -> bool:
        return CommentCheck(self.rating.comment_check) is CommentCheck.held


def _score(value: Any, what: str, field: str) -> int:
    """A whole number of stars 1-5 (an int, or its digits as text); anything else refused."""
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and value.strip().isdigit():
        number = int(value.strip())
    if number is None or not 1 <= number <= 5:
        raise ProviderError(f"{what}请打 1–5 分", code="invalid_score", field=field)
    return number


def _dimensions(values: Mapping[str, Any] | None, *, required: bool) -> dict[str, int]:
    values = dict(values or {})
    unknown = set(values) - set(DIMENSIONS)
    if unknown:
        raise ProviderError(f"未知的评价维度：{'、'.join(sorted(unknown))}", code="invalid_dimension", field="dimensions")
    if required and set(values) != set(DIMENSIONS):
        missing = "、".join(d for d in DIMENSIONS if d not in values)
        raise ProviderError(f"请为{missing}打分", code="dimensions_required", field="dimensions")
    return {name: _score(values[name], name, "dimensions") for name in DIMENSIONS if values.get(name) is not None}


async def refuse_unless_rateable(*, engagement_id: int, user: WeChatUser) -> None:
    """Raise the refusal `rate` would give before any text is checked (or a flow asks
    questions): not the enterprise's, not completed, the rater's own provider, rated already."""
    engagement = await get_engagement(engagement_id)
    actor = await actor_for(engagement, user=user)
    bound = await EnterpriseBinding.filter(
        user_id=user.id, enterprise_id=engagement.enterprise_id, revoked_at__isnull=True
    ).exists()
    if Role.provider in actor.roles:
        raise ProviderPermissionError("服务机构的成员不能评价本机构的服务")
    if engagement.enterprise.credit_code == engagement.provider.credit_code:
        raise ProviderPermissionError("不能评价本企业自己的服务机构")
    if not bound:
        raise ProviderPermissionError("只有委托企业绑定的人员可以评价")
    if EngagementStatus(engagement.status) is not EngagementStatus.completed:
        raise ProviderError("服务完成后才能评价", code="not_completed")
    if await ProviderRating.filter(engagement_id=engagement.id).exists():
        raise ProviderConflict("该服务已评价，每次服务只能评价一次", code="already_rated")


async def rate(
    *,
    engagement_id: int,
    user: WeChatUser,
    overall: Any,
    dimensions: Mapping[str, Any] | None = None,
    comment: str = "",
    require_dimensions: bool = False,
    channel: EngagementChannel = EngagementChannel.miniprogram,
    idempotency_key: str | None = None,
    miniprogram: Any = None,
) -> RateResult:
    """Store the enterprise's rating of a completed engagement (see the module docstring).
    `miniprogram` is the mini-program's WeChat client, for the comment's content check."""
    if idempotency_key:
        earlier = await ProviderRating.filter(engagement_id=engagement_id, idempotency_key=idempotency_key).first()
        if earlier is not None:
            return RateResult(earlier, created=False)
    overall_score = _score(overall, "总体评价", "overall")
    scores = _dimensions(dimensions, required=require_dimensions)
    comment = (comment or "").strip()
    if len(comment) > COMMENT_LIMIT:
        raise ProviderError(f"评语不能超过 {COMMENT_LIMIT} 字", code="comment_too_long", field="comment")
    await refuse_unless_rateable(engagement_id=engagement_id, user=user)
    engagement = await get_engagement(engagement_id)
    check: ContentCheck | None = None
    state = CommentCheck.none
    if comment:
        if miniprogram is None:
            raise ValueError("a comment needs the mini-program client for its content check")
        check = await content_check.check_text(miniprogram=miniprogram, user=user, text=comment,
                                               subject_type=SUBJECT, subject_id=0)
        state = CommentCheck.held if content_check.needs_review(check) else CommentCheck.passed
    counts = state is not CommentCheck.held
    try:
        async with in_transaction() as connection:
            rating = await ProviderRating.create(
                engagement_id=engagement.id, provider_id=engagement.provider_id, enterprise_id=engagement.enterprise_id,
                overall=overall_score, dimensions=scores, comment=comment, rated_by=user, channel=channel,
                idempotency_key=idempotency_key, counts=counts, comment_check=state,
                check_id=check.id if check else None, using_db=connection,
            )
            if check is not None:
                await ContentCheck.filter(id=check.id).using_db(connection).update(subject_id=rating.id)
            if counts:
                await _refresh(rating, "rated", connection)
    except IntegrityError:
        if check is not None:
            await ContentCheck.filter(id=check.id, subject_type=SUBJECT, subject_id=0).delete()
        earlier = await ProviderRating.filter(engagement_id=engagement.id).first()
        if earlier is None:
            raise
        if idempotency_key and earlier.idempotency_key == idempotency_key:
            return RateResult(earlier, created=False)
        raise ProviderConflict("该服务已评价，每次服务只能评价一次", code="already_rated") from None
    await _wake()
    return RateResult(rating, created=True)


async def _refresh(rating: ProviderRating, why: str, connection: Any) -> None:
    await outbox_put(topic="provider.refresh", dedupe_key=f"provider_rating:{rating.id}:{why}",
                     payload={"provider_id": rating.provider_id}, connection=connection)


async def _wake() -> None:
    await wake()


async def counts_again(*, rating_id: int, state: CommentCheck, connection: Any = None) -> bool:
    """The comment's review ended (approved / refused): set its state and, if approved and
    not excluded, let the rating count (with the refresh). Returns whether it now counts."""
    counts = state is CommentCheck.approved
    await ProviderRating.filter(id=rating_id).using_db(connection).update(comment_check=state)
    if not counts:
        return False
    updated = await ProviderRating.filter(id=rating_id, excluded_at__isnull=True, counts=False).using_db(
        connection
    ).update(counts=True)
    if updated:
        rating = await ProviderRating.get(id=rating_id).using_db(connection)
        await _refresh(rating, "approved", connection)
    return bool(updated)
