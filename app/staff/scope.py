"""Who may do what, and who may see which rows: the one place staff access is decided.

Two questions, answered only here so that no page can answer them differently:

* **Permission** — may this role use this page or action at all? `PERMISSIONS` maps
  each role to its actions; `can(staff, action)` reads it; the admin's `@requires`
  decorator refuses a route with a 403 page when it says no.
* **Scope** — which rows may this person see? The city sees everything; a district
  administrator sees their district government and everything under it; a department
  handler sees their own organisation. Every list goes through `scope_queryset`, which
  knows, per kind of row, which column names the owning organisation (`SCOPE_FIELDS`;
  later domains add theirs with `register_scope`). An unknown kind raises, so a new list
  cannot silently show everything.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from tortoise.models import Model
from tortoise.queryset import QuerySet

from app.organisation.models import Organisation, OrganisationKind
from app.staff.models import Staff, StaffRole

__all__ = [
    "ACTIONS",
    "ALL_ORGANISATIONS",
    "ASSIGNABLE_ROLES",
    "CITY_WIDE_ROLES",
    "PERMISSIONS",
    "SCOPE_FIELDS",
    "allowed_actions",
    "can",
    "in_scope",
    "register_scope",
    "scope_queryset",
    "visible_organisation_ids",
]

M = TypeVar("M", bound=Model)

# Every action a role can be granted, with the Chinese label staff read on their home page.
ACTIONS: dict[str, str] = {
    "staff.manage": "管理工作人员账号（新建、停用、重置密码、调整角色）",
    "organisation.view": "查看组织架构",
    "organisation.manage": "新建和修改组织机构",
    "follower.view": "查看公众号粉丝及其消息记录",
    "follower.phone": "查看粉丝完整手机号码",
    "follower.tag": "管理粉丝标签并与微信同步",
    "autoreply.view": "查看自动回复规则",
    "autoreply.manage": "管理自动回复规则和关注欢迎语",
    "menu.view": "查看公众号菜单",
    "menu.manage": "编辑并发布公众号菜单",
    "audit.view": "查看操作日志",
    "policy.edit": "编辑和发布惠企政策",
    "notification.view": "查看消息模板及其预览",
    "appeal.dispatch": "受理并分派企业诉求",
    "appeal.handle": "办理并反馈企业诉求",
    "provider.manage": "管理专业服务机构",
    "directory.manage": "维护公共服务目录",
    "activity.manage": "管理服务中心活动排片",
    "survey.view": "查看营商环境评估结果",
    "survey.manage": "设计问卷、抽样、发出邀请和管理营商环境评估",
    "report.view": "查看统计报表",
    "report.generate": "生成《企业服务动态》报告",
    "export.unmasked": "导出含完整手机号码、身份证号码的数据",
}

_READ_ONLY = {
    "notification.view", "organisation.view", "follower.view", "autoreply.view", "menu.view", "audit.view", "survey.view", "report.view",
}

PERMISSIONS: dict[StaffRole, frozenset[str]] = {
    StaffRole.city_admin: frozenset(ACTIONS),
    StaffRole.district_admin: frozenset(
        {"staff.manage", "organisation.view", "organisation.manage", "audit.view", "appeal.dispatch",
         "appeal.handle", "report.view", "report.generate"}
    ),
    StaffRole.department_handler: frozenset({"organisation.view", "appeal.handle"}),
    StaffRole.policy_editor: frozenset({"organisation.view", "policy.edit", "notification.view"}),
    StaffRole.service_manager: frozenset(
        {"organisation.view", "follower.view", "follower.tag", "autoreply.view", "autoreply.manage",
         "menu.view", "menu.manage", "provider.manage", "directory.manage", "activity.manage", "report.view", "report.generate", "notification.view",
         "survey.view", "survey.manage"}
    ),
    # The third-party evaluator reads, and never changes anything.
    StaffRole.evaluator: frozenset(_READ_ONLY),
}

# Roles whose scope is the whole city, whatever organisation the account belongs to.
CITY_WIDE_ROLES = frozenset(
    {StaffRole.city_admin, StaffRole.policy_editor, StaffRole.service_manager, StaffRole.evaluator}
)

# Which roles a staff manager may hand out: a district administrator cannot create a
# city-wide account, since that would widen their own reach.
ASSIGNABLE_ROLES: dict[StaffRole, tuple[StaffRole, ...]] = {
    StaffRole.city_admin: tuple(StaffRole),
    StaffRole.district_admin: (StaffRole.district_admin, StaffRole.department_handler),
}

# kind of row -> the column holding the organisation it belongs to; None: not
# organisation-owned (city-wide data such as followers), visible to anyone permitted.
SCOPE_FIELDS: dict[str, str | None] = {
    "organisation": "id",
    "staff": "organisation_id",
    "audit": "organisation_id",
    "follower": None,
    "autoreply": None,
    "menu": None,
}

ALL_ORGANISATIONS = None
"""`visible_organisation_ids` returns this (None) for the whole city."""


def register_scope(kind: str, field: str | None) -> None:
    """Declare how rows of `kind` are scoped (e.g. `register_scope("appeal", "handler_organisation_id")`)."""
    existing = SCOPE_FIELDS.get(kind, field)
    if kind in SCOPE_FIELDS and existing != field:
        raise ValueError(f"scope kind {kind!r} is already registered with field {existing!r}")
    SCOPE_FIELDS[kind] = field


def can(staff: Staff | None, action: str) -> bool:
    """Whether the staff member's role allows `action` (an unknown action is never allowed)."""
    if staff is None or not staff.is_active or action not in ACTIONS:
        return False
    return action in PERMISSIONS.get(StaffRole(staff.role), frozenset())


