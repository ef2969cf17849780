"""Object-level permissions: a person reaches only their own data and the enterprises
they are bound to.

Every read or change of something that belongs to a person or an enterprise goes through
one of these, so "user A reads user B's binding" or "acts for an enterprise they are not
bound to" is refused in one place rather than remembered in every query.

Someone else's object is reported as not found (its existence is not disclosed); an
enterprise the person is not bound to is denied (enterprises are public in the register,
so nothing is disclosed by saying so).
"""

from __future__ import annotations

from collections.abc import Collection

from app.enterprise.reference import BindingRole
from app.identity.errors import AccessDenied, BindingError
from app.identity.models import EnterpriseBinding, WeChatUser

__all__ = ["get_own_binding", "require_binding"]


async def require_binding(
    *,
    user: WeChatUser,
    enterprise_id: int,
    roles: Collection[BindingRole] | None = None,
) -> EnterpriseBinding:
    """The person's active binding to the enterprise (with `enterprise` loaded), or
    `AccessDenied("enterprise_access_denied")`. With `roles`, the binding must have one
    of them (e.g. only the legal representative may sign for the enterprise)."""
    binding = (
        await EnterpriseBinding.filter(user_id=user.id, enterprise_id=enterprise_id, revoked_at__isnull=True)
        .select_related("enterprise")
        .first()
    )
    if binding is None:
        raise AccessDenied("enterprise_access_denied", "您尚未绑定该企业，无权查看或办理该企业的事项")
    if roles is not None and binding.role not in set(roles):
        labels = "、".join(BindingRole(role).label for role in roles)
        raise AccessDenied("binding_role_insufficient", f"仅限该企业的{labels}办理")
    return binding


async def get_own_binding(*, user: WeChatUser, binding_id: int) -> EnterpriseBinding:
    """One of the person's active bindings (with `enterprise` loaded), or
    `BindingError("binding_not_found")` — also when it exists but is someone else's."""
    binding = (
        await EnterpriseBinding.filter(id=binding_id, user_id=user.id, revoked_at__isnull=True)
        .select_related("enterprise")
        .first()
    )
    if binding is None:
        raise BindingError("binding_not_found", "未找到该企业绑定记录")
    return binding
