"""Recording and reading the audit log.

Every staff action calls `record` inside the same transaction as the change it
describes, so an entry exists exactly when the change does. `detail` is scrubbed of
anything that looks like a credential before it is stored: an audit log is read by
more people than the passwords it would otherwise leak.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from tortoise.queryset import QuerySet

from app.audit.models import AuditLog
from app.logs import request_id_var
from app.staff.models import Staff
from app.staff.scope import scope_queryset

__all__ = ["ACTION_LABELS", "REDACTED", "label_of", "list_entries", "record", "scrub"]

REDACTED = "***"
_SECRET_WORDS = ("password", "passwd", "secret", "token", "csrf", "session", "cookie")
_DETAIL_TEXT_LIMIT = 2000

ACTION_LABELS: dict[str, str] = {
    "auth.sign_in": "登录",
    "auth.sign_in_failed": "登录失败",
    "auth.locked": "连续登录失败，账户锁定",
    "auth.sign_out": "退出登录",
    "auth.password_change": "修改本人密码",
    "staff.create": "新建工作人员",
    "staff.role_change": "调整工作人员角色",
    "staff.deactivate": "停用工作人员",
    "staff.activate": "启用工作人员",
    "staff.password_reset": "重置工作人员密码",
    "organisation.create": "新建组织机构",
    "organisation.update": "修改组织机构",
    "tag.create": "新建粉丝标签",
    "tag.rename": "重命名粉丝标签",
    "tag.delete": "删除粉丝标签",
    "tag.sync": "从微信同步标签",
    "follower.tags": "调整粉丝标签",
    "autoreply.create": "新建自动回复",
    "autoreply.update": "修改自动回复",
    "autoreply.delete": "删除自动回复",
    "autoreply.welcome": "修改关注欢迎语",
    "menu.save": "保存菜单版本",
    "menu.upload": "发布菜单到微信",
    "provider.register": "登记服务机构",
    "provider.admit": "准予服务机构入驻",
    "provider.request_info": "请服务机构补充材料",
    "provider.refuse": "不予服务机构入驻",
    "provider.warn": "预警服务机构",
    "provider.suspend": "暂停服务机构",
    "provider.reinstate": "恢复服务机构",
    "provider.invite_code": "重新生成服务机构邀请码",
    "provider.product_withdraw": "下架服务产品",
    "provider.exclude_rating": "排除异常评价",
    "provider.complaint_upheld": "投诉属实",
    "provider.complaint_dismissed": "投诉不成立",
    "provider.criterion": "保存入驻标准",
    "provider.criterion_retire": "停用入驻标准",
    "engagement.cancel": "取消服务委托",
    "directory.create": "新建公共服务条目",
    "directory.update": "修改公共服务条目",
    "directory.publish": "发布公共服务条目",
    "directory.unpublish": "撤回公共服务条目",
    "directory.archive": "归档公共服务条目",
    "directory.restore": "恢复公共服务条目",
    "directory.delete": "删除公共服务条目",
    "activity.create": "新建活动",
    "survey.create": "新建问卷调查",
    "survey.update": "修改问卷调查设置",
    "survey.questionnaire": "修改问卷题目",
    "survey.open": "开始问卷调查",
    "survey.close": "结束问卷调查",
    "survey.reopen": "重新开放问卷调查",
    "survey.sample": "抽取调查样本",
    "survey.sample_add": "手工添加调查样本",
    "survey.invite": "发出调查邀请",
    "survey.remind": "发出调查提醒",
    "survey.disposition": "修改样本回复状态",
    "survey.export": "导出问卷结果",
    "survey.service_uses": "导入办件记录",
    "activity.update": "修改活动",
    "activity.publish": "发布活动",
    "activity.finish": "结束活动",
    "activity.cancel": "取消活动",
    "activity.cancel_signup": "代为取消报名",
    "export.appeals": "导出企业诉求列表",
    "export.campaigns": "导出政策推送列表",
    "export.deliveries": "导出推送投递记录",
    "export.providers": "导出服务机构列表",
    "export.ratings": "导出服务机构评价",
    "export.engagements": "导出服务订单列表",
    "export.signups": "导出活动报名签到表",
    "export.followers": "导出公众号粉丝列表",
}


def label_of(action: str) -> str:
    return ACTION_LABELS.get(action, action)


async def record(
    *,
    staff: Staff | None,
    action: str,
    target_type: str = "",
    target_id: object = "",
    detail: Mapping[str, Any] | None = None,
    username: str = "",
    ip: str = "",
) -> AuditLog:
    """Write one audit entry (in the caller's transaction, if any).

    `staff` is None for an attempt by someone not (yet) known, e.g. a failed sign-in
    under a username that does not exist; `username` then says what was typed.
    """
    return await AuditLog.create(
        staff_id=staff.id if staff is not None else None,
        username=(staff.username if staff is not None else username)[:64],
        organisation_id=staff.organisation_id if staff is not None else None,
        action=action[:64],
        target_type=target_type[:32],
        target_id=str(target_id if target_id is not None else "")[:64],
        detail=scrub(dict(detail or {})),
        ip=ip[:45],
        request_id=_request_id(),
    )


def _request_id() -> str:
    value = request_id_var.get()
    return "" if value == "-" else value[:64]


def scrub(value: Any) -> Any:
    """A copy of `value` with credential-like keys replaced by `***` (recursively)."""
    if isinstance(value, Mapping):
        return {
            str(key): REDACTED if any(word in str(key).lower() for word in _SECRET_WORDS) else scrub(item)
            for key, item in value.items()
        }
    if isinstance(value, (list, tuple, set)):
        return [scrub(item) for item in value]
    if isinstance(value, str):
        return value if len(value) <= _DETAIL_TEXT_LIMIT else value[:_DETAIL_TEXT_LIMIT] + "…"
    if isinstance(value, datetime):
        return value.isoformat()
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return str(value)


async def list_entries(
    *, viewer: Staff, action: str = "", username: str = "", target_type: str = "", target_id: str = ""
) -> QuerySet[AuditLog]:
    """The entries `viewer` may read (scoped by the actor's organisation), newest first."""
    query = AuditLog.all()
    if action:
        query = query.filter(action=action)
    if username:
        query = query.filter(username=username.strip().lower())
    if target_type:
        query = query.filter(target_type=target_type)
    if target_id:
        query = query.filter(target_id=target_id)
    query = await scope_queryset(viewer, query, "audit")
    return query.order_by("-id")
