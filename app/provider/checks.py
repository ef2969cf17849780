"""WeChat's content check of the text a provider writes for the public.

What is checked: a product's name, description and audience, and the profile's name and
description, when a member writes them in the mini-program (`app.provider.products`,
`app.provider.admission`). Staff-entered text in the admin is not checked (staff are
trusted), as elsewhere. The member's mini-program openid is used (msg_sec_check v2, scene 1
"profile"), since they are in the mini-program at that moment.

What the verdict does (`screen` runs before anything is written):

* **pass** — written and shown as today.
* **risky** — refused with a Chinese error (`content_risky`); nothing is written and the
  check row is removed, so the review queue does not fill with submissions that never were.
* **review**, or **error** (WeChat unavailable, as `app.content_check` holds rather than
  publishes unchecked) — written but held: a product gets `text_check = held` and is hidden
  from the public (`app.provider.queries`); a profile edit of a provider that has been
  admitted waits in `Provider.pending_profile` while the previous public text stays; an
  application's text is written (nothing is public yet) and admission waits for the review.

Staff decide on the provider's admin page (`review_text`, via `app.content_check.service.
record_review`); the `@on_review` callbacks below apply the decision inside the review's
transaction. A decision on a check that a later edit superseded changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from app.content_check import service as content_check
from app.content_check.errors import ContentCheckError
from app.content_check.models import CheckStatus, ContentCheck, ReviewDecision
from app.engagement.models import CommentCheck, ProviderRating
from app.engagement.ratings import SUBJECT as RATING_SUBJECT
from app.identity.models import WeChatUser
from app.provider.errors import ProviderError, ProviderNotFound
from app.provider.models import Provider, ProviderProduct, TextCheck
from app.provider.steps import now, record_event
from app.provider.workflow import Role
from app.staff.models import Staff

__all__ = [
    "PRODUCT_SUBJECT",
    "PROFILE_SUBJECT",
    "PROFILE_TEXT_FIELDS",
    "attach",
    "held_checks",
    "profile_reviewed",
    "product_reviewed",
    "review_text",
    "screen",
]

logger = logging.getLogger("qiyun.provider.checks")

PRODUCT_SUBJECT = "provider_product"
PROFILE_SUBJECT = "provider_profile"
PROFILE_TEXT_FIELDS: tuple[str, ...] = ("name", "description")
"""The profile fields the public reads as the provider's own words."""
SCENE_PROFILE = 1
RISKY_MESSAGE = "提交的内容未通过微信内容安全检测，请修改后重新提交"


async def screen(*, miniprogram: Any, user: WeChatUser, texts: Iterable[str], subject_type: str) -> ContentCheck:
    """Check the text a member is about to publish, before anything is written.

    Returns the stored check (`content_check.needs_review(check)` → hold the subject, then
    `attach` it in the write's transaction). Raises `ProviderError("content_risky")` when
    WeChat calls it risky. Call outside any transaction (it makes HTTP calls)."""
    if miniprogram is None:
        raise ValueError("provider text needs the mini-program client for its content check")
    text = "\n".join(part for part in texts if part)
    check = await content_check.check_text(miniprogram=miniprogram, user=user, text=text,
                                           subject_type=subject_type, subject_id=0, scene=SCENE_PROFILE)
    if CheckStatus(check.status) is CheckStatus.risky:
        await ContentCheck.filter(id=check.id, subject_id=0).delete()
        logger.info("provider text refused as risky", extra={"user_id": user.id, "label": check.label})
        raise ProviderError(RISKY_MESSAGE, code="content_risky")
    return check


def is_held(check: ContentCheck) -> bool:
    return content_check.needs_review(check)


async def attach(check: ContentCheck, *, subject_id: int, connection: Any) -> None:
    """Point the check at the row it screened (inside the write's transaction)."""
    await ContentCheck.filter(id=check.id).using_db(connection).update(subject_id=subject_id)


async def discard(check: ContentCheck | None) -> None:
    """The write after `screen` failed: drop its unattached check."""
    if check is not None:
        await ContentCheck.filter(id=check.id, subject_id=0).delete()


# -- staff review ---------------------------------------------------------------------------


