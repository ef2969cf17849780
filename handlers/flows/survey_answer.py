"""Answering a survey in chat, question by question, on the conversation engine.

Opened by the menu 营商环境评估 (`survey`) or a keyword (`handlers.survey_chat`). The steps
are the questionnaire version the respondent answers, built per conversation
(`Flow.prepare`) from the questionnaire id kept in the conversation's data, so a version
published meanwhile never changes the questions under a follower half-way through.

* **Reading.** Every reply is read by `app.survey.definition.read_answer(by_number=True)`,
  the one reading the H5 page and the mini-program share: choices by their number ("2",
  "1 3"), scales by number, a matrix as one line of scores ("5 4 5"), numbers with or
  without their unit, text as the message. 跳过 answers an optional question with nothing;
  a required one says it must be answered.
* **Saved at once.** Each accepted answer is written to the draft through
  `app.survey.answering.save_answers(channel="chat")` (`Flow.answered`) before the next
  question, so the H5 page and the mini-program show it immediately and nothing is lost when
  the follower leaves (取消, or just stops): coming back (menu or keyword, any day) reloads
  the draft, with whatever was answered elsewhere meanwhile, and carries on at the first
  unanswered question.
* **The end.** A short summary, 修改N to change question N, 确认提交 →
  `answering.submit(channel="chat")` (once; a retried confirmation changes nothing).
* **Not taking part.** 不参加调查 (during the questions or as a keyword) asks to confirm, then
  `answering.decline`: refusal and no more reminders.
* **Several surveys** (or one survey for two bound enterprises): a numbered list first
  (`survey_choose`), whose choice hands over to the questions (`Then`).
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from app.conversation import Abort, Choice, Flow, FlowContext, Invalid, Step, Then, flow
from app.conversation.flows import CONFIRM_YES
from app.identity import followers
from app.identity.models import WeChatUser
from app.identity.service import active_bindings
from app.survey import answering
from app.survey import definition as defs
from app.survey.errors import AnswersInvalid, SurveyError
from handlers.context import Context
from handlers.conversation import start_flow

__all__ = [
    "CHOOSE_FLOW",
    "DECLINE_FLOW",
    "FLOW",
    "SUBMIT",
    "SurveyAnswerFlow",
    "SurveyChooseFlow",
    "START_HINT",
    "SurveyDeclineFlow",
    "start_decline",
    "start_survey",
    "survey_url",
]

FLOW = "survey_answer"
CHOOSE_FLOW = "survey_choose"
DECLINE_FLOW = "survey_decline"
SUBMIT = "_submit"
"""The confirmation's step key (question keys never start with "_")."""
CANDIDATES = "_candidates"
SUMMARY_LIMIT = 15
"""Above this many questions the confirmation counts the answers instead of listing them
(a passive text reply is at most 2048 bytes)."""
TITLE_CHARS = 10
ANSWER_CHARS = 16

NOT_BOUND = (
    "您还没有绑定企业，暂时没有需要填写的问卷。\n"
    "营商环境评估问卷由抽中的企业填写。如贵企业收到了调查邀请，请先点击菜单「企业服务」→「绑定企业」完成绑定，"
    "再点击「营商环境评估」作答。"
)
NOT_SAMPLED = (
    "您绑定的企业目前没有需要填写的问卷。\n"
    "营商环境评估每年从全市企业中随机抽样，被抽中的企业会收到邀请通知，届时点击菜单「营商环境评估」即可作答。感谢您的关注！"
)
LEFT = (
    "已暂停作答，已填写的内容都已保存。\n"
    "需要时回复“问卷”或点击菜单「营商环境评估」，即可从上次的位置继续（也可在网页或小程序中接着填写）。"
)
START_HINT = "请点击菜单「企业服务」→「营商环境评估」，或回复“问卷”，查看需要填写的问卷。"
DECLINE_WORDS = ("不参加", "不参加调查", "不参加本次调查", "不参加问卷", "不参与调查", "拒绝调查")


def survey_url(ctx: Context, survey_id: int) -> str:
    """The survey's H5 answer page (same draft as the chat)."""
    return f"{ctx.settings.public_base_url.rstrip('/')}/h5/surveys/{survey_id}"


