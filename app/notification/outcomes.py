"""What an outbox handler makes of WeChat's answer to a notice: sent, retry later, or failed.

Shared by every domain's notices (appeals, engagements, providers, activities), so a quota
or a token problem makes each of them wait and retry the same way instead of losing the
message.
"""

from __future__ import annotations

from datetime import timedelta

from app.notification.service import SendOutcome
from app.outbox.delivery import RetryLater
from app.wechat.errors import WeChatCredentialError, WeChatQuotaError, WeChatTokenError, exception_for

__all__ = ["QUOTA_RETRY", "outcome_result", "raise_if_transient"]

QUOTA_RETRY = timedelta(hours=1)
"""A daily or per-user quota is not lifted by retrying within minutes."""


def raise_if_transient(outcome: SendOutcome) -> None:
    """RetryLater for refusals that may pass later: WeChat busy, a quota, and token or
    credential trouble an operator fixes (the notice waits instead of being lost)."""
    error = exception_for(int(outcome.errcode or 0), outcome.errmsg)
    if isinstance(error, WeChatQuotaError):
        raise RetryLater(f"quota {outcome.errcode}", delay=QUOTA_RETRY)
    if error.retryable or isinstance(error, (WeChatTokenError, WeChatCredentialError)):
        raise RetryLater(f"errcode {outcome.errcode}")


def outcome_result(outcome: SendOutcome, label: str) -> str:
    """`sent:<label>`, or RetryLater for what may succeed later, or `failed:<errcode>:<label>`."""
    if outcome.ok:
        return f"sent:{label}"
    raise_if_transient(outcome)
    return f"failed:{outcome.errcode}:{label}"
