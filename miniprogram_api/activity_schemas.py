"""Request and response models of the activity endpoints (活动排片、报名、电子票).

Responses are built from `app.activity.queries` views; a ticket code appears only in the
owner's own sign-up, and only for a confirmed (or checked-in) one.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.activity.models import ActivityKind, ActivityStatus, SignupChannel, SignupStatus
from app.activity.queries import ActivityView, SignupView
from miniprogram_api.notification_schemas import check_grant_results

_BODY = ConfigDict(extra="forbid", str_strip_whitespace=True)
_QUERY = ConfigDict(extra="ignore", str_strip_whitespace=True)


def _blank_to_none(value: object) -> object:
    return None if isinstance(value, str) and not value.strip() else value


# -- requests ------------------------------------------------------------------


class ActivityListQuery(BaseModel):
    model_config = _QUERY

    kind: ActivityKind | None = Field(
        default=None, title="活动类型", description="training 培训 / lecture 讲座 / roadshow 路演 / diagnostic 诊断 / briefing 政策宣讲"
    )
    cursor: str | None = Field(default=None, max_length=200, title="分页游标")
    limit: int = Field(default=20, ge=1, le=50, title="每页条数")

    blank_kind = field_validator("kind", mode="before")(_blank_to_none)


class SignupRequest(BaseModel):
    """`POST /activities/{id}/signups`."""

    model_config = _BODY

    contact_name: str = Field(title="参会人姓名", min_length=1, max_length=50)
    contact_phone: str = Field(default="", title="联系电话", description="不填则用已授权的手机号", max_length=20)
    enterprise_id: int | None = Field(
        default=None, ge=1, title="代表企业", description="我已绑定的企业编号；不填则取最近绑定的企业（如有）"
    )
    subscribe_results: dict[str, str] | None = Field(
        default=None, title="订阅消息授权结果",
        description="报名时调用 wx.requestSubscribeMessage（活动开始提醒）的结果原样上报，用于活动前一天提醒",
    )

    _subscribe_results = field_validator("subscribe_results")(check_grant_results)


# -- responses -----------------------------------------------------------------


class MySignupOut(BaseModel):
    id: int
    status: SignupStatus
    status_label: str
    waitlist_position: int | None = Field(description="候补名次（1 表示下一个递补），非候补时为 null")
    ticket_code: str | None = Field(description="电子票码（报名成功后才有）")
    checked_in_at: datetime | None
    enterprise_name: str | None

    @classmethod
    def build(cls, view: SignupView, *, enterprise_name: str | None = None) -> MySignupOut:
        signup = view.signup
        return cls(
            id=signup.id, status=SignupStatus(signup.status), status_label=view.status_label,
            waitlist_position=signup.waitlist_position,
            ticket_code=signup.ticket_code if view.ticket_visible else None,
            checked_in_at=signup.checked_in_at, enterprise_name=enterprise_name,
        )


class ActivityOut(BaseModel):
    id: int
    title: str
    kind: ActivityKind
    kind_label: str
    status: ActivityStatus
    status_label: str
    starts_at: datetime
    ends_at: datetime
    when: str = Field(description="时间的中文表述，如 5月20日（周一）14:00-16:30")
    place: str
    audience: str = Field(description="面向对象")
    organiser: str = Field(description="主办单位")
    capacity: int
    places_left: int
    waitlist: int = Field(description="当前候补人数")
    signup_deadline: datetime | None
    signup_open: bool
    closed_reason: str = Field(description="不能报名的原因；可报名时为空")

    @classmethod
    def build(cls, view: ActivityView) -> ActivityOut:
        a = view.activity
        return cls(
            id=a.id, title=a.title, kind=ActivityKind(a.kind), kind_label=view.kind_label,
            status=ActivityStatus(a.status), status_label=view.status_label, starts_at=a.starts_at, ends_at=a.ends_at,
            when=view.when, place=a.place, audience=a.audience, organiser=view.organiser, capacity=a.capacity,
            places_left=view.places_left, waitlist=view.waitlist, signup_deadline=a.signup_deadline,
            signup_open=view.signup_open, closed_reason=view.closed_reason,
        )


class ActivityDetailOut(ActivityOut):
    description: str
    my_signup: MySignupOut | None = Field(description="我的报名（未报名或已取消为 null）")


class ActivityListOut(BaseModel):
    items: list[ActivityOut]
    total: int
    next_cursor: str | None = Field(description="下一页的游标；为 null 表示没有更多了")


class SignupOut(BaseModel):
    """A sign-up with its activity (my sign-ups, the answer to signing up or cancelling)."""

    signup: MySignupOut
    activity: ActivityOut
    channel: SignupChannel
    message: str = Field(description="给报名人的说明，如“报名成功”或“名额已满，您在候补第 3 位”")


class SignupListOut(BaseModel):
    items: list[SignupOut]


class TicketOut(BaseModel):
    ticket_code: str
    qr_png_base64: str = Field(description="电子票二维码 PNG（base64），入场时出示给工作人员扫码")
    status: SignupStatus
    status_label: str
    checked_in_at: datetime | None
    activity: ActivityOut