async def held_checks(*, provider: Provider) -> list[tuple[str, ContentCheck, ProviderProduct | ProviderRating | None]]:
    """Text about the provider waiting for a reviewer: (label, check, the product, the rating,
    or None for the profile), oldest first. Superseded checks are not listed (their decision changes nothing)."""
    items: list[tuple[str, ContentCheck, ProviderProduct | ProviderRating | None]] = []
    if provider.profile_check_id is not None:
        check = await ContentCheck.get_or_none(id=provider.profile_check_id, decision__isnull=True)
        if check is not None:
            items.append(("机构资料", check, None))
    held = await ProviderProduct.filter(provider_id=provider.id, text_check=TextCheck.held, check_id__isnull=False)
    checks = {c.id: c for c in await ContentCheck.filter(id__in=[p.check_id for p in held], decision__isnull=True)}
    for product in held:
        if product.check_id in checks:
            items.append(("服务产品", checks[product.check_id], product))
    # Enterprises' rating comments about this provider that WeChat doubted: the rating counts
    # only once a reviewer passes the comment (app.engagement.checks).
    ratings = {r.id: r for r in await ProviderRating.filter(provider_id=provider.id, comment_check=CommentCheck.held)}
    if ratings:
        for check in await ContentCheck.filter(subject_type=RATING_SUBJECT, subject_id__in=list(ratings),
                                               decision__isnull=True):
            items.append(("用户评价", check, ratings[int(check.subject_id)]))
    return sorted(items, key=lambda item: item[1].id)


async def review_text(*, staff: Staff, provider_id: int, check_id: int, approve: bool, note: str) -> ContentCheck:
    """A reviewer passes or refuses a provider's held text (the admin's provider page)."""
    check = await ContentCheck.get_or_none(id=check_id)
    if check is None or not await _belongs(check, provider_id):
        raise ProviderNotFound("未找到该机构待审核的内容", code="content_check_not_found")
    decision = ReviewDecision.approved if approve else ReviewDecision.rejected
    try:
        return await content_check.record_review(check_id=check.id, staff=staff, decision=decision, note=note)
    except ContentCheckError as exc:
        raise ProviderError(exc.message, code=exc.code) from None


async def _belongs(check: ContentCheck, provider_id: int) -> bool:
    if check.subject_type == PROFILE_SUBJECT:
        return int(check.subject_id) == provider_id
    if check.subject_type == PRODUCT_SUBJECT:
        return await ProviderProduct.filter(id=check.subject_id, provider_id=provider_id).exists()
    if check.subject_type == RATING_SUBJECT:
        return await ProviderRating.filter(id=check.subject_id, provider_id=provider_id).exists()
    return False


@content_check.on_review(PRODUCT_SUBJECT)
async def product_reviewed(check: ContentCheck, staff: Staff) -> None:
    approved = ReviewDecision(check.decision) is ReviewDecision.approved
    state = TextCheck.approved if approved else TextCheck.refused
    product = await ProviderProduct.get_or_none(id=check.subject_id).select_related("provider")
    if product is None:
        return
    updated = await ProviderProduct.filter(id=product.id, check_id=check.id, text_check=TextCheck.held).update(
        text_check=state, updated_at=now()
    )
    if not updated:  # a later edit superseded this text
        return
    async with in_transaction() as connection:
        await record_event(
            provider=product.provider, action="text_approved" if approved else "text_refused", connection=connection,
            staff=staff, role=Role.staff, reason=check.review_note, notify=not approved,
            payload={"product_id": product.id, "name": product.name, "check_id": check.id},
        )
    logger.info("provider product text reviewed", extra={"product_id": product.id, "approved": approved})


@content_check.on_review(PROFILE_SUBJECT)
async def profile_reviewed(check: ContentCheck, staff: Staff) -> None:
    approved = ReviewDecision(check.decision) is ReviewDecision.approved
    provider = await Provider.get_or_none(id=check.subject_id)
    if provider is None or provider.profile_check_id != check.id:
        return  # superseded by a later edit
    pending = dict(provider.pending_profile or {})
    values: dict[str, Any] = {"profile_check_id": None, "pending_profile": {}}
    if approved:
        values.update({key: pending[key] for key in PROFILE_TEXT_FIELDS if key in pending})
    elif not pending:
        # An application's own text (nothing public yet) refused: it stays marked, so
        # admission waits until the owner corrects it.
        values.pop("profile_check_id")
    updated = await Provider.filter(id=provider.id, profile_check_id=check.id).update(
        **values, version=F("version") + 1, updated_at=now()
    )
    if not updated:
        return
    async with in_transaction() as connection:
        await record_event(
            provider=provider, action="text_approved" if approved else "text_refused", connection=connection,
            staff=staff, role=Role.staff, reason=check.review_note, notify=not approved,
            payload={"profile": True, "fields": sorted(pending), "check_id": check.id},
        )
    logger.info("provider profile text reviewed", extra={"provider_id": provider.id, "approved": approved})
