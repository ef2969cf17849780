"""How a policy is described to enterprises, the same way in chat, H5, the mini-program and the admin.

Whether a policy can be applied for today is a rule (dates against today), not a
template concern, so every door asks here instead of comparing dates itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from app.policy.models import Policy, PolicyStatus, SupportType

__all__ = ["ApplicationState", "amount_text", "application_state", "support_label"]


@dataclass(frozen=True)
class ApplicationState:
    code: str
    """expired | open | upcoming | closed | rolling (no application window given)"""
    label: str


EXPIRED = ApplicationState("expired", "已失效")
WITHDRAWN = ApplicationState("withdrawn", "已撤回")
OPEN = ApplicationState("open", "申报中")
UPCOMING = ApplicationState("upcoming", "未开始申报")
CLOSED = ApplicationState("closed", "申报已截止")
ROLLING = ApplicationState("rolling", "常年受理")


def application_state(policy: Policy, *, today: date) -> ApplicationState:
    if policy.status == PolicyStatus.withdrawn:
        return WITHDRAWN
    if policy.status == PolicyStatus.expired or (policy.expiry_date is not None and policy.expiry_date < today):
        return EXPIRED
    if policy.apply_start is not None and today < policy.apply_start:
        return UPCOMING
    if policy.apply_end is not None and today > policy.apply_end:
        return CLOSED
    if policy.apply_start is None and policy.apply_end is None:
        return ROLLING
    return OPEN


def support_label(policy: Policy) -> str:
    try:
        return SupportType(policy.support_type).label
    except ValueError:
        return str(policy.support_type)


def _wan(amount: Decimal) -> str:
    text = f"{amount.normalize():f}"
    return f"{text}万元"


def amount_text(policy: Policy) -> str:
    """'最高200万元', '10万元–50万元', '' when no amount is given."""
    low, high = policy.amount_min, policy.amount_max
    if low is not None and high is not None:
        return _wan(Decimal(high)) if low == high else f"{_wan(Decimal(low))}–{_wan(Decimal(high))}"
    if high is not None:
        return f"最高{_wan(Decimal(high))}"
    if low is not None:
        return f"{_wan(Decimal(low))}起"
    return ""
