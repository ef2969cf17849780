"""Filing an appeal (企业诉求) in chat: category → description → photos → enterprise → confirm.

The rules (what a valid appeal is, who dispatches it, deadlines, the content check,
idempotency) belong to `app.appeal.service.submit_appeal`, shared with every other
channel; this flow asks the questions and turns the service's refusals into the right
question again.

* **Photos** arrive as image messages while the photos step is open (the engine hands
  non-text messages to a step that takes them, `Step.media`); each one's PicUrl and
  MediaId are kept, up to the service's attachment limit, and 完成 / 跳过 moves on.
* **Which enterprise**: the follower's active bindings decide, read once when the flow
  starts (kept as the hidden answer `_bound`): several → a numbered choice, one → used
  without asking, none → the enterprise's name, optional.
* **Exactly once**: the flow is started with a random token; the appeal's idempotency
  key is made from it, so running `complete` again (a retried confirmation that got past
  the callback's de-duplication, a reply lost after the commit) returns the appeal
  already filed instead of filing another.
* **Content check**: the text goes through WeChat's check first; content that needs a
  human is filed as held (the follower is told it is being reviewed), never refused.
"""

from __future__ import annotations

import html
import secrets
import unicodedata
from datetime import datetime
from typing import Any

from app.appeal.calendar import SHANGHAI
from app.appeal.categories import category_choices, deadlines_for, get_category
from app.appeal.errors import AppealError
from app.appeal.models import Appeal, AppealChannel, AppealStatus
from app.appeal.service import (
    DESCRIPTION_LIMIT,
    DESCRIPTION_MIN,
    MAX_ATTACHMENTS,
    AppealDraft,
    IncomingFile,
    submit_appeal,
)
from app.appeal.checks import TextCheck
from app.conversation import CANCEL_CHOICE, Abort, Choice, Collected, Flow, FlowContext, Invalid, Media, Step, flow
from app.identity import followers
from app.identity.service import active_bindings
from handlers.context import Context
from handlers.conversation import start_flow

__all__ = ["FLOW", "FileAppeal", "appeal_url", "appeals_url", "start_filing"]

FLOW = "file_appeal"
PHOTO_LIMIT = MAX_ATTACHMENTS
ENTERPRISE_NAME_LIMIT = 100
SUMMARY_CHARS = 100
DONE_WORDS = frozenset({"完成", "好了", "好", "发完了", "没有了", "跳过", "无", "没有", "不需要", "不用"})
BOUND = "_bound"
"""Hidden answer: the follower's bound enterprises when the flow started, [{id, name}]."""

# The service's refusal (its `field`) -> the step whose answer it refused.
_REASK_STEP = {"category": "category", "description": "description", "title": "description"}


def _choices() -> tuple[Choice, ...]:
    """Every category, its hint shown; the number, the name or the code is accepted."""
    return tuple(
        Choice(code, f"{label}（{get_category(code).hint}）", aliases=(label, code)) for code, label in category_choices()
    )


def check_description(text: str, answers: Any) -> str:
    if len(text) < DESCRIPTION_MIN:
        raise Invalid(f"描述太简短了，请至少写{DESCRIPTION_MIN}个字：遇到了什么问题、希望得到什么帮助。")
    return text


def add_photo(media: Media, answers: Any) -> Collected:
    """One image message: kept by reference (PicUrl and MediaId), at most PHOTO_LIMIT."""
    photos = list(answers.get("photos") or [])
    if len(photos) >= PHOTO_LIMIT:
        raise Invalid(f"最多可以上传{PHOTO_LIMIT}张照片，这张没有收下。")
    url = media.fields.get("PicUrl", "")
    media_id = media.fields.get("MediaId", "")
    if not url and not media_id:
        raise Invalid("这张照片没有收到，请重新发送。")
    photos.append({"url": url, "media_id": media_id})
    more = f"还可以继续发送（最多{PHOTO_LIMIT}张），" if len(photos) < PHOTO_LIMIT else "照片数量已达上限，"
    return Collected(photos, f"已收到第{len(photos)}张照片。{more}发送完毕请回复“完成”。")


def finish_photos(text: str, answers: Any) -> list[dict[str, str]]:
    if text in DONE_WORDS:
        return list(answers.get("photos") or [])
    raise Invalid("请直接发送照片；发送完毕请回复“完成”，不需要照片请回复“跳过”。")


def _photos_prompt(answers: Any) -> str:
    return (
        f"如有现场照片或材料照片，请直接发送（最多{PHOTO_LIMIT}张）。\n"
        "发送完毕请回复“完成”；没有照片请回复“跳过”。"
    )


def _bound(answers: Any) -> list[dict[str, Any]]:
    return list(answers.get(BOUND) or [])


def _enterprise_prompt(answers: Any) -> str:
    numbered = "\n".join(f"{number}. {item['name']}" for number, item in enumerate(_bound(answers), 1))
    return f"您绑定了多家企业，这个诉求涉及哪一家？\n{numbered}"


def pick_enterprise(text: str, answers: Any) -> dict[str, Any]:
    bound = _bound(answers)
    if text.isdigit() and 1 <= int(text) <= len(bound):
        return bound[int(text) - 1]
    for item in bound:
        if text == item["name"]:
            return item
    raise Invalid(f"请回复企业前的数字（1-{len(bound)}）。")


def check_enterprise_name(text: str, answers: Any) -> dict[str, Any]:
    name = unicodedata.normalize("NFKC", text).strip()
    if len(name) > ENTERPRISE_NAME_LIMIT:
        raise Invalid(f"企业名称不能超过{ENTERPRISE_NAME_LIMIT}个字。")
    return {"id": None, "name": name}


