"""Who may act for a provider: the one place the provider desk's permission is decided."""

from __future__ import annotations

from app.identity.models import WeChatUser
from app.provider.errors import ProviderPermissionError
from app.provider.models import MemberRole, ProviderMember

__all__ = ["memberships", "require_member"]


async def require_member(*, user: WeChatUser, provider_id: int, owner: bool = False) -> ProviderMember:
    """The person's active membership of the provider (with `provider` loaded), or
    `ProviderPermissionError`. With `owner`, only the provider's 负责人 qualifies
    (inviting members, changing the profile)."""
    member = (
        await ProviderMember.filter(user_id=user.id, provider_id=provider_id, revoked_at__isnull=True)
        .select_related("provider")
        .first()
    )
    if member is None:
        raise ProviderPermissionError("您不是该服务机构的成员，无权办理")
    if owner and member.role != MemberRole.owner:
        raise ProviderPermissionError("仅限该服务机构的负责人办理")
    return member


async def memberships(*, user: WeChatUser) -> list[ProviderMember]:
    """The providers the person acts for, newest first, with `provider` loaded."""
    return (
        await ProviderMember.filter(user_id=user.id, revoked_at__isnull=True)
        .select_related("provider")
        .order_by("-joined_at")
    )
