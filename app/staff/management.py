"""Managing staff accounts from the panel: list, create, change role, deactivate, reset password.

The rules are the scope rules (`app.staff.scope`) applied to people: a manager sees and
changes only accounts in organisations within their scope, hands out only the roles
`ASSIGNABLE_ROLES` allows them, and never changes their own role or status (so nobody
locks themselves out, and the city never loses its last administrator). Every change is
audited in the same transaction. Messages are in Chinese, as staff read them.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from tortoise.expressions import Q
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from app.audit import service as audit
from app.organisation.models import Organisation
from app.staff.auth import require_strong_password
from app.staff.models import Staff, StaffRole
from app.staff.scope import ASSIGNABLE_ROLES, in_scope, scope_queryset
from app.staff.service import USERNAME, StaffError, create_staff, hash_password

__all__ = [
    "assignable_roles",
    "create_staff_account",
    "get_managed_staff",
    "list_staff",
    "reset_password",
    "set_active",
    "set_role",
]


def assignable_roles(actor: Staff) -> tuple[StaffRole, ...]:
    """The roles `actor` may give to an account (none unless they manage staff)."""
    return ASSIGNABLE_ROLES.get(StaffRole(actor.role), ())


async def list_staff(*, viewer: Staff, search: str = "", include_inactive: bool = True) -> QuerySet[Staff]:
    """The accounts `viewer` may see, matching `search` (username or name), by username."""
    query = Staff.all().select_related("organisation")
    search = search.strip()
    if search:
        query = query.filter(Q(username__icontains=search) | Q(display_name__icontains=search))
    if not include_inactive:
        query = query.filter(is_active=True)
    query = await scope_queryset(viewer, query, "staff")
    return query.order_by("username")


async def get_managed_staff(*, viewer: Staff, staff_id: int) -> Staff | None:
    """One account `viewer` may see, or None (also when it exists outside their scope)."""
    query = await scope_queryset(viewer, Staff.filter(id=staff_id).select_related("organisation"), "staff")
    return await query.first()


async def create_staff_account(
    *,
    actor: Staff,
    username: str,
    display_name: str,
    password: str,
    role: StaffRole | str,
    organisation_id: int,
    phone: str = "",
) -> Staff:
    """Create an account in an organisation within the actor's scope, with a role they may give."""
    username = username.strip().lower()
    if not USERNAME.match(username):
        raise StaffError("用户名须为 3-64 位小写字母、数字或 . _ -，并以字母开头。")
    if not display_name.strip() or len(display_name.strip()) > 50:
        raise StaffError("姓名为必填项，最多 50 个字。")
    if len(phone.strip()) > 20:
        raise StaffError("手机号码不正确。")
    role = _role(actor, role)
    organisation = await _organisation_in_scope(actor, organisation_id)
    require_strong_password(password)
    async with in_transaction():
        if await Staff.filter(username=username).exists():
            raise StaffError(f"用户名 {username} 已被使用。")
        try:
            staff = await create_staff(
                username=username,
                display_name=display_name,
                password=password,
                role=role,
                organisation_code=organisation.code,
                phone=phone.strip(),
            )
        except StaffError as exc:  # a concurrent creation won the race for the username
            raise StaffError(f"无法创建账号：{exc}") from None
        # The administrator chose the first password; the holder replaces it at first sign-in.
        await Staff.filter(id=staff.id).update(must_change_password=True)
        staff.must_change_password = True
        await audit.record(
            staff=actor,
            action="staff.create",
            target_type="staff",
            target_id=staff.id,
            detail={"username": username, "role": role.value, "organisation": organisation.code},
        )
    return staff


