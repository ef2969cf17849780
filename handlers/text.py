"""Text messages: the built-in keywords and the answer when nothing else matched."""

from __future__ import annotations

from handlers import texts
from handlers.context import Context
from handlers.flows.bind_enterprise import start_binding
from handlers.inbound import TYPE_NAMES
from handlers.policy_chat import answer_search
from handlers.router import router

__all__: list[str] = []


@router.keyword(r"^(绑定|绑定企业|企业绑定)$", priority=10)
async def bind_keyword(ctx: Context) -> str:
    return await start_binding(ctx)


@router.keyword(r"^(帮助|help|菜单|menu|\?|？|你好|您好|hi|hello)$", priority=0)
async def help_keyword(ctx: Context) -> str:
    return texts.HELP


@router.keyword(r"^继续$", priority=-10)
async def nothing_to_continue(ctx: Context) -> str:
    """继续 with no paused flow (a paused one is picked up by the conversation engine first)."""
    return texts.NOTHING_TO_CONTINUE


@router.message("text")
async def unmatched_text(ctx: Context):
    """Text nothing else claimed is read as a policy search: what enterprises ask most."""
    return await answer_search(ctx, ctx.text)


@router.fallback("message")
async def any_other_message(ctx: Context) -> str:
    """Images, voice, links, and types WeChat adds later: a friendly pointer, never an error."""
    kind = TYPE_NAMES.get(ctx.inbound.msg_type, "消息")
    return texts.UNSUPPORTED_TYPE.format(kind=kind)


@router.fallback("event")
async def any_other_event(ctx: Context) -> None:
    """Events nobody handles need no answer (WeChat ignores replies to most of them)."""
    return None
