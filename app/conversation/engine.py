"""The conversation engine: takes a subject's message, advances their flow, says what to reply.

Commands work at every step: 返回 goes back one question, 取消 / 退出 end the flow,
继续 picks a paused flow up again. A flow left idle past its `idle_timeout` is paused,
not lost: the next message says so (and is otherwise handled as usual), and 继续 within
the flow's `resume_window` carries on with the answers given so far.

A message that is not text (`Media`: a photo, a voice note ...) is an answer only at a
step that takes its kind (`Step.media`); at any other step of an active flow the
question is asked again.

Per conversation the engine prepares the flow (`Flow.prepare(data)`: steps built from
data, e.g. a questionnaire version), lets it act on each accepted answer
(`Flow.answered`: a draft saved at once), and follows a hand-over (`Then`) from
`complete` into the next flow.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

from app.conversation.flows import (
    CANCEL_CHOICE,
    Abort,
    Flow,
    FlowContext,
    Invalid,
    Media,
    Step,
    Then,
    load_flow,
    normalise_text,
)
from app.conversation.store import ACTIVE, PAUSED, Busy, ConversationState, ConversationStore

__all__ = ["BACK_WORDS", "CANCEL_WORDS", "RESUME_WORDS", "ConversationEngine", "Outcome"]

logger = logging.getLogger("qiyun.conversation")

BACK_WORDS = frozenset({"返回", "上一步"})
CANCEL_WORDS = frozenset({"取消", "退出"})
RESUME_WORDS = frozenset({"继续"})
MEDIA_NOT_TAKEN = "这一步需要按提示回复文字。"

# Outcome statuses.
STARTED, ASKED, INVALID, COMPLETED, CANCELLED, ABORTED, PAUSED_NOW, RESUMED, BUSY = (
    "started",
    "asked",
    "invalid",
    "completed",
    "cancelled",
    "aborted",
    "paused",
    "resumed",
    "busy",
)


@dataclass(frozen=True)
class Outcome:
    """What the engine did with a message.

    `reply` is the text to send. `consumed` is False when the message was not an
    answer (a paused flow's notice): the caller handles the message as usual and
    sends `reply` along with its own answer.
    """

    reply: str
    status: str
    flow: str
    consumed: bool = True

    @property
    def finished(self) -> bool:
        return self.status in (COMPLETED, CANCELLED, ABORTED)


class ConversationEngine:
    """Runs flows for subjects; stateless itself, so any process may build one per message."""

    def __init__(self, *, redis: Redis, clock: Callable[[], float] = time.time, prefix: str = "qiyun:conv") -> None:
        self.store = ConversationStore(redis, prefix=prefix)
        self.clock = clock

    # -- queries ----------------------------------------------------------------

    async def current(self, *, subject: str) -> ConversationState | None:
        """The subject's conversation (active or paused), if any."""
        return await self.store.load(subject)

    # -- starting and ending ------------------------------------------------------

    async def start(
        self,
        *,
        subject: str,
        flow: str,
        data: Mapping[str, Any] | None = None,
        prefill: Mapping[str, Any] | None = None,
    ) -> Outcome:
        """Begin `flow` for `subject`, replacing any conversation in progress.

        `prefill` answers steps in advance (e.g. a credit code from an invitation QR
        code): the flow opens at the first step without an answer.
        """
        try:
            async with self.store.locked(subject):
                return await self._begin(subject=subject, flow=flow, data=data, prefill=prefill)
        except Busy:
            return Outcome(_busy_text(), BUSY, flow)

    async def _begin(
        self, *, subject: str, flow: str, data: Mapping[str, Any] | None, prefill: Mapping[str, Any] | None
    ) -> Outcome:
        """Start `flow` (the subject's lock held): the intro and the first question."""
        state_data = dict(data or {})
        try:
            definition = await _require(flow, state_data)
        except Abort as abort:
            return Outcome(abort.message, ABORTED, flow)
        now = self.clock()
        answers = dict(prefill or {})
        state = ConversationState(
            subject=subject, flow=flow, step="", answers=answers, data=state_data, started_at=now, updated_at=now
        )
        first = _next_step(definition, state, after=None)
        if first is None:
            raise ValueError(f"flow {flow!r}: every step is already answered")
        state.step = first.key
        await self._save(definition, state)
        intro = f"{definition.intro}\n\n" if definition.intro else ""
        return Outcome(intro + self._ask(definition, state, first), STARTED, flow)

    async def cancel(self, *, subject: str) -> bool:
        """End the subject's conversation without a message (e.g. on unsubscribe)."""
        existed = await self.store.load(subject) is not None
        await self.store.delete(subject)
        return existed

    # -- the message loop -----------------------------------------------------------

    async def handle(
        self, *, subject: str, text: str = "", deps: Any = None, media: Media | None = None
    ) -> Outcome | None:
        """Apply a text message (or, with `media`, a message that is not text) to the
        subject's conversation.

        None means the subject is in no conversation this message belongs to: the
        caller handles it as usual.
        """
        state = await self.store.load(subject)
        if state is None:
            return None
        try:
            async with self.store.locked(subject):
                state = await self.store.load(subject)  # may have moved while we waited
                if state is None:
                    return None
                return await self._handle_locked(state, text, deps, media)
        except Busy:
            return Outcome(_busy_text(), BUSY, state.flow)

    async def _handle_locked(
        self, state: ConversationState, text: str, deps: Any, media: Media | None = None
    ) -> Outcome | None:
        try:
            definition = await load_flow(state.flow, state.data)
        except Abort as abort:
            await self.store.delete(state.subject)
            return Outcome(abort.message, ABORTED, state.flow)
        if definition is None or state.step not in {s.key for s in definition.steps}:
            # The flow was removed or changed shape since: drop the stranded state.
            logger.warning("dropping conversation of unknown flow/step %s/%s", state.flow, state.step)
            await self.store.delete(state.subject)
            return None
        word = normalise_text(text) if media is None else ""  # commands are text
        now = self.clock()

        if state.status == PAUSED:
            if word in RESUME_WORDS:
                return await self._resume(definition, state)
            if word in CANCEL_WORDS:
                await self.store.delete(state.subject)
                return Outcome(f"已取消「{definition.title}」。", CANCELLED, state.flow)
            return None

        if now - state.updated_at > definition.idle_timeout.total_seconds():
            if word in RESUME_WORDS:
                return await self._resume(definition, state)
            state.status = PAUSED
            await self._save(definition, state)
            return Outcome(_paused_text(definition), PAUSED_NOW, state.flow, consumed=False)

        if word in CANCEL_WORDS:
            await self.store.delete(state.subject)
            return Outcome(_farewell(definition), CANCELLED, state.flow)
        step = definition.step(state.step)
        if media is not None:
            return await self._collect(definition, state, step, media)
        if word in BACK_WORDS:
            return await self._back(definition, state, step)
        if word in RESUME_WORDS:
            await self._save(definition, state)
            return Outcome(self._ask(definition, state, step), ASKED, state.flow)
        return await self._answer(definition, state, step, text, deps)

    async def _answer(self, definition: Flow, state: ConversationState, step: Step, text: str, deps: Any) -> Outcome:
        try:
            value = await step.read(text, state.answers)
        except Invalid as invalid:
            return await self._reask(definition, state, step, invalid.reason)
        state.attempts.pop(step.key, None)

        if step.confirm:
            if value == "yes":
                return await self._complete(definition, state, deps)
            if value == CANCEL_CHOICE:
                await self.store.delete(state.subject)
                return Outcome(_farewell(definition), CANCELLED, state.flow)
            revisit = _earlier_step(definition, state, key=value, before=step.key)
            if revisit is not None:
                # 修改 one answer: that question again; the others are kept, so its answer
                # leads straight back here.
                state.step = revisit.key
                await self._save(definition, state)
                return Outcome(self._ask(definition, state, revisit), ASKED, state.flow)
            # 修改: start over with a clean form (prefilled answers included).
            state.answers.clear()
            first = _next_step(definition, state, after=None)
            assert first is not None
            state.step = first.key
            await self._save(definition, state)
            return Outcome("好的，我们重新填写。\n\n" + self._ask(definition, state, first), ASKED, state.flow)

        try:
            held = await definition.answered(step, value, state.answers, FlowContext(state.subject, state.data, deps))
        except Invalid as invalid:
            return await self._reask(definition, state, step, invalid.reason)
        except Abort as abort:
            await self.store.delete(state.subject)
            return Outcome(abort.message, ABORTED, state.flow)
        if held is not None:
            state.answers = dict(held)
        state.answers[step.key] = value
        following = _next_step(definition, state, after=step.key)
        if following is None:
            return await self._complete(definition, state, deps)
        state.step = following.key
        await self._save(definition, state)
        return Outcome(self._ask(definition, state, following), ASKED, state.flow)

    async def _collect(self, definition: Flow, state: ConversationState, step: Step, media: Media) -> Outcome:
        """A non-text message: collected by a step that takes it, else the question again."""
        if not step.takes(media):
            return await self._reask(definition, state, step, MEDIA_NOT_TAKEN, count=False)
        try:
            collected = await step.take(media, state.answers)
        except Invalid as invalid:
            return await self._reask(definition, state, step, invalid.reason, count=False)
        state.attempts.pop(step.key, None)
        state.answers[step.key] = collected.value
        await self._save(definition, state)
        return Outcome(collected.reply, ASKED, state.flow)

    async def _complete(self, definition: Flow, state: ConversationState, deps: Any) -> Outcome:
        ctx = FlowContext(subject=state.subject, data=state.data, deps=deps)
        answers = {key: value for key, value in state.answers.items()}
        try:
            message = await definition.complete(answers, ctx)
        except Invalid as invalid:
            target = definition.step(invalid.step) if invalid.step else definition.step(state.step)
            state.step = target.key
            return await self._reask(definition, state, target, invalid.reason, count=invalid.step is None)
        except Abort as abort:
            await self.store.delete(state.subject)
            return Outcome(abort.message, ABORTED, state.flow)
        await self.store.delete(state.subject)
        if isinstance(message, Then):
            # Hand over: the next flow starts within this message (the lock is still ours).
            started = await self._begin(subject=state.subject, flow=message.flow, data=message.data,
                                        prefill=message.prefill)
            lead = f"{message.text}\n\n" if message.text else ""
            return Outcome(lead + started.reply, started.status, started.flow)
        return Outcome(message, COMPLETED, state.flow)

    async def _reask(
        self, definition: Flow, state: ConversationState, step: Step, reason: str, *, count: bool = True
    ) -> Outcome:
        tries = state.attempts.get(step.key, 0) + (1 if count else 0)
        if step.max_attempts is not None and tries >= step.max_attempts:
            await self.store.delete(state.subject)
            return Outcome(
                f"{reason}\n输入错误次数较多，已退出「{definition.title}」。请核对信息后再重新开始。",
                ABORTED,
                state.flow,
            )
        state.attempts[step.key] = tries
        remaining = ""
        if step.max_attempts is not None and count:
            remaining = f"（还可尝试{step.max_attempts - tries}次）"
        await self._save(definition, state)
        return Outcome(f"{reason}{remaining}\n\n{self._ask(definition, state, step)}", INVALID, state.flow)

    async def _back(self, definition: Flow, state: ConversationState, step: Step) -> Outcome:
        previous = _previous_step(definition, state, before=step.key)
        if previous is None:
            await self._save(definition, state)
            return Outcome("已经是第一步了。\n\n" + self._ask(definition, state, step), ASKED, state.flow)
        state.step = previous.key
        await self._save(definition, state)
        return Outcome(self._ask(definition, state, previous), ASKED, state.flow)

    async def _resume(self, definition: Flow, state: ConversationState) -> Outcome:
        state.status = ACTIVE
        await self._save(definition, state)
        summary = definition.summary(state.answers)
        kept = f"已填写的内容：\n{summary}\n\n" if summary else ""
        step = definition.step(state.step)
        return Outcome(
            f"好的，我们继续「{definition.title}」。\n{kept}{self._ask(definition, state, step)}", RESUMED, state.flow
        )

    # -- helpers -------------------------------------------------------------------

    def _ask(self, definition: Flow, state: ConversationState, step: Step) -> str:
        has_previous = _previous_step(definition, state, before=step.key) is not None
        hint = "回复“返回”修改上一步，“取消”退出" if has_previous else "回复“取消”可退出"
        current = state.answers.get(step.key)
        already = ""
        if current is not None and not step.confirm:
            already = f"\n（上次填写：{definition.describe(step, current)}）"
        return f"{definition.heading(step, state.answers)}\n{step.text(state.answers)}{already}\n\n{hint}"

    async def _save(self, definition: Flow, state: ConversationState) -> None:
        now = self.clock()
        state.updated_at = now
        if state.status == PAUSED:
            ttl = definition.resume_window.total_seconds()
        else:
            ttl = definition.idle_timeout.total_seconds() + definition.resume_window.total_seconds()
        await self.store.save(state, ttl_seconds=int(ttl))


async def _require(name: str, data: Mapping[str, Any]) -> Flow:
    definition = await load_flow(name, data)
    if definition is None:
        raise KeyError(f"no flow registered as {name!r}")
    return definition


def _farewell(definition: Flow) -> str:
    return definition.farewell or f"已退出「{definition.title}」，需要时可以随时重新开始。"


def _next_step(definition: Flow, state: ConversationState, *, after: str | None) -> Step | None:
    """The question after `after`: the next applicable one not answered yet, or a confirmation.

    Answered steps are passed over, so correcting one answer (after 返回, or when the
    service refused it) leads straight back to the confirmation instead of through
    every later question again.
    """
    start = 0 if after is None else definition.index(after) + 1
    for step in definition.steps[start:]:
        if step.applies(state.answers) and (step.confirm or step.key not in state.answers):
            return step
    return None


def _earlier_step(definition: Flow, state: ConversationState, *, key: Any, before: str) -> Step | None:
    """The step named `key` if it comes before `before` and applies (a confirmation's 修改X)."""
    if not isinstance(key, str):
        return None
    for step in definition.steps[: definition.index(before)]:
        if step.key == key and step.applies(state.answers) and not step.confirm:
            return step
    return None


def _previous_step(definition: Flow, state: ConversationState, *, before: str) -> Step | None:
    """Where 返回 leads: the closest earlier question that applies and was answered."""
    for step in reversed(definition.steps[: definition.index(before)]):
        if step.applies(state.answers) and not step.confirm and step.key in state.answers:
            return step
    return None


def _paused_text(definition: Flow) -> str:
    return f"您在「{definition.title}」停留较久，已为您暂停，已填写的内容会保留。回复“继续”可接着填写，回复“取消”放弃。"


def _busy_text() -> str:
    return "正在处理您的上一条消息，请稍后再发送。"