async def set_role(*, actor: Staff, staff_id: int, role: StaffRole | str, organisation_id: int | None = None) -> Staff:
    """Change an account's role (and, optionally, its organisation) within the actor's powers."""
    target = await _managed(actor, staff_id)
    if target.id == actor.id:
        raise StaffError("不能调整本人的角色。")
    if StaffRole(target.role) not in assignable_roles(actor):
        raise StaffError(f"您无权调整{StaffRole(target.role).label}的角色。")
    role = _role(actor, role)
    organisation = target.organisation
    if organisation_id is not None and organisation_id != target.organisation_id:
        organisation = await _organisation_in_scope(actor, organisation_id)
    async with in_transaction():
        if StaffRole(target.role) is StaffRole.city_admin and role is not StaffRole.city_admin:
            await _keep_one_city_admin(excluding=target.id)
        detail = {"role": {"from": StaffRole(target.role).value, "to": role.value}}
        if organisation.id != target.organisation_id:
            detail["organisation"] = {"from": target.organisation.code, "to": organisation.code}
        await Staff.filter(id=target.id).update(role=role, organisation_id=organisation.id)
        await audit.record(staff=actor, action="staff.role_change", target_type="staff", target_id=target.id, detail=detail)
    target.role, target.organisation = role, organisation
    return target


async def set_active(*, actor: Staff, staff_id: int, active: bool) -> Staff:
    """Deactivate (their sessions end at their next request) or reactivate an account."""
    target = await _managed(actor, staff_id)
    if target.id == actor.id:
        raise StaffError("不能停用或启用本人的账号。")
    if StaffRole(target.role) not in assignable_roles(actor):
        raise StaffError(f"您无权停用或启用{StaffRole(target.role).label}的账号。")
    if target.is_active == active:
        return target
    async with in_transaction():
        if not active and StaffRole(target.role) is StaffRole.city_admin:
            await _keep_one_city_admin(excluding=target.id)
        updates: dict = {"is_active": active}
        if active:
            updates.update(failed_logins=0, locked_until=None)
        await Staff.filter(id=target.id).update(**updates)
        await audit.record(
            staff=actor,
            action="staff.activate" if active else "staff.deactivate",
            target_type="staff",
            target_id=target.id,
            detail={"username": target.username},
        )
    target.is_active = active
    return target


async def reset_password(*, actor: Staff, staff_id: int, new_password: str) -> Staff:
    """Set a new password for someone else (it ends their sessions and lifts a lock-out)."""
    target = await _managed(actor, staff_id)
    if target.id == actor.id:
        raise StaffError("请通过“修改密码”修改本人的密码。")
    if StaffRole(target.role) not in assignable_roles(actor):
        raise StaffError(f"您无权重置{StaffRole(target.role).label}的密码。")
    require_strong_password(new_password)
    new_hash = await asyncio.to_thread(hash_password, new_password)
    now = datetime.now(UTC)
    async with in_transaction():
        await Staff.filter(id=target.id).update(
            password_hash=new_hash, password_changed_at=now, failed_logins=0, locked_until=None,
            must_change_password=True,
        )
        await audit.record(
            staff=actor,
            action="staff.password_reset",
            target_type="staff",
            target_id=target.id,
            detail={"username": target.username},
        )
    target.password_hash, target.password_changed_at = new_hash, now
    return target


def _role(actor: Staff, role: StaffRole | str) -> StaffRole:
    try:
        role = StaffRole(role)
    except ValueError:
        raise StaffError("请选择角色。") from None
    if role not in assignable_roles(actor):
        raise StaffError(f"您无权授予“{role.label}”角色。")
    return role


async def _managed(actor: Staff, staff_id: int) -> Staff:
    target = await get_managed_staff(viewer=actor, staff_id=staff_id)
    if target is None:
        raise StaffError("未找到该工作人员，或其不在您的管理范围内。")
    return target


async def _organisation_in_scope(actor: Staff, organisation_id: int) -> Organisation:
    organisation = await Organisation.get_or_none(id=organisation_id)
    if organisation is None or not await in_scope(actor, organisation.id):
        raise StaffError("所选机构不存在，或不在您的管理范围内。")
    if not organisation.is_active:
        raise StaffError(f"{organisation.name}已停用，不能在其下设置账号。")
    return organisation


async def _keep_one_city_admin(*, excluding: int) -> None:
    others = Staff.filter(role=StaffRole.city_admin, is_active=True).exclude(id=excluding)
    if not await others.exists():
        raise StaffError("至少需要保留一名启用的市级管理员。")
