"""Official-account chat for surveys: the menu 营商环境评估 and the keywords open the
follower's surveys (`handlers.flows.survey_answer`); 不参加调查 declines one.

* Menu key `survey` and 问卷 / 调查 / 填写问卷 / 营商环境评估 / 营商环境调查: none to answer →
  why (bind your enterprise, or not sampled); one → its questions, resumed where the
  follower left off; several → a numbered list.
* 不参加调查 while answering (caught before the answer is read, so it is never taken for an
  answer) or as a keyword: confirm, then refusal and no more reminders.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from handlers.context import Context
from handlers.conversation import FLOW_PRIORITY
from handlers.flows.survey_answer import CHOOSE_FLOW, DECLINE_WORDS, FLOW, start_decline, start_survey
from handlers.router import PASS, router

__all__ = ["decline_while_answering"]

_DECLINE = re.compile(f"^({'|'.join(map(re.escape, DECLINE_WORDS))})[。.!！]?$")


@router.click("survey")
async def survey_clicked(ctx: Context) -> str:
    return await start_survey(ctx)


@router.keyword(r"^(问卷|调查|填写问卷|问卷调查|营商环境评估|营商环境调查|满意度调查|我的问卷)$", priority=10)
async def survey_keyword(ctx: Context) -> str:
    return await start_survey(ctx)


@router.keyword(r"^(不参加调查|不参加本次调查|不参加问卷|不参与调查|拒绝调查)[。.!！]?$", priority=10)
async def decline_keyword(ctx: Context) -> str:
    return await start_decline(ctx)


@router.interceptor(priority=FLOW_PRIORITY + 10)
async def decline_while_answering(ctx: Context) -> Any:
    """不参加调查 in the middle of the questions: the survey being answered is the one declined."""
    inbound = ctx.inbound
    if inbound.is_event or not inbound.is_text:
        return PASS
    if not _DECLINE.match(unicodedata.normalize("NFKC", ctx.text or "").strip()):
        return PASS
    state = await ctx.engine.current(subject=ctx.openid)
    if state is None or state.flow not in (FLOW, CHOOSE_FLOW):
        return PASS
    if state.flow == CHOOSE_FLOW:
        return await start_decline(ctx)  # which one: the only one, or "choose one first"
    return await start_decline(ctx, data=state.data)
