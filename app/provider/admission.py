"""Admission: an organisation applies (or staff register it), a service manager reviews it
against the published criteria, and its people join the provider desk.

* **Apply** (mini-program): the applicant becomes the provider's owner member; the
  application is `applied` and waits in the admin's queue.
* **Register** (admin): staff enter a provider they vetted offline; it is admitted at once
  and its invitation code lets its staff join the desk from the mini-program.
* **Review** (admin): admit, ask for more information, or refuse with a reason — steps of
  `app.provider.workflow`, applied by `app.provider.steps.take_step` (event + notice).
* **One application per credit code.** A second application with the same code is refused
  (`provider_exists`); a refused applicant corrects the application and resubmits it
  (`resubmit`: refused/needs_info → applied), so the reviewer sees the whole history.
* **The public text is content-checked** (`app.provider.checks`) when a member applies or
  edits the profile from the mini-program (`miniprogram` given; None = demo data and
  service tests, unchecked). Risky text is refused. Doubtful text of an application is
  written (nothing is public yet) but admission waits for the content review; a doubtful
  edit of an admitted provider waits in `pending_profile` while the old text stays public.
"""

from __future__ import annotations

import secrets
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app.audit import service as audit
from app.enterprise import credit_code as credit_codes
from app.enterprise.reference import District
from app.identity.models import WeChatUser
from app.outbox.service import put as outbox_put
from app.provider import checks
from app.provider.access import require_member
from app.provider.errors import ProviderConflict, ProviderError, ProviderNotFound
from app.provider.models import (
    AdmissionCriterion,
    MemberRole,
    Provider,
    ProviderMember,
    ProviderStatus,
    ServiceCategory,
)
from app.provider.steps import now, record_event, take_step
from app.provider.workflow import MEMBER_STATUSES, Role
from app.staff.models import Staff

__all__ = [
    "CredentialIn",
    "ProviderDraft",
    "apply",
    "criteria_for",
    "delete_criterion",
    "join",
    "register",
    "reset_invite_code",
    "resubmit",
    "review",
    "save_criterion",
    "update_profile",
]

NAME_LIMIT = 200
DESCRIPTION_LIMIT = 4000
MAX_CREDENTIALS = 20
INVITE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
INVITE_LENGTH = 8
REVIEW_ACTIONS = ("admit", "request_info", "refuse")


@dataclass(frozen=True)
class CredentialIn:
    """A licence or qualification the provider holds (执业许可证, 专利代理机构注册证 ...)."""

    name: str
    number: str = ""
    expires_on: date | None = None


@dataclass
class ProviderDraft:
    name: str
    credit_code: str
    category: str
    description: str = ""
    district: str = ""
    address: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    credentials: Sequence[CredentialIn] = field(default_factory=tuple)


def _text(value: str | None) -> str:
    return (value or "").strip()


def _phone(value: str) -> str:
    phone = unicodedata.normalize("NFKC", value or "").strip().replace("-", "").replace(" ", "")
    if not phone:
        raise ProviderError("请填写联系电话", code="invalid_phone", field="contact_phone")
    if not (phone.isdigit() and 7 <= len(phone) <= 15):
        raise ProviderError("联系电话格式不正确", code="invalid_phone", field="contact_phone")
    return phone


def _columns(draft: ProviderDraft, *, today: date, with_code: bool = True) -> dict[str, Any]:
    """Validated columns of a draft; ProviderError naming the first field at fault."""
    name = _text(draft.name)
    if len(name) < 2:
        raise ProviderError("请填写机构名称", code="invalid_name", field="name")
    if len(name) > NAME_LIMIT:
        raise ProviderError(f"机构名称不能超过 {NAME_LIMIT} 字", code="invalid_name", field="name")
    values: dict[str, Any] = {"name": name}
    if with_code:
        code = credit_codes.normalise(draft.credit_code)
        try:
            credit_codes.validate(code)
        except credit_codes.InvalidCreditCode as exc:
            raise ProviderError(f"统一社会信用代码有误：{exc.reason}", code="invalid_credit_code", field="credit_code") from None
        values["credit_code"] = code
    try:
        values["category"] = ServiceCategory.from_label_or_code(draft.category or "")
    except ValueError:
        raise ProviderError("请选择服务类别", code="invalid_provider_category", field="category") from None
    description = _text(draft.description)
    if len(description) < 10:
        raise ProviderError("请介绍机构的服务内容（至少 10 个字）", code="invalid_description", field="description")
    if len(description) > DESCRIPTION_LIMIT:
        raise ProviderError(f"机构介绍不能超过 {DESCRIPTION_LIMIT} 字", code="invalid_description", field="description")
    values["description"] = description
    if draft.district:
        try:
            values["district"] = District.from_label_or_code(draft.district)
        except ValueError:
            raise ProviderError("所在区不正确", code="invalid_district", field="district") from None
    else:
        values["district"] = None
    address = _text(draft.address)
    if len(address) > 300:
        raise ProviderError("地址不能超过 300 字", code="invalid_address", field="address")
    values["address"] = address
    contact = _text(draft.contact_name)
    if not contact or len(contact) > 50:
        raise ProviderError("请填写联系人姓名（50 字以内）", code="invalid_contact", field="contact_name")
    values["contact_name"] = contact
    values["contact_phone"] = _phone(draft.contact_phone)
    values["credentials"] = _credentials(draft.credentials, today=today)
    return values


