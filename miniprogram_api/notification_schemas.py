"""Request and response models of push preferences and subscribe-message grants."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.notification.inbox import ReceivedMessage
from app.notification.ledger import DECISIONS

from app.policy.models import SupportType
from app.push.preferences import PersonPushSettings

_REQUEST = ConfigDict(extra="forbid", str_strip_whitespace=True)


def check_grant_results(results: dict[str, str] | None) -> dict[str, str] | None:
    """`wx.requestSubscribeMessage`'s result as the page got it: template ids to a decision
    (`errMsg` aside). Anything else is the client's mistake, 422 — not the ledger's 500."""
    for template_id, decision in (results or {}).items():
        if template_id == "errMsg":
            continue
        if not template_id.strip() or decision.lower() not in DECISIONS:
            raise ValueError("订阅结果应为 {模板ID: accept/reject/ban/filter}")
    return results


class SupportTypeSettingOut(BaseModel):
    support_type: str
    label: str
    receiving: bool


class PushSettingsOut(BaseModel):
    follows_official_account: bool = Field(description="政策推送经公众号发送；未关注时无法设置")
    all_muted: bool = Field(description="是否已退订全部政策推送")
    types: list[SupportTypeSettingOut]

    @classmethod
    def build(cls, found: PersonPushSettings) -> PushSettingsOut:
        receiving = set(found.subscriptions.receiving)
        return cls(
            follows_official_account=found.follows_official_account,
            all_muted=found.subscriptions.all_muted,
            types=[
                SupportTypeSettingOut(support_type=t.value, label=t.label, receiving=t in receiving)
                for t in SupportType
            ],
        )


class PushSettingsUpdate(BaseModel):
    model_config = _REQUEST

    receive_all: bool | None = Field(default=None, title="全部政策推送", description="false 退订全部；true 恢复全部")
    types: dict[SupportType, bool] = Field(
        default_factory=dict, title="按支持方式", description="如 {\"subsidy\": false} 不再接收资金补贴类推送"
    )


class GrantResultsRequest(BaseModel):
    model_config = _REQUEST

    results: dict[str, str] = Field(
        title="订阅结果",
        description="wx.requestSubscribeMessage 的 success 回调结果：{模板ID: accept/reject/ban/filter}",
        min_length=1,
        max_length=20,
    )

    _results = field_validator("results")(check_grant_results)


class GrantBalanceOut(BaseModel):
    template_id: str
    remaining: int = Field(description="剩余可发送次数（一次性订阅）")
    long_term: bool = Field(description="是否长期订阅")


class GrantBalancesOut(BaseModel):
    items: list[GrantBalanceOut]


class SubscribeTemplateOut(BaseModel):
    name: str = Field(description="通知名称（如 appeal_replied）")
    title: str = Field(description="通知标题")
    template_id: str = Field(description="传给 wx.requestSubscribeMessage 的模板 ID")
    long_term: bool


class SubscribeTemplatesOut(BaseModel):
    items: list[SubscribeTemplateOut]


class ReceivedMessageOut(BaseModel):
    id: int
    title: str = Field(description="消息标题（模板名称，如“诉求答复通知”）")
    summary: str = Field(description="消息内容摘要")
    channel: str = Field(description="official_account（公众号）或 miniprogram（小程序）")
    channel_label: str
    related_type: str = Field(description="关联对象类型：appeal、activity、survey、provider、report 等；无则为空")
    related_id: int | None = Field(description="关联对象 ID")
    sent_at: datetime
    unread: bool = Field(description="是否未读（晚于上次标记已读）")

    @classmethod
    def build(cls, message: ReceivedMessage) -> ReceivedMessageOut:
        return cls(**asdict(message))


class UnreadCountOut(BaseModel):
    unread: int = Field(description="未读消息数")


class MarkReadRequest(BaseModel):
    model_config = _REQUEST

    up_to_id: int | None = Field(
        default=None, ge=1, title="已读到", description="把这条及更早的消息标记为已读；不传则全部已读"
    )