def _enterprise_of(answers: Any) -> dict[str, Any] | None:
    return answers.get("enterprise") or answers.get("enterprise_name")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def _confirm_prompt(answers: Any) -> str:
    enterprise = _enterprise_of(answers)
    return (
        "请核对您的诉求：\n"
        f"· 类别：{get_category(answers['category']).label}\n"
        f"· 描述：{_cut(answers['description'], SUMMARY_CHARS)}\n"
        f"· 照片：{len(answers.get('photos') or [])} 张\n"
        f"· 企业：{enterprise['name'] if enterprise else '未填写'}"
    )


@flow(FLOW)
class FileAppeal(Flow):
    title = "反映诉求"
    intro = "您反映的问题会由市企业服务协调办公室受理，分派给负责的部门办理，办理结果请您确认和评价。"
    steps = (
        Step("category", "请选择诉求类别（回复数字或类别名称）：", choices=_choices()),
        Step(
            "description",
            "请描述您遇到的问题和希望得到的帮助（时间、地点、涉及的部门或事项越具体，办理越快）：",
            validate=check_description,
            max_length=DESCRIPTION_LIMIT,
            verbatim=True,
        ),
        Step("photos", _photos_prompt, validate=finish_photos, media=("image",), collect=add_photo),
        Step(
            "enterprise",
            _enterprise_prompt,
            validate=pick_enterprise,
            when=lambda answers: len(_bound(answers)) > 1,
        ),
        Step(
            "enterprise_name",
            "请输入诉求涉及的企业名称：",
            validate=check_enterprise_name,
            optional=True,
            when=lambda answers: not _bound(answers),
        ),
        Step(
            "confirm",
            _confirm_prompt,
            confirm=True,
            choices=(
                Choice("yes", "确认提交", ("确认", "确定", "提交", "是")),
                Choice("description", "修改描述", ("修改",)),
                Choice(CANCEL_CHOICE, "取消"),
            ),
        ),
    )

    def describe(self, step: Step, value: Any) -> str:
        if step.key == "category" and value is not None:
            return get_category(value).label
        if step.key == "description" and value is not None:
            return _cut(value, 30)
        if step.key == "photos":
            return f"照片 {len(value or [])} 张"
        if step.key in ("enterprise", "enterprise_name"):
            return value["name"] if value else "（跳过）"
        return super().describe(step, value)

    async def complete(self, answers: dict[str, Any], ctx: FlowContext) -> str:
        handler_ctx: Context = ctx.deps
        user = await followers.ensure_user(follower=handler_ctx.follower)
        enterprise = _enterprise_of(answers) or {}
        draft = AppealDraft(
            channel=AppealChannel.official_account,
            category=answers["category"],
            description=answers["description"],
            user=user,
            enterprise_id=enterprise.get("id"),
            enterprise_name=enterprise.get("name") or "",
            idempotency_key=_idempotency_key(ctx),
            files=tuple(
                IncomingFile(url=photo["url"], media_id=photo["media_id"], filename="chat-photo.jpg")
                for photo in answers.get("photos") or []
            ),
        )
        try:
            result = await submit_appeal(
                draft=draft, settings=handler_ctx.settings, check_text=TextCheck(handler_ctx.resources.miniprogram)
            )
        except AppealError as refused:
            step = _REASK_STEP.get(refused.field or "")
            if step is None:
                raise Abort(f"{refused.message}。诉求未提交，请稍后重新发起。") from None
            raise Invalid(refused.message, step=step) from None
        return submitted_text(handler_ctx, result.appeal)


def _idempotency_key(ctx: FlowContext) -> str | None:
    """One key per conversation (the token `start_filing` gave it): the same conversation
    completed twice files once, two conversations file two appeals."""
    token = ctx.data.get("token")
    return f"oa:{ctx.subject}:{token}"[:128] if token else None


def appeals_url(ctx: Context) -> str:
    return f"{ctx.settings.public_base_url.rstrip('/')}/h5/appeals"


def appeal_url(ctx: Context, appeal_id: int) -> str:
    return f"{appeals_url(ctx)}/{appeal_id}"


def _when(moment: datetime) -> str:
    local = moment.astimezone(SHANGHAI)
    day = f"{local.month}月{local.day}日"
    return day if (local.hour, local.minute) == (23, 59) else f"{day}{local:%H:%M}"  # end of day: the date says it


def submitted_text(ctx: Context, appeal: Appeal) -> str:
    """What the follower is told once the appeal is filed (or found filed already)."""
    link = f'<a href="{html.escape(appeal_url(ctx, appeal.id))}">查看诉求详情和办理进度</a>'
    head = f"您的诉求已提交，编号：{appeal.number}。"
    if AppealStatus(appeal.status) is AppealStatus.held:
        return f"{head}\n诉求内容正在审核中，审核通过后会尽快受理，请耐心等待。\n{link}"
    days = deadlines_for(appeal.category, ctx.settings).accept
    due = f"于{_when(appeal.accept_due_at)}前" if appeal.accept_due_at else ""
    return (
        f"{head}\n我们将{due}受理（受理时限{days}个工作日），受理后分派给承办单位办理，"
        f"办理进展会通过公众号消息通知您。\n{link}"
    )


async def start_filing(ctx: Context) -> str:
    """Open the filing flow, with the follower's bound enterprises read once."""
    bound: list[dict[str, Any]] = []
    if ctx.follower.user_id is not None:  # nobody to look up yet: the person is made on submit
        user = await followers.ensure_user(follower=ctx.follower)
        bound = [{"id": b.enterprise.id, "name": b.enterprise.name} for b in await active_bindings(user=user)]
    prefill: dict[str, Any] = {BOUND: bound}
    if len(bound) == 1:
        prefill["enterprise"] = bound[0]
    return await start_flow(ctx, FLOW, data={"token": secrets.token_hex(16)}, prefill=prefill)