def _credentials(items: Sequence[CredentialIn], *, today: date) -> list[dict[str, Any]]:
    if len(items) > MAX_CREDENTIALS:
        raise ProviderError(f"资质最多填写 {MAX_CREDENTIALS} 项", code="invalid_credentials", field="credentials")
    cleaned = []
    for position, item in enumerate(items, start=1):
        name, number = _text(item.name), _text(item.number)
        if not name or len(name) > 100:
            raise ProviderError(f"第 {position} 项资质请填写名称（100 字以内）", code="invalid_credentials", field="credentials")
        if len(number) > 64:
            raise ProviderError(f"第 {position} 项资质的编号过长", code="invalid_credentials", field="credentials")
        if item.expires_on is not None and item.expires_on < today:
            raise ProviderError(f"资质「{name}」已于 {item.expires_on.isoformat()} 过期，请更新后再提交",
                                code="credential_expired", field="credentials")
        cleaned.append({"name": name, "number": number,
                        "expires_on": item.expires_on.isoformat() if item.expires_on else None})
    return cleaned


def new_invite_code() -> str:
    return "".join(secrets.choice(INVITE_ALPHABET) for _ in range(INVITE_LENGTH))


async def _code_taken(code: str) -> Provider | None:
    return await Provider.get_or_none(credit_code=code)


def _exists_error(existing: Provider, *, user: WeChatUser | None) -> ProviderError:
    if ProviderStatus(existing.status) in (ProviderStatus.refused, ProviderStatus.needs_info) and user is not None \
            and existing.applicant_id == user.id:
        return ProviderConflict("该机构已提交过入驻申请，请在“我的服务机构”中修改后重新提交", code="provider_exists")
    return ProviderConflict("该统一社会信用代码已有入驻申请或已入驻；如需加入，请向机构负责人索取邀请码",
                            code="provider_exists")


async def _screen_profile(miniprogram: Any, user: WeChatUser, values: dict[str, Any]) -> Any:
    if miniprogram is None:
        return None
    return await checks.screen(miniprogram=miniprogram, user=user, subject_type=checks.PROFILE_SUBJECT,
                               texts=[values[key] for key in checks.PROFILE_TEXT_FIELDS])


async def apply(*, user: WeChatUser, draft: ProviderDraft, miniprogram: Any = None) -> Provider:
    """An organisation applies from the mini-program; the applicant becomes its owner."""
    values = _columns(draft, today=now().date())
    existing = await _code_taken(values["credit_code"])
    if existing is not None:
        raise _exists_error(existing, user=user)
    check = await _screen_profile(miniprogram, user, values)
    held = check is not None and checks.is_held(check)
    try:
        async with in_transaction() as connection:
            provider = await Provider.create(
                **values, status=ProviderStatus.applied, applicant=user, submitted_at=now(),
                invite_code=new_invite_code(), profile_check_id=check.id if held else None, using_db=connection,
            )
            if check is not None:
                await checks.attach(check, subject_id=provider.id, connection=connection)
            await ProviderMember.create(provider=provider, user=user, role=MemberRole.owner, using_db=connection)
            await record_event(provider=provider, action="apply", connection=connection, user=user,
                               to_status=ProviderStatus.applied, role=Role.applicant)
    except BaseException as exc:
        await checks.discard(check)
        if not isinstance(exc, IntegrityError):
            raise
        existing = await _code_taken(values["credit_code"])
        if existing is None:
            raise
        raise _exists_error(existing, user=user) from None
    return provider


