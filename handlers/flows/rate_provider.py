"""Rating a completed service in chat: (which engagement) → stars → dimensions → comment → confirm.

Started by 评价 (keyword) or the rating prompt a follower receives when an engagement
completes (`app.engagement.notices`). The rules — who may rate, once, scores 1–5, the
comment's length and content check — are `app.engagement.ratings.rate`'s, shared with the
mini-program and the H5 page; this flow asks the questions and re-asks with a clear reason.

* **Which engagement**: the follower's completed, unrated engagements are read once when
  the flow starts (hidden answer `_candidates`): several → a numbered choice, one → used.
* **Dimensions** in one line ("5 4 5 5", in the order 专业能力 响应速度 服务态度 收费合理),
  or 跳过; the comment is optional too (跳过).
* **Exactly once**: the rating's idempotency key is made from the conversation's token, so
  completing the same conversation again (a retried confirmation) returns the rating
  already stored instead of failing or rating twice.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from typing import Any

from app.conversation import Abort, Flow, FlowContext, Invalid, Step, flow
from app.engagement import ratings
from app.engagement.models import EngagementChannel
from app.engagement.queries import unrated_for_user
from app.identity import followers
from app.provider.errors import ProviderError
from handlers.context import Context
from handlers.conversation import start_flow

__all__ = ["FLOW", "NOTHING_TO_RATE", "RateProvider", "start_rating"]

FLOW = "rate_provider"
CANDIDATES = "_candidates"
NOTHING_TO_RATE = (
    "您目前没有待评价的服务。\n服务机构交付、贵企业确认完成后，即可回复“评价”为服务打分。"
)
STARS = {1: "★☆☆☆☆ 很差", 2: "★★☆☆☆ 较差", 3: "★★★☆☆ 一般", 4: "★★★★☆ 满意", 5: "★★★★★ 非常满意"}


def _candidates(answers: Any) -> list[dict[str, Any]]:
    return list(answers.get(CANDIDATES) or [])


def _chosen(answers: Any) -> dict[str, Any]:
    return answers.get("engagement") or {}


def _engagement_prompt(answers: Any) -> str:
    lines = "\n".join(f"{n}. {c['provider']}｜{c['product']}" for n, c in enumerate(_candidates(answers), 1))
    return f"您有多项已完成的服务待评价，请选择要评价的一项（回复数字）：\n{lines}"


def pick_engagement(text: str, answers: Any) -> dict[str, Any]:
    candidates = _candidates(answers)
    if text.isdigit() and 1 <= int(text) <= len(candidates):
        return candidates[int(text) - 1]
    raise Invalid(f"请回复服务前的数字（1-{len(candidates)}）。")


def _overall_prompt(answers: Any) -> str:
    chosen = _chosen(answers)
    return (f"请为「{chosen.get('provider', '')}」提供的「{chosen.get('product', '')}」打分：\n"
            "回复 1 到 5 的数字（5 分最好，1 分最差）。")


def read_stars(text: str, answers: Any) -> int:
    cleaned = unicodedata.normalize("NFKC", text).strip().rstrip("分星颗")
    if cleaned.isdigit() and 1 <= int(cleaned) <= 5:
        return int(cleaned)
    raise Invalid("请回复 1 到 5 之间的一个数字，例如“5”表示非常满意。")


def read_dimensions(text: str, answers: Any) -> dict[str, int]:
    cleaned = unicodedata.normalize("NFKC", text).strip()
    parts = [p for p in re.split(r"[\s,，、/]+", cleaned) if p]
    if len(parts) == 1 and len(parts[0]) == len(ratings.DIMENSIONS) and parts[0].isdigit():
        parts = list(parts[0])
    if len(parts) != len(ratings.DIMENSIONS) or not all(p.isdigit() and 1 <= int(p) <= 5 for p in parts):
        raise Invalid(f"请按顺序回复 {len(ratings.DIMENSIONS)} 个 1–5 的数字，用空格隔开，例如“5 4 5 5”；不想细分请回复“跳过”。")
    return dict(zip(ratings.DIMENSIONS, (int(p) for p in parts), strict=True))


def _dimensions_prompt(answers: Any) -> str:
    return (f"请依次为 {'、'.join(ratings.DIMENSIONS)} 打分（每项 1–5），用空格隔开，例如“5 4 5 5”。")


def _confirm_prompt(answers: Any) -> str:
    chosen = _chosen(answers)
    dimensions = answers.get("dimensions")
    dims = "，".join(f"{k}{v}" for k, v in dimensions.items()) if dimensions else "未填写"
    comment = answers.get("comment") or "未填写"
    return (
        "请核对您的评价：\n"
        f"· 服务：{chosen.get('provider', '')}｜{chosen.get('product', '')}\n"
        f"· 总体：{STARS[answers['overall']]}\n"
        f"· 分项：{dims}\n"
        f"· 评语：{comment if len(comment) <= 60 else comment[:60] + '…'}"
    )


@flow(FLOW)
class RateProvider(Flow):
    title = "服务评价"
    intro = "感谢您使用专业服务。每项服务只能评价一次，评价将计入服务机构的信用评分。"
    steps = (
        Step("engagement", _engagement_prompt, validate=pick_engagement, when=lambda a: len(_candidates(a)) > 1),
        Step("overall", _overall_prompt, validate=read_stars, max_attempts=5),
        Step("dimensions", _dimensions_prompt, validate=read_dimensions, optional=True),
        Step("comment", f"还有什么想说的吗？请输入评语（{ratings.COMMENT_LIMIT}字以内）。",
             optional=True, verbatim=True, max_length=ratings.COMMENT_LIMIT),
        Step("confirm", _confirm_prompt, confirm=True),
    )

    def describe(self, step: Step, value: Any) -> str:
        if step.key == "engagement" and value:
            return f"{value['provider']}｜{value['product']}"
        if step.key == "overall" and value:
            return STARS[value]
        if step.key == "dimensions":
            return "，".join(f"{k}{v}" for k, v in value.items()) if value else "（跳过）"
        return super().describe(step, value)

    async def complete(self, answers: dict[str, Any], ctx: FlowContext) -> str:
        handler_ctx: Context = ctx.deps
        user = await followers.ensure_user(follower=handler_ctx.follower)
        chosen = _chosen(answers)
        token = ctx.data.get("token") or ""
        try:
            result = await ratings.rate(
                engagement_id=int(chosen["id"]), user=user, overall=answers["overall"],
                dimensions=answers.get("dimensions") or None, comment=answers.get("comment") or "",
                channel=EngagementChannel.chat, idempotency_key=f"oa:{ctx.subject}:{token}"[:128] if token else None,
                miniprogram=handler_ctx.resources.miniprogram,
            )
        except ProviderError as refused:
            if refused.field == "comment":
                raise Invalid(refused.message, step="comment") from None
            raise Abort(f"{refused.message}。评价未提交。") from None
        thanks = f"感谢您的评价！您为「{chosen['provider']}」打了 {result.rating.overall} 分。"
        if result.held:
            return f"{thanks}\n评语正在审核中，审核通过后计入评分并展示。"
        return f"{thanks}\n您的评价已计入该机构的信用评分。"


async def start_rating(ctx: Context, *, engagement_id: int | None = None) -> str:
    """Open the rating flow with the follower's unrated completed engagements (one chosen
    already when `engagement_id` names one of them)."""
    if ctx.follower is None or ctx.follower.user_id is None:
        return NOTHING_TO_RATE
    user = await followers.ensure_user(follower=ctx.follower)
    candidates = []
    for summary in await unrated_for_user(user=user):
        try:
            await ratings.refuse_unless_rateable(engagement_id=summary.id, user=user)
        except ProviderError:
            continue  # e.g. the follower is a member of that provider
        candidates.append({"id": summary.id, "provider": summary.provider_name, "product": summary.product_name})
    if engagement_id is not None:
        candidates = [c for c in candidates if c["id"] == engagement_id] or candidates
    if not candidates:
        return NOTHING_TO_RATE
    prefill: dict[str, Any] = {CANDIDATES: candidates}
    if len(candidates) == 1:
        prefill["engagement"] = candidates[0]
    return await start_flow(ctx, FLOW, data={"token": secrets.token_hex(16)}, prefill=prefill)
