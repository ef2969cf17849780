"""The subscribe-grant ledger: grants come in from WeChat's events and the mini-program,
and go out one message at a time.

Why a ledger: WeChat answers 43101 when a subscribe message has no grant behind it, and a
push that meets 43101 has already spent an API call and quota on nothing. Knowing the
balance beforehand turns that into a local refusal.

Rules, as WeChat applies them:

* A one-time grant (the user tapped 允许 on a subscribe popup) allows one message. Grants
  add up: three popups accepted, three messages.
* A long-term subscription (templates WeChat reserves for public services such as
  政务民生) allows any number of messages until the user turns it off. Whether a template
  is long-term is a property of the template: the definition in `templates_msg` says so.
* Turning a template off in WeChat's settings (`subscribe_msg_change_event` reject, or
  `ban` from the mini-program) withdraws everything; a popup declined (`reject`) only
  adds nothing.

Spending is one conditional UPDATE (`... SET remaining = remaining - 1 WHERE remaining > 0`),
atomic on SQLite and PostgreSQL alike, so any number of workers in any number of
processes never spend a grant twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

import templates_msg
from app.notification.models import GrantChannel, SubscribeGrant
from templates_msg.base import Channel

if TYPE_CHECKING:
    from app.config import Settings

__all__ = [
    "DECISIONS",
    "GrantBalance",
    "GrantClaim",
    "GrantError",
    "available_grants",
    "grant_balances",
    "record_grants",
    "record_miniprogram_grants",
    "record_official_account_event",
    "refund_grant",
    "revoke_grants",
    "spend_grant",
]

DECISIONS = frozenset({"accept", "reject", "ban", "filter"})
"""What `wx.requestSubscribeMessage` and the official account's events report per template."""
Source = Literal["popup", "change"]


class GrantError(ValueError):
    """Grant input that cannot be recorded (unknown decision, empty template id)."""


@dataclass(frozen=True)
class GrantBalance:
    remaining: int = 0
    long_term: bool = False

    @property
    def can_send(self) -> bool:
        return self.long_term or self.remaining > 0


@dataclass(frozen=True)
class GrantClaim:
    """One grant taken for one message (give it back with `refund_grant` if WeChat refused)."""

    channel: GrantChannel
    openid: str
    template_id: str
    long_term: bool


def _now() -> datetime:
    return datetime.now(UTC)


def _rows(channel: GrantChannel, openid: str, template_id: str):
    return SubscribeGrant.filter(channel=channel, openid=openid, template_id=template_id)


async def _ensure_row(channel: GrantChannel, openid: str, template_id: str) -> int:
    """The ledger row's id, created if missing (safe against a concurrent creator)."""
    found = await _rows(channel, openid, template_id).values_list("id", flat=True)
    if found:
        return found[0]
    try:
        async with in_transaction():  # a savepoint when nested, so a lost race leaves the caller usable
            row = await SubscribeGrant.create(channel=channel, openid=openid, template_id=template_id)
        return row.id
    except IntegrityError:
        return (await _rows(channel, openid, template_id).get()).id


def _is_long_term(template_id: str, channel: GrantChannel, settings: Settings) -> bool:
    definition = templates_msg.find_by_template_id(template_id, settings=settings, channel=Channel(channel.value))
    return bool(definition and definition.long_term)


async def record_grants(
    *,
    channel: GrantChannel,
    openid: str,
    decisions: Mapping[str, str] | Iterable[tuple[str, str]],
    settings: Settings,
    source: Source = "popup",
) -> dict[str, GrantBalance]:
    """Apply the user's decisions (`{template_id: accept|reject|ban|filter}`) to the ledger.

    `source` is "popup" for a subscribe popup (official-account event or the
    mini-program's `wx.requestSubscribeMessage`) and "change" for a change in WeChat's
    settings (`subscribe_msg_change_event`). Returns the new balance per template.
    """
    items = list(decisions.items() if isinstance(decisions, Mapping) else decisions)
    for template_id, decision in items:
        if not template_id or not isinstance(template_id, str):
            raise GrantError("template id must be a non-empty string")
        if str(decision).lower() not in DECISIONS:
            raise GrantError(f"unknown decision {decision!r} for {template_id}: expected {sorted(DECISIONS)}")
    balances: dict[str, GrantBalance] = {}
    for template_id, decision in items:
        decision = str(decision).lower()
        now = _now()
        async with in_transaction():
            row_id = await _ensure_row(channel, openid, template_id)
            row = SubscribeGrant.filter(id=row_id)
            long_term = _is_long_term(template_id, channel, settings)
            if decision == "accept" and long_term:
                await row.update(
                    long_term=True, last_decision=decision, granted_total=F("granted_total") + 1,
                    last_granted_at=now, updated_at=now,
                )
            elif decision == "accept" and source == "popup":
                await row.update(
                    remaining=F("remaining") + 1, last_decision=decision, granted_total=F("granted_total") + 1,
                    last_granted_at=now, updated_at=now,
                )
            elif decision == "ban" or (decision == "reject" and (source == "change" or long_term)):
                await row.update(remaining=0, long_term=False, last_decision=decision, updated_at=now)
            else:  # a declined popup or a filtered template adds nothing and takes nothing
                await row.update(last_decision=decision, updated_at=now)
        balances[template_id] = await available_grants(channel=channel, openid=openid, template_id=template_id)
    return balances


