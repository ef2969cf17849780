"""Flows and steps: what a conversation asks, and how an answer is read.

A flow is a class with a name, a title, an ordered tuple of `Step`s and a `complete`
coroutine that acts on the answers (through a domain service). It registers itself with
`@flow("name")`; the engine finds it by that name in the state it stored, which is why
renaming a flow or a step key strands conversations in progress (they expire).

Most flows ask fixed questions. A flow whose questions are data (a questionnaire staff
built) builds its steps per conversation in `prepare(data)` from the parameters it was
started with, and may act on each accepted answer at once in `answered` (save a draft)
instead of waiting for `complete`. `complete` may also hand the conversation over to
another flow (`Then`), so a chooser leads straight into the thing chosen.

Answers are read the same way everywhere: numbered choices accept the number or the
label, free text goes through the step's validator, and a validator or `complete`
raises `Invalid(reason)` to have the question asked again with the reason.
"""

from __future__ import annotations

import inspect
import re
import unicodedata
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, ClassVar, TypeVar

__all__ = [
    "CANCEL_CHOICE",
    "Abort",
    "Choice",
    "Collected",
    "Flow",
    "FlowContext",
    "Invalid",
    "Media",
    "Step",
    "Then",
    "flow",
    "get_flow",
    "load_flow",
    "normalise_text",
    "registered_flows",
    "unregister_flow",
]

Answers = Mapping[str, Any]
Validator = Callable[[str, Answers], Any | Awaitable[Any]]
PromptText = str | Callable[[Answers], str]
Collector = Callable[["Media", Answers], "Collected | Awaitable[Collected]"]

SKIP_WORDS = frozenset({"跳过", "无", "没有"})
CONFIRM_YES = ("确认", "确定", "是", "提交", "对")
CONFIRM_NO = ("修改", "重新填写", "重填", "否", "不对")
_TRAILING_PUNCTUATION = "。.!！?？~～,，;；"
CANCEL_CHOICE = "cancel"
"""A confirmation's choice with this value ends the flow like 取消."""