async def register(*, staff: Staff, draft: ProviderDraft, reason: str = "") -> Provider:
    """Staff register a provider they vetted themselves: admitted at once, with an
    invitation code for its people to join the desk."""
    values = _columns(draft, today=now().date())
    existing = await _code_taken(values["credit_code"])
    if existing is not None:
        raise ProviderConflict("该统一社会信用代码的服务机构已存在", code="provider_exists")
    at = now()
    try:
        async with in_transaction() as connection:
            provider = await Provider.create(
                **values, status=ProviderStatus.admitted, registered_by=staff, submitted_at=at, admitted_at=at,
                invite_code=new_invite_code(), using_db=connection,
            )
            await record_event(provider=provider, action="register", connection=connection, staff=staff,
                               reason=_text(reason), to_status=ProviderStatus.admitted)
            await outbox_put(topic="provider.refresh", dedupe_key=f"provider:{provider.id}:registered",
                             payload={"provider_id": provider.id}, connection=connection)
            await audit.record(staff=staff, action="provider.register", target_type="provider", target_id=provider.id,
                               detail={"name": provider.name, "credit_code": provider.credit_code})
    except IntegrityError:
        raise ProviderConflict("该统一社会信用代码的服务机构已存在", code="provider_exists") from None
    return provider


async def _provider(provider_id: int) -> Provider:
    provider = await Provider.get_or_none(id=provider_id)
    if provider is None:
        raise ProviderNotFound()
    return provider


async def review(*, staff: Staff, provider_id: int, action: str, reason: str = "",
                 checked: Sequence[int] = ()) -> Provider:
    """A reviewer's decision on an application: admit, request_info or refuse.
    `checked` are the criteria the reviewer ticked, kept on the event."""
    if action not in REVIEW_ACTIONS:
        raise ProviderError("请选择审核结论", code="unknown_action", field="action")
    provider = await _provider(provider_id)
    if action == "admit" and provider.profile_check_id is not None:
        raise ProviderError("该机构的资料文字需人工复核（微信内容安全检测），请先在“待复核内容”中通过后再准予入驻",
                            code="content_held")

    async def within(event: Any, connection: Any) -> None:
        await audit.record(staff=staff, action=f"provider.{action}", target_type="provider", target_id=provider.id,
                           detail={"reason": event.reason})
        if action == "admit":
            await outbox_put(topic="provider.refresh", dedupe_key=f"provider:{provider.id}:admitted:{event.id}",
                             payload={"provider_id": provider.id}, connection=connection)

    await take_step(provider, action, role=Role.staff, staff=staff, reason=reason, within=within,
                    payload={"criteria_checked": sorted({int(c) for c in checked})})
    return provider


async def update_profile(*, user: WeChatUser, provider_id: int, draft: ProviderDraft,
                         miniprogram: Any = None) -> Provider:
    """The owner edits the profile (the credit code is fixed: it is the application's identity).
    New name/description text is content-checked (see the module docstring)."""
    member = await require_member(user=user, provider_id=provider_id, owner=True)
    provider = member.provider
    values = _columns(draft, today=now().date(), with_code=False)
    pending = dict(provider.pending_profile or {})
    current = {key: pending.get(key, getattr(provider, key)) for key in values}
    changed = sorted(key for key, value in values.items() if current[key] != value)
    if not changed:
        return provider
    text = {key: values.pop(key) for key in checks.PROFILE_TEXT_FIELDS}
    check = None
    if any(key in changed for key in checks.PROFILE_TEXT_FIELDS):
        check = await _screen_profile(miniprogram, user, text)
        if check is not None and checks.is_held(check):
            if provider.admitted_at is not None:  # public text exists: it stays until the review
                values.update(pending_profile=text, profile_check_id=check.id)
            else:
                values.update(text, pending_profile={}, profile_check_id=check.id)
        else:
            values.update(text, pending_profile={}, profile_check_id=None)
    try:
        async with in_transaction() as connection:
            updated = await Provider.filter(id=provider.id, version=provider.version).using_db(connection).update(
                **values, version=provider.version + 1, updated_at=now()
            )
            if updated != 1:
                raise ProviderConflict()
            if check is not None:
                await checks.attach(check, subject_id=provider.id, connection=connection)
            await record_event(provider=provider, action="edit_profile", connection=connection, user=user,
                               payload={"fields": changed, "held": values.get("profile_check_id") is not None},
                               role=Role.applicant)
    except BaseException:
        await checks.discard(check)
        raise
    for key, value in values.items():
        setattr(provider, key, value)
    provider.version += 1
    return provider


async def resubmit(*, user: WeChatUser, provider_id: int, draft: ProviderDraft | None = None, note: str = "",
                   miniprogram: Any = None) -> Provider:
    """The owner sends a corrected application back for review (needs_info/refused → applied)."""
    if draft is not None:
        await update_profile(user=user, provider_id=provider_id, draft=draft, miniprogram=miniprogram)
    member = await require_member(user=user, provider_id=provider_id, owner=True)
    provider = member.provider
    await take_step(provider, "resubmit", role=Role.applicant, user=user, reason=note)
    return provider


