"""政策推送: a published policy pushed to the followers it fits (push campaigns).

Official-account template message: campaigns reach up to 100,000 followers a day, none of
whom asked for this particular message, so a subscribe message (one grant per message)
cannot carry it. Opens the H5 policy page, or the mini-program's policy page when the
mini-program is configured (WeChat prefers the mini-program when both are given).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from pydantic import BaseModel

from app.policy.models import Policy, SupportType
from templates_msg.base import Channel, Field, MessageKind
from templates_msg.fields import format_date
from templates_msg.registry import template_message

__all__ = ["PolicyPushContext", "values_for"]


def apply_window(context: PolicyPushContext) -> str:
    """The application window as one short line."""
    if context.apply_end:
        return f"截至{format_date(context.apply_end)}"
    if context.apply_start:
        return f"{format_date(context.apply_start)}起"
    return "详见政策原文"


@template_message(
    name="policy_push",
    title="政策推送通知",
    kind=MessageKind.template,
    channel=Channel.official_account,
    fields=(
        Field("thing1", "政策名称", "title"),
        Field("phrase2", "扶持类型", "support_type", phrases=SupportType.labels()),
        Field("thing3", "发布部门", "issuer", fallback="见政策原文"),
        Field("thing4", "申报时间", apply_window),
    ),
    url=lambda c: f"/h5/policies/{c.policy_id}",
    page=lambda c: f"pages/policy/detail?id={c.policy_id}",
    example={
        "policy_id": 1,
        "title": "浦东新区关于支持科技型中小企业研发投入的若干措施",
        "support_type": "subsidy",
        "issuer": "浦东新区科技和经济委员会",
        "apply_end": "2030-06-30",
    },
)
class PolicyPushContext(BaseModel):
    """A policy pushed to the enterprises it fits."""

    policy_id: int
    title: str
    support_type: SupportType
    issuer: str = ""
    """The issuing organisations, joined with 、"""
    apply_start: date | None = None
    apply_end: date | None = None


def values_for(policy: Policy, *, issuers: Sequence[str] = ()) -> dict[str, Any]:
    """The context of a policy (issuers: the issuing organisations' names, already loaded)."""
    return {
        "policy_id": policy.id,
        "title": policy.title,
        "support_type": policy.support_type,
        "issuer": "、".join(name for name in issuers if name),
        "apply_start": policy.apply_start,
        "apply_end": policy.apply_end,
    }