class Invalid(Exception):
    """An answer is not acceptable: the step is asked again, starting with `reason`.

    Raised by a step's validator, or by `Flow.complete` with `step=` naming the step
    whose answer the domain service refused (e.g. a name that does not match).
    """

    def __init__(self, reason: str, *, step: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.step = step


class Abort(Exception):
    """End the conversation now with `message` (e.g. the service locked the person out)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Choice:
    """One numbered option: `value` is stored, `label` is shown; `aliases` are also accepted."""

    value: str
    label: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Then:
    """What `Flow.complete` returns to hand the conversation over to another flow.

    The engine ends this flow and starts `flow` with `data` and `prefill` as `start` would,
    replying `text` (if any) followed by the new flow's first question: e.g. a list of
    surveys where the number chosen opens that survey's questions.
    """

    flow: str
    data: Mapping[str, Any] | None = None
    prefill: Mapping[str, Any] | None = None
    text: str = ""


@dataclass(frozen=True)
class Media:
    """A message that is not text (a photo, a voice note, a location ...).

    `kind` is the caller's name for it (the message type); `fields` is what the message
    carries, as the caller received it (e.g. a picture's URL and media id).
    """

    kind: str
    fields: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Collected:
    """What a step's collector made of a media message: the step's answer so far and the reply."""

    value: Any
    reply: str


@dataclass(frozen=True)
class Step:
    """One question.

    `prompt` may be a function of the answers so far (a confirmation shows them).
    `choices` turns the step into a numbered menu. `validate(text, answers)` returns
    the value to store or raises `Invalid`. `optional` accepts 跳过 (stored as None).
    `when(answers)` skips the step when false. `confirm` makes a 确认/修改 step:
    确认 finishes the flow, 修改 starts over with the answers kept as they were.
    `max_attempts` ends the flow after that many unacceptable answers in a row.

    A confirmation with `choices` may offer more than 确认 (value "yes"): a choice whose
    value is the key of an earlier step goes back to that one question (the other answers
    are kept, so the next answer leads straight back to the confirmation), and the value
    `CANCEL_CHOICE` ends the flow as 取消 does. Any other value starts over.

    `media` names the kinds of non-text messages the step takes (e.g. ("image",));
    each one goes to `collect(media, answers)`, which returns a `Collected`: the step's
    answer so far (stored, the question stays open) and the reply, or raises `Invalid`.
    A text answer then closes the step through `validate` as usual (e.g. 完成).
    """

    key: str
    prompt: PromptText
    choices: tuple[Choice, ...] = ()
    validate: Validator | None = None
    optional: bool = False
    when: Callable[[Answers], bool] | None = None
    confirm: bool = False
    max_attempts: int | None = None
    max_length: int = 500
    media: tuple[str, ...] = ()
    collect: Collector | None = None
    verbatim: bool = False
    """Free text kept as the person wrote it (trimmed only): a description keeps its "，" and
    "。". Commands and 跳过 are still recognised on the normalised form."""
    unmatched: Validator | None = None
    """For a step with `choices`: what a reply matching none of them means (returns the value
    or raises `Invalid`), e.g. a confirmation's 「修改3」 naming a question by its number
    among the answers. Without it such a reply is refused with the list of numbers."""

    def applies(self, answers: Answers) -> bool:
        return self.when is None or bool(self.when(answers))

    def text(self, answers: Answers) -> str:
        prompt = self.prompt(answers) if callable(self.prompt) else self.prompt
        options = self.options()
        if options:
            numbered = "\n".join(f"{number}. {choice.label}" for number, choice in enumerate(options, 1))
            prompt = f"{prompt}\n{numbered}"
        if self.optional:
            prompt += "\n（可回复“跳过”）"
        return prompt

    def options(self) -> tuple[Choice, ...]:
        if self.confirm and not self.choices:
            return (Choice("yes", "确认提交", CONFIRM_YES), Choice("no", "重新填写", CONFIRM_NO))
        return self.choices

    async def read(self, text: str, answers: Answers) -> Any:
        """The value to store for `text`, or `Invalid` with the reason."""
        cleaned = normalise_text(text)
        if not cleaned:
            raise Invalid("没有收到内容哦。")
        if self.optional and cleaned in SKIP_WORDS:
            return None
        if len(cleaned) > self.max_length:
            raise Invalid(f"内容太长了，请控制在{self.max_length}字以内。")
        options = self.options()
        if options:
            value = _match_choice(cleaned, options)
            if value is None and self.unmatched is not None:
                other = self.unmatched(cleaned, answers)
                return await other if inspect.isawaitable(other) else other
            if value is None:
                raise Invalid(f"请回复选项前的数字（1-{len(options)}）。")
            if self.validate is None:
                return value
            cleaned = value
        if self.verbatim and not options:
            cleaned = (text or "").strip()
        if self.validate is None:
            return cleaned
        result = self.validate(cleaned, answers)
        if inspect.isawaitable(result):
            result = await result
        return result

    def takes(self, media: Media) -> bool:
        return self.collect is not None and media.kind in self.media

    async def take(self, media: Media, answers: Answers) -> Collected:
        """The collector's answer for a media message, or `Invalid` with the reason."""
        assert self.collect is not None
        result = self.collect(media, answers)
        if inspect.isawaitable(result):
            result = await result
        return result


@dataclass
class FlowContext:
    """What `complete` and dynamic prompts get besides the answers.

    `subject` is whom the conversation is with (an openid); `data` holds the
    parameters the flow was started with (stored with the state, so JSON only);
    `deps` is whatever the caller passes per message (a Redis client, the follower):
    never stored.
    """

    subject: str
    data: dict[str, Any] = field(default_factory=dict)
    deps: Any = None


class Flow:
    """Base class of a conversation. Subclass, set `steps`, implement `complete`."""

    name: ClassVar[str] = ""
    title: ClassVar[str] = ""
    intro: ClassVar[str] = ""
    """Shown once, before the first question."""
    steps: ClassVar[tuple[Step, ...]] = ()
    idle_timeout: ClassVar[timedelta] = timedelta(minutes=10)
    """After this long without an answer the flow is paused (the next message says so)."""
    resume_window: ClassVar[timedelta] = timedelta(hours=24)
    """How long a paused flow can be continued with 继续, answers kept."""
    farewell: ClassVar[str] = ""
    """Said when the person leaves with 取消 / 退出 (empty: the engine's usual words). A flow
    that has already saved the answers says so here."""

    async def prepare(self, data: Mapping[str, Any]) -> None:
        """Build this conversation's steps (and title, intro) from the data it was started with.

        Called by the engine before each message of the conversation, on a fresh instance,
        so a flow whose questions are data (a questionnaire version) sets `self.steps` here;
        fixed flows leave it alone. May raise `Abort` (what the steps came from is gone).
        """

    async def answered(
        self, step: Step, value: Any, answers: Mapping[str, Any], ctx: FlowContext
    ) -> Mapping[str, Any] | None:
        """Act on one accepted answer at once (`answers` are the ones before it).

        Return None, or the answers so far as the service now holds them (e.g. some given
        on another device meanwhile): they replace the conversation's, so questions answered
        elsewhere are passed over. Raise `Invalid(reason)` to refuse the answer (the question
        is asked again, nothing kept) or `Abort` to end the conversation. Not called for
        confirmations or media.
        """
        return None

    async def complete(self, answers: dict[str, Any], ctx: FlowContext) -> str | Then:
        """Act on the answers; return the closing message (or `Then`: hand over to another flow).
        May raise `Invalid(step=...)` or `Abort`."""
        raise NotImplementedError

    def heading(self, step: Step, answers: Answers) -> str:
        """The line above a question: where the person is (e.g. 【反映诉求 2/4】)."""
        applicable = [s for s in self.steps if s.applies(answers)]
        position = 1 + sum(1 for s in self.steps[: self.index(step.key)] if s.applies(answers))
        return f"【{self.title} {position}/{len(applicable)}】"

    def summary(self, answers: Answers) -> str:
        """The answers so far, one line each, as shown when a flow is resumed."""
        lines = []
        for step in self.steps:
            if step.key in answers and not step.confirm:
                lines.append(f"· {self.describe(step, answers[step.key])}")
        return "\n".join(lines)

    def describe(self, step: Step, value: Any) -> str:
        """One answer as the person reads it (the label for choices)."""
        for choice in step.options():
            if choice.value == value:
                return choice.label
        return "（跳过）" if value is None else str(value)

    def step(self, key: str) -> Step:
        for step in self.steps:
            if step.key == key:
                return step
        raise KeyError(key)

    def index(self, key: str) -> int:
        for position, step in enumerate(self.steps):
            if step.key == key:
                return position
        raise KeyError(key)


_FLOWS: dict[str, type[Flow]] = {}
F = TypeVar("F", bound=type[Flow])


def flow(name: str) -> Callable[[F], F]:
    """Register a `Flow` subclass under `name` (the name is stored in conversation state)."""

    def register(cls: F) -> F:
        if not cls.steps and cls.prepare is Flow.prepare:
            raise ValueError(f"flow {name!r} has no steps")
        keys = [step.key for step in cls.steps]
        if len(set(keys)) != len(keys):
            raise ValueError(f"flow {name!r} has duplicate step keys")
        existing = _FLOWS.get(name)
        if existing is not None and existing.__qualname__ != cls.__qualname__:
            raise ValueError(f"flow {name!r} is already registered by {existing.__module__}")
        cls.name = name
        cls.title = cls.title or name
        _FLOWS[name] = cls
        return cls

    return register


def get_flow(name: str) -> Flow | None:
    cls = _FLOWS.get(name)
    return cls() if cls is not None else None


async def load_flow(name: str, data: Mapping[str, Any]) -> Flow | None:
    """The flow registered as `name`, prepared for a conversation started with `data`."""
    definition = get_flow(name)
    if definition is not None:
        await definition.prepare(data)
    return definition


def registered_flows() -> dict[str, type[Flow]]:
    return dict(_FLOWS)


def unregister_flow(name: str) -> None:
    """Forget a flow (tests register throwaway flows)."""
    _FLOWS.pop(name, None)


def normalise_text(text: str) -> str:
    """What a person typed, as compared: full-width folded, trimmed, without a trailing full stop."""
    cleaned = unicodedata.normalize("NFKC", text or "").strip()
    return cleaned.rstrip(_TRAILING_PUNCTUATION).strip() if len(cleaned) > 1 else cleaned


def _match_choice(text: str, options: tuple[Choice, ...]) -> str | None:
    number = re.fullmatch(r"(\d{1,2})", text)
    if number:
        position = int(number.group(1))
        return options[position - 1].value if 1 <= position <= len(options) else None
    folded = text.casefold()
    for choice in options:
        if folded in (choice.value.casefold(), choice.label.casefold(), *(a.casefold() for a in choice.aliases)):
            return choice.value
    return None
