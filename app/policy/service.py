"""The policy knowledge base (政策库): entering, reviewing, publishing, withdrawing and expiring policies.

Every write is one transaction that also records the step (a `PolicyEvent` for lifecycle
steps, an audit entry for everything staff do) and refreshes the policy's search index
(`app.policy.search.reindex_policy`), so the index, the history and the policy never disagree.
Who may take which step is decided in `app.policy.lifecycle`; which policies a person sees, in
`app.staff.scope` (kind "policy", owned by `Policy.organisation`: the organisation of the staff
member who entered it, not necessarily the issuer).

Staff-facing refusals are `PolicyError`s with a precise Chinese message (and the field at fault).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timezone
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field
from tortoise.expressions import Q
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from app.audit import service as audit
from app.organisation.models import Organisation
from app.policy.errors import PolicyError, PolicyNotFound, PolicyPermissionError
from app.policy.lifecycle import (
    EDIT_PERMISSION,
    EDITABLE_STATUSES,
    PUBLIC_STATUSES,
    TRANSITIONS,
    Transition,
    authorise,
    available_transitions,
    get_transition,
)
from app.policy.models import Policy, PolicyAttachment, PolicyEvent, PolicyStatus, SupportType
from app.policy.targeting import Targeting
from app.staff.models import Staff, StaffRole
from app.staff.scope import can, in_scope, register_scope, scope_queryset

__all__ = [
    "AttachmentInput",
    "PolicyError",
    "PolicyInput",
    "PolicyNotFound",
    "PolicyPermissionError",
    "available_actions",
    "create_policy",
    "expire_due_policies",
    "get_policy",
    "get_published_policy",
    "is_pushable",
    "list_policies",
    "policy_history",
    "policy_input_of",
    "publish_now",
    "review_queue",
    "shanghai_today",
    "submitter_id",
    "transition_policy",
    "update_policy",
]

logger = logging.getLogger("qiyun.policy")

SHANGHAI = ZoneInfo("Asia/Shanghai")
SCOPE_KIND = "policy"
register_scope(SCOPE_KIND, "organisation_id")

audit.ACTION_LABELS.update(
    {
        "policy.create": "新建政策",
        "policy.update": "修改政策",
        "policy.import": "批量导入政策",
        "policy.submit": "提交政策审核",
        "policy.approve": "审核通过并发布政策",
        "policy.reject": "退回政策修改",
        "policy.withdraw": "撤回政策",
        "policy.expire": "政策标记为过期",
        "policy.revise": "撤回的政策重新编辑",
    }
)

# Limits: the model's column sizes, and sizes that keep pages and messages readable.
LIMITS = {"title": 200, "doc_number": 100, "apply_where": 300, "contact": 200, "summary": 2000, "body": 200_000}
FIELD_LABELS = {
    "title": "标题",
    "doc_number": "文号",
    "issuing_organisation_ids": "发文单位",
    "publish_date": "发布日期",
    "effective_date": "生效日期",
    "expiry_date": "失效日期",
    "summary": "摘要",
    "body": "正文",
    "support_type": "支持方式",
    "amount_min": "最低金额",
    "amount_max": "最高金额",
    "apply_start": "申报开始日期",
    "apply_end": "申报截止日期",
    "apply_where": "申报地点",
    "contact": "联系方式",
    "targeting": "适用对象",
    "attachments": "附件",
}
MAX_AMOUNT = Decimal("999999999999.99")  # DecimalField(max_digits=14, decimal_places=2), 万元
MAX_ATTACHMENTS = 20
_CENT = Decimal("0.01")


def shanghai_today() -> date:
    """Policies are dated in Shanghai time: "today" is the date there, whatever the server's zone."""
    return datetime.now(SHANGHAI).date()


# -- input ----------------------------------------------------------------------------------


class AttachmentInput(BaseModel):
    filename: str
    url: str
    size: int = Field(default=0, ge=0)


class PolicyInput(BaseModel):
    """Every field staff edit. Types are checked here; the rules (lengths, date order, amounts,
    existing organisations) by the service, with messages that name the field."""

    model_config = ConfigDict(str_strip_whitespace=True)

    title: str
    doc_number: str = ""
    issuing_organisation_ids: list[int] = []
    publish_date: date | None = None
    effective_date: date | None = None
    expiry_date: date | None = None
    summary: str = ""
    body: str = ""
    support_type: SupportType
    amount_min: Decimal | None = None
    """万元"""
    amount_max: Decimal | None = None
    """万元"""
    apply_start: date | None = None
    apply_end: date | None = None
    apply_where: str = ""
    contact: str = ""
    targeting: Targeting = Targeting()
    attachments: list[AttachmentInput] = []


