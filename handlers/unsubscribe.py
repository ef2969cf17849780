"""退订 in chat: a follower stops (and restarts) policy pushes by support type.

    退订              -> what they receive now, and how to stop a type or everything
    退订 资金补贴      -> no more 资金补贴 pushes (any support-type label or code)
    退订 全部          -> no more policy pushes at all
    恢复推送 [资金补贴] -> everything again, or one type again

The rules (what a mute covers, that running campaigns honour it at once) live in
`app.push.service`; this module only parses the text and words the answer.
"""

from __future__ import annotations

from app.policy.models import SupportType
from app.push import service as push_service
from app.push.service import PushSubscriptions
from handlers.context import Context
from handlers.router import router

__all__: list[str] = []

ALL_WORDS = frozenset({"全部", "所有", "全部推送", "所有推送", "all"})
TYPE_LABELS = "、".join(t.label for t in SupportType)

STATE_RECEIVING = "您目前接收以下类型的政策推送：{types}。"
STATE_MUTED = "已退订：{types}。"
STATE_ALL_MUTED = "您已退订全部政策推送。"
HOW_TO_MUTE = "回复“退订 类型”停止该类推送，例如“退订 资金补贴”；回复“退订 全部”停止全部政策推送。"
HOW_TO_UNMUTE = "回复“恢复推送”可恢复全部推送，或回复“恢复推送 资金补贴”只恢复一类。"
MUTED_ONE = "已为您退订“{label}”类政策推送。"
MUTED_ALL = "已为您退订全部政策推送，今后不再收到政策推送消息。"
UNMUTED_ONE = "已为您恢复“{label}”类政策推送。"
UNMUTED_ALL = "已为您恢复全部政策推送。"
UNKNOWN_TYPE = "没有“{text}”这一政策类型。可选类型：" + TYPE_LABELS + "，或“全部”。"


class _Unknown(Exception):
    pass


def _support_type(text: str) -> SupportType | None:
    """None for 全部, the SupportType of a label or code; _Unknown otherwise."""
    word = text.strip()
    if word.lower() in ALL_WORDS:
        return None
    try:
        return SupportType.from_label_or_code(word)  # type: ignore[return-value]
    except ValueError:
        raise _Unknown(word) from None


def _state(subscriptions: PushSubscriptions) -> str:
    if subscriptions.all_muted:
        return f"{STATE_ALL_MUTED}\n{HOW_TO_UNMUTE}"
    lines = [STATE_RECEIVING.format(types="、".join(t.label for t in subscriptions.receiving))]
    if subscriptions.muted:
        lines.append(STATE_MUTED.format(types="、".join(t.label for t in subscriptions.muted)))
    lines.append(HOW_TO_MUTE)
    if subscriptions.muted:
        lines.append(HOW_TO_UNMUTE)
    return "\n".join(lines)


@router.keyword(r"^\s*退订\s*(.*)$", priority=20)
async def unsubscribe_keyword(ctx: Context) -> str:
    assert ctx.match is not None
    wanted = ctx.match.group(1).strip()
    if not wanted:
        return _state(await push_service.push_subscriptions(follower=ctx.follower))
    try:
        support_type = _support_type(wanted)
    except _Unknown:
        return UNKNOWN_TYPE.format(text=wanted)
    state = await push_service.mute_support_type(follower=ctx.follower, support_type=support_type)
    done = MUTED_ALL if support_type is None else MUTED_ONE.format(label=support_type.label)
    return f"{done}\n{_state(state)}"


@router.keyword(r"^\s*(?:恢复推送|取消退订)\s*(.*)$", priority=20)
async def resubscribe_keyword(ctx: Context) -> str:
    assert ctx.match is not None
    wanted = ctx.match.group(1).strip()
    try:
        support_type = _support_type(wanted) if wanted else None
    except _Unknown:
        return UNKNOWN_TYPE.format(text=wanted)
    state = await push_service.unmute_support_type(follower=ctx.follower, support_type=support_type)
    done = UNMUTED_ALL if support_type is None else UNMUTED_ONE.format(label=support_type.label)
    return f"{done}\n{_state(state)}"
