"""Request and response models of the engagement endpoints (服务委托 and 评价).

Limits here only bound the request; the rules a person is told about in Chinese (scores
1–5, the comment's length, who may rate, which step is allowed now) are the engagement
service's, so every channel applies the same ones. Responses are built from
`app.engagement.queries` views (the requester's phone masked).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.engagement.models import EngagementStatus
from app.engagement.queries import EngagementDetail, EngagementSummary

_BODY = ConfigDict(extra="forbid", str_strip_whitespace=True)
_QUERY = ConfigDict(extra="ignore", str_strip_whitespace=True)


def _blank_to_none(value: object) -> object:
    return None if isinstance(value, str) and not value.strip() else value


class EngagementRequest(BaseModel):
    model_config = _BODY

    product_id: int = Field(title="服务产品", description="GET /providers/{id} 中的产品编号", ge=1)
    enterprise_id: int = Field(title="委托企业", description="我已绑定的企业编号（GET /me/enterprises）", ge=1)
    note: str = Field(default="", title="需求说明", description="希望服务机构了解的情况，最多 1000 字", max_length=1000)


class ReasonBody(BaseModel):
    model_config = _BODY

    reason: str = Field(title="原因", description="必填，对方可见", min_length=1, max_length=1000)


class DeliverBody(BaseModel):
    model_config = _BODY

    note: str = Field(title="交付说明", description="交付了什么、企业如何查收（必填）", min_length=1, max_length=1000)


class AcceptBody(BaseModel):
    model_config = _BODY

    note: str = Field(default="", title="备注", max_length=1000)


class RatingBody(BaseModel):
    model_config = _BODY

    overall: int = Field(title="总体评价", description="1–5 分", ge=1, le=5)
    dimensions: dict[str, int] = Field(
        title="分项评分", description="专业能力、响应速度、服务态度、收费合理，各 1–5 分（必填）"
    )
    comment: str = Field(default="", title="评语", description="最多 500 字，经微信内容安全检测", max_length=500)


class EngagementListQuery(BaseModel):
    model_config = _QUERY

    status: str | None = Field(
        default=None, title="状态", description="open 进行中 / closed 已结束，或具体状态代码；不传为全部",
        pattern="^(open|closed|requested|accepted|delivered|completed|declined|cancelled)$",
    )
    cursor: str | None = Field(default=None, max_length=200, title="分页游标")
    limit: int = Field(default=20, ge=1, le=50, title="每页条数")

    blank_status = field_validator("status", mode="before")(_blank_to_none)


class EngagementSummaryOut(BaseModel):
    id: int = Field(description="订单编号")
    status: EngagementStatus
    status_label: str
    provider_id: int
    provider_name: str
    product_id: int
    product_name: str
    enterprise_id: int
    enterprise_name: str
    requested_at: datetime
    confirm_due_at: datetime | None = Field(description="交付后：逾期未确认将自动完成的时间")
    rated: bool

    @classmethod
    def build(cls, view: EngagementSummary) -> EngagementSummaryOut:
        return cls(id=view.id, status=view.status, status_label=view.status_label, provider_id=view.provider_id,
                   provider_name=view.provider_name, product_id=view.product_id, product_name=view.product_name,
                   enterprise_id=view.enterprise_id, enterprise_name=view.enterprise_name,
                   requested_at=view.requested_at, confirm_due_at=view.confirm_due_at, rated=view.rated)


class EngagementListOut(BaseModel):
    items: list[EngagementSummaryOut]
    total: int
    next_cursor: str | None = Field(description="下一页的游标；为 null 表示没有更多了")


class TimelineEntryOut(BaseModel):
    action: str
    label: str
    who: str
    at: datetime
    text: str


class RatingOut(BaseModel):
    overall: int
    dimensions: dict[str, int]
    comment: str = Field(description="评语（审核中或未通过时仅评价人自己可见）")
    comment_state: str = Field(description="评语审核状态：无评语/已通过/待人工审核/人工审核通过/审核未通过")
    counts: bool = Field(description="是否计入服务机构评分")
    created_at: datetime


class ActionOut(BaseModel):
    action: str = Field(description="accept/decline/deliver/confirm/reopen/cancel：POST /engagements/{id}/{action}")
    label: str
    reason_required: bool


class EngagementDetailOut(BaseModel):
    summary: EngagementSummaryOut
    note: str = Field(description="企业的需求说明")
    delivery_note: str
    status_reason: str = Field(description="婉拒、取消或反馈未完成的原因")
    requester_phone: str = Field(description="委托人手机号（脱敏）")
    timeline: list[TimelineEntryOut]
    actions: list[ActionOut] = Field(description="我现在可以进行的操作")
    rating: RatingOut | None
    can_rate: bool

    @classmethod
    def build(cls, view: EngagementDetail) -> EngagementDetailOut:
        rating = None
        if view.rating is not None:
            r = view.rating
            rating = RatingOut(overall=r.overall, dimensions=r.dimensions, comment=r.comment,
                               comment_state=r.comment_state, counts=r.counts, created_at=r.created_at)
        return cls(
            summary=EngagementSummaryOut.build(view.summary), note=view.note, delivery_note=view.delivery_note,
            status_reason=view.status_reason, requester_phone=view.requester_phone,
            timeline=[TimelineEntryOut(action=e.action, label=e.label, who=e.who, at=e.at, text=e.text)
                      for e in view.timeline],
            actions=[ActionOut(action=t.action, label=t.label, reason_required=t.note_required) for t in view.actions],
            rating=rating, can_rate=view.can_rate,
        )