def check_input(data: PolicyInput) -> PolicyInput:
    """`data` normalised (distinct organisations, amounts to the cent), or PolicyError naming the first problem."""
    if not data.title:
        raise PolicyError("标题不能为空", field="title")
    for name, limit in LIMITS.items():
        value = getattr(data, name)
        if len(value) > limit:
            raise PolicyError(f"{FIELD_LABELS[name]}过长：{len(value)}个字符，最多{limit}个", field=name)
    amounts = {}
    for name in ("amount_min", "amount_max"):
        value = getattr(data, name)
        if value is None:
            continue
        if not value.is_finite() or value < 0:
            raise PolicyError(f"{FIELD_LABELS[name]}应为不小于 0 的数（万元），而不是 {value}", field=name)
        value = value.quantize(_CENT, rounding=ROUND_HALF_UP)
        if value > MAX_AMOUNT:
            raise PolicyError(f"{FIELD_LABELS[name]}超出上限（最多 {MAX_AMOUNT} 万元）", field=name)
        amounts[name] = value
    if data.amount_min is not None and data.amount_max is not None and amounts["amount_min"] > amounts["amount_max"]:
        raise PolicyError(
            f"最低金额（{amounts['amount_min']}万元）大于最高金额（{amounts['amount_max']}万元）", field="amount_min"
        )
    for earlier, later in (
        ("effective_date", "expiry_date"),
        ("publish_date", "expiry_date"),
        ("apply_start", "apply_end"),
    ):
        first, second = getattr(data, earlier), getattr(data, later)
        if first is not None and second is not None and first > second:
            raise PolicyError(
                f"{FIELD_LABELS[later]}（{second.isoformat()}）早于{FIELD_LABELS[earlier]}（{first.isoformat()}）",
                field=later,
            )
    if len(data.attachments) > MAX_ATTACHMENTS:
        raise PolicyError(f"附件过多：{len(data.attachments)}个，最多{MAX_ATTACHMENTS}个", field="attachments")
    for index, attachment in enumerate(data.attachments, start=1):
        name = attachment.filename.strip()
        if not name or len(name) > 200:
            raise PolicyError(f"第{index}个附件的文件名应为1到200个字符", field="attachments")
        url = attachment.url.strip()
        if not url.startswith(("https://", "http://", "/")) or len(url) > 1024:
            raise PolicyError(
                f"附件「{name}」的地址应以 https://、http:// 或 / 开头，且不超过1024个字符", field="attachments"
            )
    return data.model_copy(
        update={"issuing_organisation_ids": list(dict.fromkeys(data.issuing_organisation_ids)), **amounts}
    )


async def _organisations(ids: list[int]) -> list[Organisation]:
    found = {org.id: org for org in await Organisation.filter(id__in=ids)} if ids else {}
    missing = [str(organisation_id) for organisation_id in ids if organisation_id not in found]
    if missing:
        raise PolicyError(f"发文单位不存在：#{'、#'.join(missing)}", field="issuing_organisation_ids")
    return [found[organisation_id] for organisation_id in ids]


def _columns(data: PolicyInput) -> dict[str, Any]:
    return {
        "title": data.title,
        "doc_number": data.doc_number,
        "publish_date": data.publish_date,
        "effective_date": data.effective_date,
        "expiry_date": data.expiry_date,
        "summary": data.summary,
        "body": data.body,
        "support_type": data.support_type,
        "amount_min": data.amount_min,
        "amount_max": data.amount_max,
        "apply_start": data.apply_start,
        "apply_end": data.apply_end,
        "apply_where": data.apply_where,
        "contact": data.contact,
        "targeting": data.targeting.model_dump(mode="json"),
    }


async def policy_input_of(policy: Policy) -> PolicyInput:
    """The editable fields of a stored policy (to fill the editor, or to copy a policy)."""
    await policy.fetch_related("issuing_organisations", "attachments")
    return PolicyInput(
        **{name: getattr(policy, name) for name in _columns_names()},
        targeting=Targeting.from_stored(policy.targeting),
        issuing_organisation_ids=sorted(org.id for org in policy.issuing_organisations),
        attachments=[
            AttachmentInput(filename=item.filename, url=item.url, size=item.size)
            for item in sorted(policy.attachments, key=lambda item: item.id)
        ],
    )


def _columns_names() -> tuple[str, ...]:
    return tuple(name for name in PolicyInput.model_fields if name not in ("targeting", "issuing_organisation_ids", "attachments"))