async def join(*, user: WeChatUser, code: str) -> ProviderMember:
    """Join a provider's desk with its invitation code (as 服务专员)."""
    code = unicodedata.normalize("NFKC", code or "").strip().upper()
    provider = await Provider.get_or_none(invite_code=code) if code else None
    if provider is None or ProviderStatus(provider.status) not in MEMBER_STATUSES:
        raise ProviderError("邀请码无效，请向服务机构负责人确认", code="invalid_invite_code", field="code")
    existing = await ProviderMember.get_or_none(provider_id=provider.id, user_id=user.id)
    if existing is not None and existing.revoked_at is None:
        existing.provider = provider
        return existing
    async with in_transaction() as connection:
        if existing is not None:
            await ProviderMember.filter(id=existing.id).using_db(connection).update(revoked_at=None, role=MemberRole.agent)
            member = existing
            member.revoked_at, member.role = None, MemberRole.agent
        else:
            try:
                member = await ProviderMember.create(provider=provider, user=user, role=MemberRole.agent,
                                                     using_db=connection)
            except IntegrityError:
                raise ProviderConflict("您已是该服务机构的成员", code="already_member") from None
        await record_event(provider=provider, action="member_join", connection=connection, user=user,
                           role=Role.applicant)
    member.provider = provider
    return member


async def reset_invite_code(*, provider_id: int, staff: Staff | None = None, user: WeChatUser | None = None) -> str:
    """A new invitation code (the old one stops working): staff, or the provider's owner."""
    if user is not None:
        await require_member(user=user, provider_id=provider_id, owner=True)
    provider = await _provider(provider_id)
    code = new_invite_code()
    async with in_transaction() as connection:
        await Provider.filter(id=provider.id).using_db(connection).update(invite_code=code)
        await record_event(provider=provider, action="invite_code", connection=connection, staff=staff, user=user,
                           role=Role.staff if staff else Role.applicant)
        if staff is not None:
            await audit.record(staff=staff, action="provider.invite_code", target_type="provider", target_id=provider.id)
    return code


# -- published admission criteria ------------------------------------------------------


async def criteria_for(*, category: ServiceCategory | str | None = None, active_only: bool = True) -> list[AdmissionCriterion]:
    """The criteria an applicant in `category` must meet: the general ones, then the
    category's (all of them when `category` is None), in their set order."""
    query = AdmissionCriterion.all()
    if active_only:
        query = query.filter(is_active=True)
    items = await query.order_by("position", "id")
    if category is None:
        return sorted(items, key=lambda c: (c.category is not None, str(c.category or ""), c.position, c.id))
    category = ServiceCategory(category)
    return [c for c in items if c.category is None or ServiceCategory(c.category) is category]


async def save_criterion(*, staff: Staff, criterion_id: int | None, category: str, title: str, description: str,
                         position: int = 0, is_active: bool = True) -> AdmissionCriterion:
    title, description = _text(title), _text(description)
    if not title or len(title) > 100:
        raise ProviderError("请填写标准名称（100 字以内）", code="invalid_criterion", field="title")
    if len(description) > 2000:
        raise ProviderError("说明不能超过 2000 字", code="invalid_criterion", field="description")
    chosen: ServiceCategory | None = None
    if category:
        try:
            chosen = ServiceCategory.from_label_or_code(category)
        except ValueError:
            raise ProviderError("请选择服务类别", code="invalid_provider_category", field="category") from None
    values = {"category": chosen, "title": title, "description": description, "position": int(position),
              "is_active": is_active, "updated_by": staff}
    async with in_transaction():
        if criterion_id is None:
            criterion = await AdmissionCriterion.create(**values)
        else:
            criterion = await AdmissionCriterion.get_or_none(id=criterion_id)
            if criterion is None:
                raise ProviderNotFound("未找到该入驻标准", code="criterion_not_found")
            criterion.update_from_dict(values)
            await criterion.save()
        await audit.record(staff=staff, action="provider.criterion", target_type="provider_criterion",
                           target_id=criterion.id, detail={"title": title, "category": chosen.value if chosen else ""})
    return criterion


async def delete_criterion(*, staff: Staff, criterion_id: int) -> None:
    """Criteria are retired (inactive), never deleted: past reviews refer to them."""
    async with in_transaction():
        updated = await AdmissionCriterion.filter(id=criterion_id).update(is_active=False, updated_by_id=staff.id)
        if not updated:
            raise ProviderNotFound("未找到该入驻标准", code="criterion_not_found")
        await audit.record(staff=staff, action="provider.criterion_retire", target_type="provider_criterion",
                           target_id=criterion_id)
