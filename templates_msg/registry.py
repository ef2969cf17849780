"""The registry of definitions: `@template_message(...)` on a context model registers one.

Registration checks the definition (`TemplateDefinition.problems`) and refuses a wrong one
with `DefinitionError` at import, so a broken definition stops the process at start instead
of failing at its first send.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel

from templates_msg.base import Channel, DefinitionError, Field, MessageKind, TemplateDefinition, TemplateError

if TYPE_CHECKING:
    from app.config import Settings

__all__ = [
    "all_definitions",
    "find_by_template_id",
    "get",
    "register",
    "subscribe_template_ids",
    "template_message",
    "unregister",
]

_DEFINITIONS: dict[str, TemplateDefinition] = {}
ContextT = TypeVar("ContextT", bound=type[BaseModel])


def register(definition: TemplateDefinition) -> TemplateDefinition:
    """Add a definition; DefinitionError if it is invalid or its name is taken."""
    if definition.name in _DEFINITIONS:
        raise DefinitionError(f"template definition {definition.name!r} is already registered")
    problems = definition.problems()
    if problems:
        raise DefinitionError(f"template definition {definition.name!r}: " + "; ".join(problems))
    _DEFINITIONS[definition.name] = definition
    return definition


def unregister(name: str) -> None:
    """Remove a definition (tests that register their own)."""
    _DEFINITIONS.pop(name, None)


def template_message(
    *,
    name: str,
    title: str,
    kind: MessageKind,
    channel: Channel,
    fields: tuple[Field, ...],
    example: Mapping[str, Any],
    setting: str | None = None,
    url: Callable[[Any], str | None] | None = None,
    page: Callable[[Any], str | None] | None = None,
    long_term: bool = False,
    description: str = "",
) -> Callable[[ContextT], ContextT]:
    """Register the decorated pydantic model as the typed context of a new definition.

    `setting` defaults to `template_<name>`.
    """

    def decorate(context: ContextT) -> ContextT:
        register(
            TemplateDefinition(
                name=name,
                title=title,
                setting=setting or f"template_{name}",
                kind=kind,
                channel=channel,
                context=context,
                fields=fields,
                example=example,
                description=description or (context.__doc__ or "").strip(),
                url=url,
                page=page,
                long_term=long_term,
            )
        )
        return context

    return decorate


def get(name: str) -> TemplateDefinition:
    """The definition named `name`; TemplateError for an unknown name."""
    try:
        return _DEFINITIONS[name]
    except KeyError:
        raise TemplateError(f"unknown template definition {name!r}") from None


def all_definitions() -> list[TemplateDefinition]:
    """Every registered definition, by name."""
    return [_DEFINITIONS[name] for name in sorted(_DEFINITIONS)]


def find_by_template_id(
    template_id: str, *, settings: Settings, channel: Channel | None = None
) -> TemplateDefinition | None:
    """The definition configured with this WeChat template id (e.g. to tell whether a grant
    for it is long-term), or None."""
    if not template_id:
        return None
    for definition in _DEFINITIONS.values():
        if channel is not None and definition.channel is not channel:
            continue
        if getattr(settings, definition.setting, "") == template_id:
            return definition
    return None


def subscribe_template_ids(
    names: Iterable[str], *, settings: Settings, channel: Channel = Channel.miniprogram
) -> dict[str, str]:
    """name -> template id of the configured subscribe definitions among `names`: what the
    mini-program passes to `wx.requestSubscribeMessage` (at most 3 per call), e.g. for an
    appeal: appeal_accepted, appeal_dispatched, appeal_replied. Unconfigured ones are left out."""
    out: dict[str, str] = {}
    for name in names:
        definition = get(name)
        if definition.kind is MessageKind.subscribe and definition.channel is channel and definition.is_configured(
            settings
        ):
            out[name] = definition.template_id(settings)
    return out