# -- writing --------------------------------------------------------------------------------


def _require_editor(staff: Staff) -> None:
    if not can(staff, EDIT_PERMISSION):
        raise PolicyPermissionError(f"您的角色（{StaffRole(staff.role).label}）无权编辑政策")


async def create_policy(*, staff: Staff | None, data: PolicyInput, source: str = "editor") -> Policy:
    """Enter a new policy as a draft, owned by the staff member's organisation.

    `staff` None is the system (demo data, a command-line import): no owner organisation, so
    only city-wide roles see it. `source` goes into the history ("editor", "import", "demo")."""
    if staff is not None:
        _require_editor(staff)
    data = check_input(data)
    async with in_transaction():
        organisations = await _organisations(data.issuing_organisation_ids)
        policy = await Policy.create(
            **_columns(data),
            status=PolicyStatus.draft,
            created_by_id=staff.id if staff is not None else None,
            organisation_id=staff.organisation_id if staff is not None else None,
        )
        if organisations:
            await policy.issuing_organisations.add(*organisations)
        await _write_attachments(policy, data)
        await PolicyEvent.create(
            policy=policy, from_status=None, to_status=PolicyStatus.draft, staff_id=_staff_id(staff), note=_SOURCES.get(source, source)
        )
        await _audit(staff, "policy.create" if source != "import" else "policy.import", policy, {"title": policy.title, "source": source})
        await _reindex(policy.id)
    return policy


_SOURCES = {"editor": "新建", "import": "批量导入", "demo": "演示数据"}


async def update_policy(*, staff: Staff, policy_id: int, data: PolicyInput) -> Policy:
    """Replace the editable fields of a draft (see `app.policy.lifecycle` for why only drafts)."""
    _require_editor(staff)
    data = check_input(data)
    async with in_transaction():
        policy = await _scoped_policy(staff, policy_id)
        if PolicyStatus(policy.status) not in EDITABLE_STATUSES:
            raise PolicyError(_not_editable_message(PolicyStatus(policy.status)), code="wrong_state")
        organisations = await _organisations(data.issuing_organisation_ids)
        before = await policy_input_of(policy)
        columns = _columns(data)
        # Compare-and-set on the status: a concurrent submit wins, and this edit is refused.
        updated = await Policy.filter(id=policy.id, status=PolicyStatus.draft).update(
            **columns, updated_at=datetime.now(timezone.utc)
        )
        if not updated:
            raise PolicyError("政策状态刚被他人更改，修改未保存：请刷新后重试", code="conflict")
        await policy.issuing_organisations.clear()
        if organisations:
            await policy.issuing_organisations.add(*organisations)
        await PolicyAttachment.filter(policy_id=policy.id).delete()
        await _write_attachments(policy, data)
        changed = [
            name
            for name in PolicyInput.model_fields
            if getattr(before, name) != getattr(data, name)
        ]
        await _audit(staff, "policy.update", policy, {"title": data.title, "changed": changed})
        await _reindex(policy.id)
    return await Policy.get(id=policy.id)


def _not_editable_message(status: PolicyStatus) -> str:
    advice = {
        PolicyStatus.in_review: "请先由审核人退回修改（或自己撤回提交）后再改",
        PolicyStatus.published: "已发布的政策不能直接修改：请先撤回（写明原因），再“重新编辑”并重新提交审核",
        PolicyStatus.withdrawn: "请先“重新编辑”使其回到草稿",
        PolicyStatus.expired: "已过期的政策不再修改：新一轮政策请新建",
    }
    return f"只有草稿可以修改，本政策当前为「{status.label}」：{advice.get(status, '')}"


async def _write_attachments(policy: Policy, data: PolicyInput) -> None:
    if data.attachments:
        await PolicyAttachment.bulk_create(
            [
                PolicyAttachment(policy_id=policy.id, filename=item.filename.strip(), url=item.url.strip(), size=item.size)
                for item in data.attachments
            ]
        )


# -- the lifecycle --------------------------------------------------------------------------

_CHECKS: dict[str, Callable[[Policy, date], Awaitable[None]]] = {}


def _before(action: str):
    """Register a check that must pass before `action` (besides the role and state rules)."""

    def register(check: Callable[[Policy, date], Awaitable[None]]):
        _CHECKS[action] = check
        return check

    return register