async def record_miniprogram_grants(
    *, openid: str, results: Mapping[str, str], settings: Settings
) -> dict[str, GrantBalance]:
    """The result of `wx.requestSubscribeMessage` in the mini-program, as the page received
    it (`{template_id: "accept"|"reject"|"ban"|"filter", "errMsg": ...}`); `errMsg` is ignored."""
    decisions = {key: value for key, value in results.items() if key != "errMsg"}
    return await record_grants(
        channel=GrantChannel.miniprogram, openid=openid, decisions=decisions, settings=settings, source="popup"
    )


async def record_official_account_event(
    *, openid: str, event: str, items: Iterable[Mapping[str, str]], settings: Settings
) -> dict[str, GrantBalance]:
    """An official-account subscribe-notification event: `subscribe_msg_popup_event` (the
    user answered a popup), `subscribe_msg_change_event` (changed it in settings) or
    `subscribe_msg_sent_event` (WeChat's report on a bizsend; 43101 there means the
    ledger was wrong and the grant is gone)."""
    event = event.lower()
    items = [item for item in items if item.get("TemplateId")]
    if event == "subscribe_msg_sent_event":
        for item in items:
            if str(item.get("ErrorCode", "0")) == "43101":
                await revoke_grants(channel=GrantChannel.official_account, openid=openid,
                                    template_id=item["TemplateId"])
        return {}
    source: Source = "change" if event == "subscribe_msg_change_event" else "popup"
    decisions = [
        (item["TemplateId"], str(item.get("SubscribeStatusString", "")).lower())
        for item in items
        if str(item.get("SubscribeStatusString", "")).lower() in DECISIONS
    ]
    return await record_grants(
        channel=GrantChannel.official_account, openid=openid, decisions=decisions, settings=settings, source=source
    )


async def available_grants(*, channel: GrantChannel, openid: str, template_id: str) -> GrantBalance:
    """What the user allows us to send with this template now."""
    rows = await _rows(channel, openid, template_id).values("remaining", "long_term")
    if not rows:
        return GrantBalance()
    return GrantBalance(remaining=rows[0]["remaining"], long_term=bool(rows[0]["long_term"]))


async def grant_balances(*, channel: GrantChannel, openid: str) -> dict[str, GrantBalance]:
    """Every template the user has a ledger row for (e.g. for the mini-program to decide
    which templates to ask for again)."""
    rows = await SubscribeGrant.filter(channel=channel, openid=openid).values("template_id", "remaining", "long_term")
    return {r["template_id"]: GrantBalance(remaining=r["remaining"], long_term=bool(r["long_term"])) for r in rows}


async def spend_grant(*, channel: GrantChannel, openid: str, template_id: str) -> GrantClaim | None:
    """Take one grant for one message, or None when there is none (do not send then).

    A long-term subscription is used without being used up; otherwise one one-time grant
    is taken by a single conditional UPDATE, so concurrent senders never take the same one.
    """
    now = _now()
    rows = _rows(channel, openid, template_id)
    if await rows.filter(long_term=True).update(spent_total=F("spent_total") + 1, last_spent_at=now, updated_at=now):
        return GrantClaim(channel=channel, openid=openid, template_id=template_id, long_term=True)
    taken = await rows.filter(remaining__gt=0).update(
        remaining=F("remaining") - 1, spent_total=F("spent_total") + 1, last_spent_at=now, updated_at=now
    )
    if taken:
        return GrantClaim(channel=channel, openid=openid, template_id=template_id, long_term=False)
    return None


async def refund_grant(claim: GrantClaim) -> None:
    """Give back a grant WeChat did not use (it refused the message for another reason)."""
    rows = _rows(claim.channel, claim.openid, claim.template_id)
    if claim.long_term:
        await rows.update(spent_total=F("spent_total") - 1, updated_at=_now())
    else:
        await rows.update(remaining=F("remaining") + 1, spent_total=F("spent_total") - 1, updated_at=_now())


async def revoke_grants(*, channel: GrantChannel, openid: str, template_id: str) -> None:
    """WeChat says there is no grant (43101): believe it, until the user grants again."""
    await _rows(channel, openid, template_id).update(remaining=0, long_term=False, updated_at=_now())
