"""Request and response models of the appeal endpoints (企业诉求).

Forms (submission, supplement) are `multipart/form-data`: their text fields are validated
with these models (`miniprogram_api.uploads.validate_form`), the photos travel beside them.
Limits here only bound the request; the rules a person is told about in Chinese (at least
5 characters of description, title length, phone format, file types) are the appeal
service's, so every channel applies the same ones.

Responses are built from `app.appeal.queries` views: phone numbers only masked, staff
only as their organisation, attachments only as signed links.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.appeal.models import AppealChannel, AppealStatus, ContactPreference, Satisfaction
from app.appeal.queries import (
    ActionView,
    AppealDetail,
    AppealSummary,
    AttachmentView,
    CategoryView,
    TimelineEntry,
)

_FORM = ConfigDict(extra="forbid", str_strip_whitespace=True)
_QUERY = ConfigDict(extra="ignore", str_strip_whitespace=True)


def _blank_to_none(value: object) -> object:
    return None if isinstance(value, str) and not value.strip() else value


# -- requests ------------------------------------------------------------------


class AppealForm(BaseModel):
    """The text fields of `POST /appeals` (photos go in the repeated `photos` file field)."""

    model_config = _FORM

    category: str = Field(title="诉求类别", description="类别代码，见 GET /appeal-categories", min_length=1, max_length=32)
    description: str = Field(title="诉求描述", description="至少 5 个字，最多 4000 字", min_length=1, max_length=4000)
    title: str = Field(default="", title="标题", description="可不填，默认取描述的第一行", max_length=200)
    enterprise_id: int | None = Field(
        default=None, title="所涉企业", description="我已绑定的企业编号（GET /me/enterprises）；不填则以个人名义提交", ge=1
    )
    enterprise_name: str = Field(
        default="", title="企业名称", description="尚未绑定企业时可填写企业名称，便于受理", max_length=200
    )
    contact_name: str = Field(default="", title="联系人", max_length=50)
    contact_phone: str = Field(default="", title="联系电话", max_length=20)
    contact_preference: ContactPreference = Field(
        default=ContactPreference.wechat, title="联系方式偏好", description="wechat 微信消息 / phone 电话联系 / none 无需联系"
    )

    blank_enterprise = field_validator("enterprise_id", mode="before")(_blank_to_none)

    @field_validator("contact_preference", mode="before")
    @classmethod
    def _preference_by_label(cls, value: object) -> object:
        if isinstance(value, str):
            try:
                return ContactPreference.from_label_or_code(value)
            except ValueError:
                return value
        return value


class SupplementForm(BaseModel):
    """The text of `POST /appeals/{id}/supplement` (photos in `photos`)."""

    model_config = _FORM

    text: str = Field(title="补充内容", description="补充说明（必填），可同时上传图片", min_length=1, max_length=4000)


class ConfirmRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    resolved: bool = Field(title="问题是否已解决")
    satisfaction: Satisfaction = Field(
        title="满意度",
        description="very_satisfied 非常满意 / satisfied 满意 / basically_satisfied 基本满意 / "
        "dissatisfied 不满意 / very_dissatisfied 非常不满意（也接受中文）",
    )
    comment: str = Field(
        default="", title="评价说明", description="未解决时必填：还有哪些问题没有解决（将申请重办一次）", max_length=1000
    )

    @field_validator("satisfaction", mode="before")
    @classmethod
    def _satisfaction_by_label(cls, value: object) -> object:
        if isinstance(value, str):
            try:
                return Satisfaction.from_label_or_code(value)
            except ValueError:
                return value
        return value


class AppealListQuery(BaseModel):
    model_config = _QUERY

    status: str | None = Field(
        default=None, title="状态", description="open 进行中 / closed 已结束（不予受理或已办结）；不传为全部",
        pattern="^(open|closed)$",
    )
    cursor: str | None = Field(default=None, max_length=200, title="分页游标")
    limit: int = Field(default=20, ge=1, le=50, title="每页条数")

    blank_status = field_validator("status", mode="before")(_blank_to_none)


# -- responses -----------------------------------------------------------------


class CategoryOut(BaseModel):
    code: str
    label: str = Field(description="类别名称")
    hint: str = Field(description="一句话说明哪些诉求属于该类别")
    resolve_working_days: int = Field(description="分派后的办结时限（工作日）")

    @classmethod
    def build(cls, view: CategoryView) -> CategoryOut:
        return cls(code=view.code, label=view.label, hint=view.hint, resolve_working_days=view.resolve_working_days)


class CategoriesOut(BaseModel):
    items: list[CategoryOut]


class AppealSummaryOut(BaseModel):
    id: int
    number: str = Field(description="诉求编号，如 SQ20240102000123")
    title: str
    category: str
    category_label: str
    status: AppealStatus
    status_label: str = Field(description="状态（中文）")
    awaiting: str = Field(description="待办提示，如“请补充材料”“待您确认并评价”；无则为空")
    enterprise_name: str
    channel: AppealChannel
    created_at: datetime
    updated_at: datetime
    accept_due_at: datetime | None = Field(description="受理时限")
    resolve_due_at: datetime | None = Field(description="办结时限（分派后才有）")
    confirm_due_at: datetime | None = Field(description="评价截止时间（答复后才有），逾期自动办结为“未评价”")
    closed_at: datetime | None

    @classmethod
    def build(cls, view: AppealSummary) -> AppealSummaryOut:
        return cls(
            id=view.id,
            number=view.number,
            title=view.title,
            category=view.category,
            category_label=view.category_label,
            status=view.status,
            status_label=view.status_label,
            awaiting=view.awaiting,
            enterprise_name=view.enterprise_name,
            channel=view.channel,
            created_at=view.created_at,
            updated_at=view.updated_at,
            accept_due_at=view.accept_due_at,
            resolve_due_at=view.resolve_due_at,
            confirm_due_at=view.confirm_due_at,
            closed_at=view.closed_at,
        )


class AppealListOut(BaseModel):
    items: list[AppealSummaryOut]
    total: int = Field(description="符合筛选条件的诉求总数")
    next_cursor: str | None = Field(description="下一页的游标；为 null 表示没有更多了")


class AttachmentOut(BaseModel):
    id: int
    filename: str
    content_type: str
    size: int
    url: str = Field(description="带签名的链接，1 小时内有效；过期后重新获取详情即可")
    is_image: bool

    @classmethod
    def build(cls, view: AttachmentView) -> AttachmentOut:
        return cls(
            id=view.id, filename=view.filename, content_type=view.content_type, size=view.size, url=view.url,
            is_image=view.is_image,
        )


class TimelineEntryOut(BaseModel):
    id: int
    action: str
    label: str = Field(description="环节，如 受理、分派、答复、企业补充材料")
    who: str = Field(description="办理方：企业、承办单位名称或系统")
    at: datetime
    text: str = Field(description="说明、答复内容或评价")
    status: AppealStatus | None = Field(description="此环节后的状态；不改变状态的环节为 null")
    status_label: str
    details: list[str] = Field(description="补充信息，如“承办单位：市科委”“满意度：满意”")
    attachments: list[AttachmentOut]

    @classmethod
    def build(cls, entry: TimelineEntry) -> TimelineEntryOut:
        return cls(
            id=entry.id,
            action=entry.action,
            label=entry.label,
            who=entry.who,
            at=entry.at,
            text=entry.text,
            status=entry.status,
            status_label=entry.status_label,
            details=entry.details,
            attachments=[AttachmentOut.build(a) for a in entry.attachments],
        )


class ActionOut(BaseModel):
    action: str = Field(description="supplement 补充材料 → POST …/supplement；confirm / reopen → POST …/confirm")
    label: str
    note_required: bool
    note_label: str

    @classmethod
    def build(cls, view: ActionView) -> ActionOut:
        return cls(action=view.action, label=view.label, note_required=view.note_required, note_label=view.note_label)


class AppealDetailOut(AppealSummaryOut):
    description: str
    enterprise_id: int | None
    contact_name: str
    contact_phone: str = Field(description="联系电话（脱敏）")
    contact_preference: ContactPreference
    decline_reason: str = Field(description="不予受理的原因")
    lead_organisation: str = Field(description="当前承办单位；分派前为空")
    resolved: bool | None = Field(description="企业评价：问题是否已解决")
    satisfaction: Satisfaction | None
    satisfaction_label: str
    satisfaction_comment: str
    close_reason: str | None
    close_reason_label: str
    reopen_count: int
    reopens_left: int = Field(description="还可申请重办的次数")
    is_submitter: bool = Field(description="是否由我本人提交")
    timeline: list[TimelineEntryOut] = Field(description="办理过程（不含内部环节），按时间先后")
    attachments: list[AttachmentOut] = Field(description="全部附件（企业上传与承办单位答复所附）")
    actions: list[ActionOut] = Field(description="我现在可以进行的操作")

    @classmethod
    def from_detail(cls, detail: AppealDetail) -> AppealDetailOut:
        return cls(
            **AppealSummaryOut.build(detail.summary).model_dump(),
            description=detail.description,
            enterprise_id=detail.enterprise_id,
            contact_name=detail.contact_name,
            contact_phone=detail.contact_phone_masked,
            contact_preference=detail.contact_preference,
            decline_reason=detail.decline_reason,
            lead_organisation=detail.lead_organisation,
            resolved=detail.resolved,
            satisfaction=detail.satisfaction,
            satisfaction_label=detail.satisfaction.label if detail.satisfaction else "",
            satisfaction_comment=detail.satisfaction_comment,
            close_reason=detail.close_reason.value if detail.close_reason else None,
            close_reason_label=detail.close_reason.label if detail.close_reason else "",
            reopen_count=detail.reopen_count,
            reopens_left=detail.reopens_left,
            is_submitter=detail.is_submitter,
            timeline=[TimelineEntryOut.build(entry) for entry in detail.timeline],
            attachments=[AttachmentOut.build(a) for a in detail.attachments],
            actions=[ActionOut.build(action) for action in detail.actions],
        )