@_before("submit")
async def _complete_for_review(policy: Policy, today: date) -> None:
    """A reviewer should read a whole policy: who issued it and what it is about."""
    missing = []
    if not await policy.issuing_organisations.all().exists():
        missing.append("发文单位")
    if not (policy.summary.strip() or policy.body.strip()):
        missing.append("摘要或正文")
    if missing:
        raise PolicyError(f"提交审核前请填写：{'、'.join(missing)}", code="incomplete")


@_before("approve")
async def _not_past_expiry(policy: Policy, today: date) -> None:
    if policy.expiry_date is not None and policy.expiry_date < today:
        raise PolicyError(
            f"失效日期（{policy.expiry_date.isoformat()}）已过，不能发布：请退回修改失效日期", code="expired"
        )


async def submitter_id(policy_id: int) -> int | None:
    """The staff member who last submitted the policy for review (None if never, or by the system)."""
    event = await PolicyEvent.filter(policy_id=policy_id, to_status=PolicyStatus.in_review).order_by("-id").first()
    return event.staff_id if event is not None else None


async def transition_policy(
    *, staff: Staff | None, policy_id: int, action: str, note: str = "", today: date | None = None
) -> Policy:
    """Take one lifecycle step (`submit`, `approve`/`publish`, `reject`, `withdraw`, `expire`,
    `revise`) as `staff` (None: the system, which may only expire). Records the step and refreshes
    the search index in the same transaction; PolicyError says precisely why a step is refused."""
    transition = get_transition(action)
    if staff is not None and not can(staff, EDIT_PERMISSION):
        raise PolicyPermissionError(f"您的角色（{StaffRole(staff.role).label}）无权{transition.label}")
    today = today or shanghai_today()
    note = note.strip()
    async with in_transaction():
        policy = await (_scoped_policy(staff, policy_id) if staff is not None else _any_policy(policy_id))
        authorise(
            transition,
            status=PolicyStatus(policy.status),
            staff=staff,
            submitter_id=await submitter_id(policy.id) if transition.four_eyes else None,
            note=note,
        )
        check = _CHECKS.get(transition.action)
        if check is not None:
            await check(policy, today)
        await _apply(policy, transition, staff=staff, note=note, today=today)
    return await Policy.get(id=policy.id)


async def publish_now(*, staff: Staff | None, policy_id: int, note: str = "", today: date | None = None) -> Policy:
    """Submit and approve a draft in one go, both steps recorded: for the system (demo data, a
    command-line import) or a city administrator (who may approve their own submission); anyone
    else is refused by the four-eyes rule, exactly as if they had taken the two steps."""
    today = today or shanghai_today()
    async with in_transaction():
        policy = await (_scoped_policy(staff, policy_id) if staff is not None else _any_policy(policy_id))
        for action in ("submit", "approve"):
            transition = TRANSITIONS[action]
            status = PolicyStatus(policy.status)
            if staff is not None:
                authorise(transition, status=status, staff=staff, submitter_id=staff.id, note=note)
            elif status is not transition.source:
                raise PolicyError(f"政策当前状态为「{status.label}」，不能{transition.label}", code="wrong_state")
            check = _CHECKS.get(action)
            if check is not None:
                await check(policy, today)
            await _apply(policy, transition, staff=staff, note=note, today=today)
            policy = await Policy.get(id=policy.id)
    return policy


async def _apply(policy: Policy, transition: Transition, *, staff: Staff | None, note: str, today: date) -> None:
    """Move `policy` along `transition` (already authorised), record it, refresh the index. In the caller's transaction."""
    changes: dict[str, Any] = {"status": transition.target, "updated_at": datetime.now(timezone.utc)}
    if transition.target is PolicyStatus.published and policy.publish_date is None:
        changes["publish_date"] = today  # the knowledge base's own publication, when the document gave none
    updated = await Policy.filter(id=policy.id, status=transition.source).update(**changes)
    if not updated:
        raise PolicyError("政策状态刚被他人更改，请刷新后重试", code="conflict")
    await PolicyEvent.create(
        policy_id=policy.id, from_status=transition.source, to_status=transition.target, staff_id=_staff_id(staff), note=note
    )
    detail = {"title": policy.title, "from": transition.source.value, "to": transition.target.value}
    if note:
        detail["note"] = note
    await _audit(staff, f"policy.{transition.action}", policy, detail)
    await _reindex(policy.id)