def _clean(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").strip()


def _sentence(message: str) -> str:
    """A service's message as a sentence (its own full stop, or one added)."""
    return message if message.endswith(("。", "！", "？")) else f"{message}。"


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


# -- one question as a step ----------------------------------------------------------------------


def _scale_hint(scale: defs.Scale) -> str:
    ends = []
    if scale.min_label:
        ends.append(f"{scale.min}={scale.min_label}")
    if scale.max_label:
        ends.append(f"{scale.max}={scale.max_label}")
    return f"（{'，'.join(ends)}）" if ends else ""


def _number_text(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


def question_prompt(question: defs.Question) -> str:
    """A question as the chat asks it: the title, its options or rows, and how to reply."""
    lines = [question.title]
    if question.help:
        lines.append(question.help)
    kind = question.type
    scale = question.scale or defs.Scale()
    if kind in ("single", "multiple"):
        lines.extend(f"{number}. {option.label}" for number, option in enumerate(question.options, 1))
        if kind == "single":
            lines.append("请回复选项前的数字。")
        else:
            limits = []
            if question.min_choices:
                limits.append(f"至少选{question.min_choices}项")
            if question.max_choices:
                limits.append(f"最多选{question.max_choices}项")
            limit = f"（{'，'.join(limits)}）" if limits else ""
            lines.append(f"可多选{limit}，请回复选项前的数字，用空格隔开，如“1 3”。")
    elif kind == "rating":
        lines.append(f"请回复{scale.min}-{scale.max}的数字{_scale_hint(scale)}。")
    elif kind == "matrix":
        lines.extend(f"{number}. {row.label}" for number, row in enumerate(question.rows, 1))
        example = " ".join(str(scale.max if n % 2 == 0 else scale.max - 1) for n in range(len(question.rows)))
        lines.append(f"请按顺序为以上{len(question.rows)}项各打{scale.min}-{scale.max}分{_scale_hint(scale)}，"
                     f"用空格隔开，如“{example}”。")
    elif kind == "number":
        bounds = []
        if question.min is not None and question.max is not None:
            bounds.append(f"{_number_text(question.min)}-{_number_text(question.max)}")
        elif question.min is not None:
            bounds.append(f"不小于{_number_text(question.min)}")
        elif question.max is not None:
            bounds.append(f"不大于{_number_text(question.max)}")
        if question.unit:
            bounds.insert(0, f"单位：{question.unit}")
        detail = f"（{'，'.join(bounds)}）" if bounds else ""
        lines.append(f"请回复{'一个整数' if question.integer else '一个数字'}{detail}。")
    else:
        lines.append(f"请直接回复文字（{question.text_limit}字以内）。")
    return "\n".join(lines)


def _reader(question: defs.Question):
    def read(text: str, answers: Mapping[str, Any]) -> Any:
        if _clean(text) == "跳过":  # an optional question's 跳过 never gets here
            raise Invalid("本题为必答题，请作答。")
        try:
            value = defs.read_answer(question, text, by_number=True)
        except defs.AnswerInvalid as invalid:
            raise Invalid(_sentence(invalid.message)) from None
        if value is None:
            raise Invalid("没有收到内容哦。")
        return value

    return read


def _shown(definition: defs.Definition, key: str):
    def applies(answers: Mapping[str, Any]) -> bool:
        return any(question.key == key for question in defs.visible_questions(definition, answers))

    return applies


def build_steps(definition: defs.Definition) -> tuple[Step, ...]:
    """One step per question (skip logic as the step's condition), then the confirmation."""
    steps = [
        Step(
            question.key,
            question_prompt(question),
            validate=_reader(question),
            optional=not question.required,
            when=_shown(definition, question.key) if question.show_if is not None else None,
            verbatim=question.type in defs.TEXT_TYPES,
            max_length=max(question.text_limit, 200) + 20,
        )
        for question in definition.questions
    ]
    steps.append(
        Step(SUBMIT, _summary_prompt(definition), confirm=True, unmatched=_modifier(definition),
             choices=(Choice("yes", "确认提交", CONFIRM_YES),))
    )
    return tuple(steps)


def _summary_prompt(definition: defs.Definition):
    def prompt(answers: Mapping[str, Any]) -> str:
        visible = defs.visible_questions(definition, answers)
        answered = sum(1 for q in visible if defs.is_answered(q, answers))
        lines = [f"全部{len(visible)}题已答完（作答{answered}题），请核对："]
        if len(visible) <= SUMMARY_LIMIT:
            for number, question in enumerate(visible, 1):
                value = answers.get(question.key)
                shown = "（跳过）" if value is None else defs.answer_text(question, value)
                lines.append(f"第{number}题 {_short(question.title, TITLE_CHARS)}：{_short(shown, ANSWER_CHARS)}")
        lines.append("如需修改某题，请回复“修改”加题号，如“修改3”。")
        lines.append("确认无误请回复：")
        return "\n".join(lines)

    return prompt


_MODIFY = re.compile(r"^(?:修改|改|更改)\s*第?\s*(\d{1,3})\s*题?$")


def _modifier(definition: defs.Definition):
    def modify(text: str, answers: Mapping[str, Any]) -> str:
        visible = defs.visible_questions(definition, answers)
        found = _MODIFY.match(text)
        if found is None or not 1 <= int(found.group(1)) <= len(visible):
            raise Invalid(f"请回复“1”确认提交；如需修改，请回复“修改”加题号（1-{len(visible)}），如“修改3”。")
        return visible[int(found.group(1)) - 1].key

    return modify


# -- the flows -------------------------------------------------------------------------------------


async def _user(ctx: FlowContext) -> tuple[WeChatUser, Context]:
    handler_ctx: Context = ctx.deps
    return await followers.ensure_user(follower=handler_ctx.follower), handler_ctx


@flow(FLOW)
class SurveyAnswerFlow(Flow):
    """The questions of one questionnaire version for one respondent (data: survey_id,
    questionnaire_id, enterprise_id, title, intro)."""

    title = "问卷调查"
    idle_timeout = timedelta(minutes=30)
    resume_window = timedelta(days=7)
    farewell = LEFT

    definition: defs.Definition | None = None

    async def prepare(self, data: Mapping[str, Any]) -> None:
        if not data.get("questionnaire_id"):  # started without a survey (e.g. by an auto-reply rule)
            raise Abort(START_HINT)
        questionnaire = await answering.get_questionnaire(questionnaire_id=int(data["questionnaire_id"]))
        if questionnaire is None:
            raise Abort("该问卷已不存在，感谢您的关注。")
        self.definition = defs.load(questionnaire.definition)
        self.steps = build_steps(self.definition)
        self.title = str(data.get("title") or self.title)
        self.intro = str(data.get("intro") or "")

    def heading(self, step: Step, answers: Mapping[str, Any]) -> str:
        assert self.definition is not None
        if step.key == SUBMIT:
            return f"【{self.title}】"
        visible = defs.visible_questions(self.definition, answers)
        position = next((n for n, q in enumerate(visible, 1) if q.key == step.key), len(visible))
        return f"【{self.title}】第{position}/{len(visible)}题"

    def describe(self, step: Step, value: Any) -> str:
        if self.definition is not None and step.key != SUBMIT and value is not None:
            return defs.answer_text(self.definition.question(step.key), value)
        return super().describe(step, value)

    def summary(self, answers: Mapping[str, Any]) -> str:
        assert self.definition is not None
        answered, total = defs.progress(self.definition, answers)
        return f"· 已回答{answered}题（共{total}题）"

    async def answered(
        self, step: Step, value: Any, answers: Mapping[str, Any], ctx: FlowContext
    ) -> dict[str, Any]:
        """Save the answer to the shared draft now (the value is already read, so by value), and
        carry on from the draft as saved: questions answered meanwhile on the H5 page or in the
        mini-program are not asked again."""
        user, handler_ctx = await _user(ctx)
        try:
            view = await answering.save_answers(
                survey_id=int(ctx.data["survey_id"]), user=user, settings=handler_ctx.settings,
                answers={step.key: value}, channel="chat", enterprise_id=ctx.data.get("enterprise_id"),
            )
        except AnswersInvalid as invalid:
            raise Invalid(_sentence(invalid.errors.get(step.key, invalid.message))) from None
        except SurveyError as refused:
            raise Abort(_sentence(refused.message)) from None
        if view.questionnaire.id != int(ctx.data["questionnaire_id"]):
            raise Abort("问卷内容已更新，请回复“问卷”重新进入，已填写的内容都已保存。")
        held = answered_so_far(view)
        for key, given in answers.items():
            if given is None and key not in held:
                held[key] = None  # skipped here: stays skipped (返回 can reach it)
        return held

    async def complete(self, answers: dict[str, Any], ctx: FlowContext) -> str:
        user, handler_ctx = await _user(ctx)
        try:
            view = await answering.submit(
                survey_id=int(ctx.data["survey_id"]), user=user, settings=handler_ctx.settings, channel="chat",
                enterprise_id=ctx.data.get("enterprise_id"),
            )
        except AnswersInvalid as invalid:
            key = next((k for k in invalid.errors if any(s.key == k for s in self.steps)), None)
            raise Invalid(_sentence(invalid.message), step=key) from None
        except SurveyError as refused:
            raise Abort(_sentence(refused.message)) from None
        if view.already_submitted:
            return f"「{self.title}」此前已经提交，感谢您的参与！"
        note = "本次调查匿名统计，您的回答不会与企业名称一起公开。" if view.survey.is_anonymous else ""
        return f"问卷已提交，感谢您的参与！\n您的意见将用于营商环境评估和改进工作。{note}"


def _choose_prompt(listed: list[dict[str, Any]]) -> str:
    lines = ["您有以下问卷待填写，请回复序号开始作答："]
    lines.extend(f"{number}. {item['line']}" for number, item in enumerate(listed, 1))
    return "\n".join(lines)


def _picker(listed: list[dict[str, Any]]):
    def pick(text: str, answers: Mapping[str, Any]) -> dict[str, Any]:
        if text.isdigit() and 1 <= int(text) <= len(listed):
            return listed[int(text) - 1]
        raise Invalid(f"请回复问卷前的序号（1-{len(listed)}）。")

    return pick


@flow(CHOOSE_FLOW)
class SurveyChooseFlow(Flow):
    """Which survey (and for which enterprise) when a follower has several to answer
    (data: the numbered list, as it was shown)."""

    title = "选择问卷"

    async def prepare(self, data: Mapping[str, Any]) -> None:
        listed = list(data.get(CANDIDATES) or [])
        if not listed:
            raise Abort(START_HINT)
        self.steps = (Step("survey", _choose_prompt(listed), validate=_picker(listed), max_attempts=5),)

    def heading(self, step: Step, answers: Mapping[str, Any]) -> str:
        return f"【{self.title}】"

    def describe(self, step: Step, value: Any) -> str:
        return str(value.get("line", "")) if isinstance(value, dict) else super().describe(step, value)

    async def complete(self, answers: dict[str, Any], ctx: FlowContext) -> str | Then:
        user, handler_ctx = await _user(ctx)
        chosen = answers["survey"]
        opened = await opening(handler_ctx, user=user, survey_id=int(chosen["survey_id"]),
                               enterprise_id=chosen.get("enterprise_id"))
        if isinstance(opened, str):
            raise Abort(opened)
        return opened


@flow(DECLINE_FLOW)
class SurveyDeclineFlow(Flow):
    """不参加调查, confirmed (data: survey_id, enterprise_id, title)."""

    title = "不参加调查"
    steps = (
        Step("decision", lambda answers: "确定不参加本次调查吗？确认后将不再收到本次调查的提醒，已填写的内容不会提交。",
             choices=(Choice("yes", "确认不参加", ("确认", "确定", "不参加", "是")),
                      Choice("no", "继续作答", ("继续作答", "填写", "作答", "否")))),
    )
    farewell = "好的，问卷为您保留。回复“问卷”或点击菜单「营商环境评估」可继续作答。"

    async def prepare(self, data: Mapping[str, Any]) -> None:
        if not data.get("survey_id"):
            raise Abort(START_HINT)
        if data.get("title"):
            self.title = f"不参加「{data['title']}」"

    def heading(self, step: Step, answers: Mapping[str, Any]) -> str:
        return f"【{self.title}】"

    async def complete(self, answers: dict[str, Any], ctx: FlowContext) -> str | Then:
        user, handler_ctx = await _user(ctx)
        survey_id = int(ctx.data["survey_id"])
        enterprise_id = ctx.data.get("enterprise_id")
        if answers["decision"] == "no":
            opened = await opening(handler_ctx, user=user, survey_id=survey_id, enterprise_id=enterprise_id)
            if isinstance(opened, str):
                raise Abort(opened)
            return opened
        try:
            await answering.decline(survey_id=survey_id, user=user, enterprise_id=enterprise_id)
        except SurveyError as refused:
            raise Abort(_sentence(refused.message)) from None
        return ("已记录：不参加本次调查，今后不会再就此调查提醒您。\n"
                "如改变主意，请联系调查组织单位。感谢您对营商环境建设的关注！")


# -- starting ----------------------------------------------------------------------------------------


def answered_so_far(view: answering.ResponseView) -> dict[str, Any]:
    """The draft's complete answers to visible questions (a matrix rated in part is asked again)."""
    return {q.key: view.answers[q.key] for q in view.visible if defs.is_answered(q, view.answers)}


async def opening(ctx: Context, *, user: WeChatUser, survey_id: int, enterprise_id: int | None) -> Then | str:
    """The survey's questions from where the respondent is (the draft reloaded, whatever the
    channel it was answered on), or why they cannot answer it (a str)."""
    try:
        view = await answering.open_response(survey_id=survey_id, user=user, settings=ctx.settings,
                                             enterprise_id=enterprise_id)
    except SurveyError as refused:
        return _sentence(refused.message)
    if view.submitted:
        return f"您已提交「{view.survey.title}」，感谢您的参与！"
    prefill = answered_so_far(view)
    answered, total = view.progress
    if not prefill:
        link = f'<a href="{html.escape(survey_url(ctx, survey_id))}">网页</a>'
        count = len(view.definition.questions)
        skips = "（部分题目视您的回答免答）" if any(q.show_if for q in view.definition.questions) else ""
        minutes = view.survey.estimated_minutes or max(1, round(count / 3))
        intro = (f"「{view.survey.title}」共{count}题{skips}，约需{minutes}分钟。\n"
                 "请逐题回复：选择题和评分题回复数字，可选题可回复“跳过”；回复“返回”修改上一题，"
                 "回复“取消”暂停（已答内容自动保存，下次可接着答），回复“不参加调查”放弃本次调查。"
                 f"\n也可在{link}中填写，进度互通。")
    elif view.next_question is None:
        intro = f"您已答完「{view.survey.title}」的全部题目（已回答{answered}题），请核对后提交。"
    else:
        position = next(n for n, q in enumerate(view.visible, 1) if q.key == view.next_question.key)
        intro = f"您上次答到第{position}题，继续作答（已回答{answered}/{total}题）。"
    data = {
        "survey_id": survey_id,
        "questionnaire_id": view.questionnaire.id,
        "enterprise_id": view.enterprise.id if view.enterprise is not None else None,
        "title": view.survey.title,
        "intro": intro,
    }
    return Then(FLOW, data=data, prefill=prefill)


async def _open_cards(ctx: Context) -> tuple[WeChatUser, list[answering.SurveyCard], list[answering.SurveyCard]]:
    user = await followers.ensure_user(follower=ctx.follower)
    cards = await answering.my_surveys(user=user, settings=ctx.settings)
    return user, [c for c in cards if c.state != "submitted"], [c for c in cards if c.state == "submitted"]


async def _nothing_to_answer(user: WeChatUser, submitted: list[answering.SurveyCard]) -> str:
    if submitted:
        return f"您已提交「{submitted[0].survey.title}」，感谢您的参与！目前没有其他需要填写的问卷。"
    if not await active_bindings(user=user).exists():
        return NOT_BOUND
    return NOT_SAMPLED


def _card_line(card: answering.SurveyCard, *, several_enterprises: bool) -> str:
    state = {"new": "未作答", "draft": f"已答{card.percent}%"}.get(card.state, "")
    named = several_enterprises and card.enterprise is not None and not card.survey.is_public  # a person's own
    who = f"（{card.enterprise.name}）" if named else ""
    return f"{card.survey.title}{who}【{state}】"


async def start_survey(ctx: Context) -> str:
    """The follower's surveys: none → why; one → its questions (resumed); several → a list."""
    user, open_cards, submitted = await _open_cards(ctx)
    if not open_cards:
        return await _nothing_to_answer(user, submitted)
    if len(open_cards) == 1:
        card = open_cards[0]
        return await _start(ctx, await opening(ctx, user=user, survey_id=card.survey.id,
                                               enterprise_id=card.enterprise.id if card.enterprise else None))
    enterprises = {c.enterprise.id for c in open_cards if c.enterprise is not None}
    listed = [{"survey_id": c.survey.id, "enterprise_id": c.enterprise.id if c.enterprise else None,
               "line": _card_line(c, several_enterprises=len(enterprises) > 1)} for c in open_cards]
    return await start_flow(ctx, CHOOSE_FLOW, data={CANDIDATES: listed})


async def _start(ctx: Context, opened: Then | str) -> str:
    if isinstance(opened, str):
        return opened
    return await start_flow(ctx, opened.flow, data=opened.data, prefill=opened.prefill)


async def start_decline(ctx: Context, *, data: Mapping[str, Any] | None = None) -> str:
    """不参加调查: for the survey being answered (`data` of its conversation), else the one open survey."""
    if data is None:
        _, open_cards, _ = await _open_cards(ctx)
        if not open_cards:
            return "您目前没有需要填写的问卷。"
        if len(open_cards) > 1:
            return "您有多份问卷待填写。请回复“问卷”选择其中一份，作答时回复“不参加调查”即可。"
        card = open_cards[0]
        data = {"survey_id": card.survey.id, "enterprise_id": card.enterprise.id if card.enterprise else None,
                "title": card.survey.title}
    keep = {key: data.get(key) for key in ("survey_id", "enterprise_id", "title")}
    return await start_flow(ctx, DECLINE_FLOW, data=keep)