def allowed_actions(staff: Staff) -> list[tuple[str, str]]:
    """(action, Chinese label) of everything the staff member may do, in table order."""
    return [(action, label) for action, label in ACTIONS.items() if can(staff, action)]


async def visible_organisation_ids(staff: Staff) -> set[int] | None:
    """Ids of the organisations whose rows this person may see; None means all of them."""
    role = StaffRole(staff.role)
    if role in CITY_WIDE_ROLES:
        return ALL_ORGANISATIONS
    if role is StaffRole.department_handler:
        return {staff.organisation_id}
    if role is StaffRole.district_admin:
        organisations = await Organisation.all().values("id", "parent_id", "kind")
        root = _district_root(staff.organisation_id, organisations)
        return _subtree(root, organisations)
    return set()  # a role nobody has decided about sees nothing


async def scope_queryset(staff: Staff, queryset: QuerySet[M], kind: str) -> QuerySet[M]:
    """`queryset` narrowed to the rows `staff` may see; `kind` names the row type (see SCOPE_FIELDS)."""
    if kind not in SCOPE_FIELDS:
        raise KeyError(f"no scope rule for {kind!r}; add one with register_scope")
    field = SCOPE_FIELDS[kind]
    if field is None:
        return queryset
    visible = await visible_organisation_ids(staff)
    if visible is ALL_ORGANISATIONS:
        return queryset
    # An empty scope must match nothing (an empty IN list is not portable SQL).
    return queryset.filter(**{f"{field}__in": sorted(visible) or [-1]})


async def in_scope(staff: Staff, organisation_id: int | None) -> bool:
    """Whether an organisation (the owner of some row) is within the person's scope."""
    visible = await visible_organisation_ids(staff)
    if visible is ALL_ORGANISATIONS:
        return True
    return organisation_id is not None and organisation_id in visible


def _district_root(organisation_id: int, organisations: Iterable[dict]) -> int:
    """The district government above (or at) an organisation; the organisation itself if none."""
    by_id = {row["id"]: row for row in organisations}
    current = by_id.get(organisation_id)
    seen: set[int] = set()
    while current is not None and current["id"] not in seen:
        if current["kind"] == OrganisationKind.district_government:
            return current["id"]
        seen.add(current["id"])
        current = by_id.get(current["parent_id"])
    return organisation_id


def _subtree(root_id: int, organisations: Iterable[dict]) -> set[int]:
    children: dict[int | None, list[int]] = {}
    for row in organisations:
        children.setdefault(row["parent_id"], []).append(row["id"])
    found: set[int] = set()
    stack = [root_id]
    while stack:
        current = stack.pop()
        if current in found:
            continue
        found.add(current)
        stack.extend(children.get(current, ()))
    return found