async def expire_due_policies(*, today: date) -> int:
    """The daily job: expire every published policy whose expiry date is before `today`; returns
    how many. Each policy is its own transaction, so one failure does not hold back the rest."""
    due = await Policy.filter(status=PolicyStatus.published, expiry_date__lt=today).order_by("id").values_list(
        "id", "expiry_date"
    )
    expired = 0
    for policy_id, expiry_date in due:
        try:
            await transition_policy(
                staff=None,
                policy_id=policy_id,
                action="expire",
                note=f"失效日期（{expiry_date.isoformat()}）已过，系统自动标记为已过期",
                today=today,
            )
        except PolicyError as exc:  # withdrawn or expired by someone in the meantime
            logger.info("policy %s not expired: %s", policy_id, exc.message)
            continue
        expired += 1
    return expired


# -- reading --------------------------------------------------------------------------------


async def get_published_policy(*, policy_id: int) -> Policy:
    """A policy as the public may see it (published, or expired and shown as such), with its
    issuers and attachments loaded; PolicyNotFound otherwise."""
    policy = await Policy.get_or_none(id=policy_id, status__in=[status.value for status in PUBLIC_STATUSES])
    if policy is None:
        raise PolicyNotFound(policy_id)
    await policy.fetch_related("issuing_organisations", "attachments")
    return policy


def is_pushable(policy: Policy, *, today: date) -> bool:
    """Whether the policy may be pushed today: published and not past its expiry date (the
    expiry job may not have run yet, so the date is checked as well as the status)."""
    return PolicyStatus(policy.status) is PolicyStatus.published and (
        policy.expiry_date is None or policy.expiry_date >= today
    )


async def list_policies(
    *,
    staff: Staff,
    status: PolicyStatus | None = None,
    support_type: SupportType | None = None,
    issuer_id: int | None = None,
    keyword: str = "",
) -> QuerySet[Policy]:
    """The policies `staff` may see (scope kind "policy"), filtered, newest change first. For the
    admin's list; the public search is `app.policy.search`."""
    _require_editor(staff)
    query = Policy.all()
    if status is not None:
        query = query.filter(status=status)
    if support_type is not None:
        query = query.filter(support_type=support_type)
    if issuer_id is not None:
        query = query.filter(issuing_organisations__id=issuer_id)
    keyword = keyword.strip()
    if keyword:
        query = query.filter(Q(title__icontains=keyword) | Q(doc_number__icontains=keyword))
    query = await scope_queryset(staff, query, SCOPE_KIND)
    return query.distinct().order_by("-updated_at", "-id")


async def review_queue(*, staff: Staff) -> list[Policy]:
    """Policies waiting for review that `staff` may see, oldest submission first (first come, first read)."""
    query = await list_policies(staff=staff, status=PolicyStatus.in_review)
    return await query.order_by("updated_at", "id")


async def get_policy(*, staff: Staff, policy_id: int) -> Policy:
    """Any policy in `staff`'s scope, whatever its state, with issuers and attachments loaded."""
    _require_editor(staff)
    policy = await _scoped_policy(staff, policy_id)
    await policy.fetch_related("issuing_organisations", "attachments")
    return policy


async def policy_history(*, policy_id: int) -> list[PolicyEvent]:
    """The lifecycle steps of a policy, oldest first, with who took them."""
    return await PolicyEvent.filter(policy_id=policy_id).order_by("id").prefetch_related("staff")


async def available_actions(*, staff: Staff, policy: Policy) -> list[Transition]:
    """The lifecycle steps `staff` may take on `policy` now (the buttons the admin shows)."""
    if not await in_scope(staff, policy.organisation_id):
        return []
    return available_transitions(
        status=PolicyStatus(policy.status), staff=staff, submitter_id=await submitter_id(policy.id)
    )


# -- helpers --------------------------------------------------------------------------------


async def _scoped_policy(staff: Staff, policy_id: int) -> Policy:
    query = await scope_queryset(staff, Policy.filter(id=policy_id), SCOPE_KIND)
    policy = await query.first()
    if policy is None:
        raise PolicyNotFound(policy_id, f"政策不存在或不在您的管理范围内（#{policy_id}）")
    return policy


async def _any_policy(policy_id: int) -> Policy:
    policy = await Policy.get_or_none(id=policy_id)
    if policy is None:
        raise PolicyNotFound(policy_id, f"政策不存在（#{policy_id}）")
    return policy


def _staff_id(staff: Staff | None) -> int | None:
    return staff.id if staff is not None else None


async def _audit(staff: Staff | None, action: str, policy: Policy, detail: dict[str, Any]) -> None:
    await audit.record(
        staff=staff, action=action, target_type="policy", target_id=policy.id, detail=detail, username="system"
    )


async def _reindex(policy_id: int) -> None:
    from app.policy.search import reindex_policy  # imported late: search reads this module's models

    await reindex_policy(policy_id=policy_id)
