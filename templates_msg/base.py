"""What a notification definition is, and how it renders into a message WeChat accepts.

A `TemplateDefinition` ties together:

* the WeChat template it fills: which setting holds its template id (`template_<name>`),
  its kind (official-account template message, or subscribe message) and channel
  (official account or mini-program), its title as shown in WeChat's template library;
* its fields: WeChat key (`thing1`, whose prefix is the field type), a Chinese label, and
  where the value comes from in the definition's typed context (a pydantic model);
* its jumps: an H5 path (made absolute with `PUBLIC_BASE_URL`) and/or a mini-program page.

`render()` validates the context, fits every value to its field's rules (see `fields.py`:
shortened deliberately, never sent invalid) and returns a `RenderedMessage` that
`app.notification.service.send_rendered` sends as is.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from templates_msg.fields import FieldType, FieldValueError, field_type_of, fit_value, is_valid

if TYPE_CHECKING:
    from app.config import Settings

__all__ = [
    "Channel",
    "DefinitionError",
    "Field",
    "MessageKind",
    "RenderedField",
    "RenderedMessage",
    "TemplateDefinition",
    "TemplateError",
]

MAX_FIELDS = 5
"""WeChat templates (subscribe and 2023 category templates) carry at most 5 keywords."""
_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_REMOVED_KEYS = frozenset({"first", "remark"})


class TemplateError(ValueError):
    """A message cannot be rendered: a value is missing or unusable, or the template id is
    not configured. Raised before anything is sent; the message names the definition."""


class DefinitionError(TypeError):
    """A definition itself is wrong (raised at import, so the process does not start)."""


class MessageKind(str, Enum):
    template = "template"
    """Official-account template message (`/cgi-bin/message/template/send`), no grant needed."""
    subscribe = "subscribe"
    """Subscribe message: one grant per message (or a long-term grant)."""


class Channel(str, Enum):
    official_account = "official_account"
    miniprogram = "miniprogram"


KIND_LABELS: dict[tuple[MessageKind, Channel], str] = {
    (MessageKind.template, Channel.official_account): "公众号模板消息",
    (MessageKind.subscribe, Channel.official_account): "公众号订阅通知",
    (MessageKind.subscribe, Channel.miniprogram): "小程序订阅消息",
}

Source = str | Callable[[Any], Any]
"""An attribute name of the context, or a function of the context."""


@dataclass(frozen=True)
class Field:
    """One keyword of a WeChat template."""

    key: str
    """WeChat's key, e.g. `thing1`: the type is the key without its number."""
    label: str
    """The keyword's name in WeChat's template (shown to staff, and next to the value)."""
    source: Source
    phrases: Mapping[str, str] | None = None
    """Value (or enum code) -> the short word sent; required for phrase fields whose
    values are not already at most 5 Chinese characters."""
    fallback: str | None = None
    """Sent when the source is empty; without one, an empty value is a TemplateError."""

    @property
    def type(self) -> FieldType:
        return field_type_of(self.key)

    def raw_value(self, context: Any) -> Any:
        if callable(self.source):
            return self.source(context)
        return getattr(context, self.source)


@dataclass(frozen=True)
class RenderedField:
    key: str
    label: str
    type: FieldType
    value: str
    """What WeChat receives."""
    original: str
    """The source value as text, before fitting."""
    shortened: bool = False
    note: str = ""


@dataclass(frozen=True)
class RenderedMessage:
    """A message ready to send: checked, shortened, with its template id and jumps."""

    name: str
    title: str
    kind: MessageKind
    channel: Channel
    template_id: str
    data: dict[str, dict[str, str]]
    """WeChat's `data`: `{"thing1": {"value": "..."}}` (no colours, no first/remark)."""
    fields: tuple[RenderedField, ...]
    url: str | None = None
    """H5 page (absolute). Template message `url`, bizsend `page`; None for the mini-program."""
    miniprogram: dict[str, str] | None = None
    """`{"appid", "pagepath"}` of the mini-program page to open."""
    sender_appid: str = ""
    """The app that must send it (official account or mini-program appid)."""
    long_term: bool = False
    """For subscribe messages: the template is a long-term subscription (grant not used up)."""

    @property
    def page(self) -> str | None:
        """The mini-program subscribe message's `page` (its pagepath)."""
        return self.miniprogram["pagepath"] if self.miniprogram else None

    @property
    def shortened(self) -> tuple[str, ...]:
        """Keys whose values were cut to fit."""
        return tuple(f.key for f in self.fields if f.shortened)

    @property
    def summary(self) -> str:
        """One line for the message log: `政策推送通知｜政策名称：…；扶持类型：…`."""
        body = "；".join(f"{f.label}：{f.value}" for f in self.fields)
        return f"{self.title}｜{body}"

    def log_payload(self) -> dict[str, Any]:
        """What the message log keeps of this message (no secrets in it)."""
        return {
            "template": self.name,
            "template_id": self.template_id,
            "kind": self.kind.value,
            "data": self.data,
            "url": self.url,
            "miniprogram": self.miniprogram,
        }


@dataclass(frozen=True)
class TemplateDefinition:
    """One notification the platform sends (see the modules of `templates_msg`)."""

    name: str
    title: str
    setting: str
    """Name of the `Settings` field holding the WeChat template id."""
    kind: MessageKind
    channel: Channel
    context: type[BaseModel]
    fields: tuple[Field, ...]
    example: Mapping[str, Any]
    """A realistic context, for the staff preview and the start-up check."""
    description: str = ""
    url: Callable[[Any], str | None] | None = None
    """Context -> H5 path (`/h5/...`) or absolute URL."""
    page: Callable[[Any], str | None] | None = None
    """Context -> mini-program page (`pages/x/y?id=1`)."""
    long_term: bool = False
    extra: Mapping[str, Any] = field(default_factory=dict)

    # -- configuration ------------------------------------------------------------

    @property
    def setting_variable(self) -> str:
        """The environment variable that sets the template id."""
        return self.setting.upper()

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[(self.kind, self.channel)]

    def template_id(self, settings: Settings) -> str:
        value = getattr(settings, self.setting, "")
        if not value:
            raise TemplateError(f"{self.name}: template id not configured (set {self.setting_variable})")
        return str(value)

    def is_configured(self, settings: Settings) -> bool:
        return bool(getattr(settings, self.setting, ""))

    # -- rendering ----------------------------------------------------------------

    def context_from(self, values: Mapping[str, Any] | BaseModel) -> BaseModel:
        """The typed context, or TemplateError naming every missing or invalid value."""
        if isinstance(values, self.context):
            return values
        if isinstance(values, BaseModel):
            values = values.model_dump()
        try:
            return self.context.model_validate(dict(values))
        except ValidationError as exc:
            missing = [".".join(map(str, e["loc"])) for e in exc.errors() if e["type"] == "missing"]
            invalid = [
                f"{'.'.join(map(str, e['loc']))} ({e['msg']})" for e in exc.errors() if e["type"] != "missing"
            ]
            parts = []
            if missing:
                parts.append("missing value(s): " + ", ".join(missing))
            if invalid:
                parts.append("invalid value(s): " + "; ".join(invalid))
            raise TemplateError(f"{self.name}: " + "; ".join(parts)) from None

    def render(
        self,
        values: Mapping[str, Any] | BaseModel,
        *,
        settings: Settings,
        require_template_id: bool = True,
    ) -> RenderedMessage:
        """The message for `values` (the context's fields), fitted to WeChat's rules.

        Raises TemplateError for a missing or unusable value, or an unset template id
        (unless `require_template_id=False`, which the staff preview uses)."""
        template_id = self.template_id(settings) if require_template_id else getattr(settings, self.setting, "")
        context = self.context_from(values)
        rendered = tuple(self._render_field(f, context) for f in self.fields)
        url, miniprogram = self._jumps(context, settings)
        sender = settings.miniprogram_appid if self.channel is Channel.miniprogram else settings.wechat_appid
        return RenderedMessage(
            name=self.name,
            title=self.title,
            kind=self.kind,
            channel=self.channel,
            template_id=template_id,
            data={f.key: {"value": f.value} for f in rendered},
            fields=rendered,
            url=url,
            miniprogram=miniprogram,
            sender_appid=sender,
            long_term=self.long_term,
        )

    def _render_field(self, spec: Field, context: BaseModel) -> RenderedField:
        raw = spec.raw_value(context)
        if isinstance(raw, Enum):
            code = str(raw.value)
            original = str(getattr(raw, "label", raw.value))  # LabelledEnum: its Chinese label
            value: Any = original
        else:
            code = original = "" if raw is None else str(raw)
            value = raw
        if spec.phrases is not None:
            for key in (code, original):
                if key in spec.phrases:
                    value = spec.phrases[key]
                    break
        if value is None or (isinstance(value, str) and not value.strip()):
            if spec.fallback is None:
                raise TemplateError(f"{self.name}: {spec.key} ({spec.label}) has no value")
            value = spec.fallback
        try:
            fitted = fit_value(spec.type, value, template_message=self.kind is MessageKind.template)
        except FieldValueError as exc:
            raise TemplateError(f"{self.name}: {spec.key} ({spec.label}): {exc}") from None
        return RenderedField(
            key=spec.key,
            label=spec.label,
            type=spec.type,
            value=fitted.text,
            original=original,
            shortened=fitted.shortened,
            note=fitted.note,
        )

    def _jumps(self, context: BaseModel, settings: Settings) -> tuple[str | None, dict[str, str] | None]:
        url = None
        if self.url is not None:
            target = self.url(context)
            if target:
                url = target if target.startswith(("https://", "http://")) else _absolute(settings, target)
        miniprogram = None
        if self.page is not None:
            pagepath = self.page(context)
            if pagepath and settings.miniprogram_appid:
                miniprogram = {"appid": settings.miniprogram_appid, "pagepath": pagepath.lstrip("/")}
            elif pagepath and self.channel is Channel.miniprogram:
                # The mini-program's own subscribe message needs no appid to open its page.
                miniprogram = {"appid": "", "pagepath": pagepath.lstrip("/")}
        return url, miniprogram

    # -- the definition's own check -----------------------------------------------

    def problems(self) -> list[str]:
        """Everything wrong with this definition (empty when it is valid)."""
        from app.config import Settings

        problems: list[str] = []
        if not _NAME_RE.match(self.name):
            problems.append(f"name {self.name!r} must be snake_case")
        if not self.title:
            problems.append("title is required (the template's title in WeChat's library)")
        model_field = Settings.model_fields.get(self.setting)
        if model_field is None:
            problems.append(f"setting {self.setting!r} does not exist in app.config.Settings")
        elif model_field.annotation is not str or model_field.default != "":
            problems.append(f"setting {self.setting!r} must be `str = \"\"`")
        if (self.kind, self.channel) not in KIND_LABELS:
            problems.append("template messages exist only on the official account")
        if not 1 <= len(self.fields) <= MAX_FIELDS:
            problems.append(f"a template has 1 to {MAX_FIELDS} fields, not {len(self.fields)}")
        keys = [f.key for f in self.fields]
        if len(set(keys)) != len(keys):
            problems.append(f"duplicate field keys in {keys}")
        context_fields = set(self.context.model_fields)
        template_message = self.kind is MessageKind.template
        for spec in self.fields:
            if spec.key in _REMOVED_KEYS:
                problems.append(f"{spec.key}: first/remark were removed from template messages in 2023")
                continue
            try:
                field_type = spec.type
            except ValueError as exc:
                problems.append(str(exc))
                continue
            if isinstance(spec.source, str) and spec.source not in context_fields:
                problems.append(f"{spec.key}: the context has no field {spec.source!r}")
            for word in [*(spec.phrases or {}).values(), *([spec.fallback] if spec.fallback is not None else [])]:
                if not is_valid(field_type, word, template_message=template_message):
                    problems.append(f"{spec.key}: {word!r} is not a valid {field_type.value} value")
        if self.channel is Channel.miniprogram:
            if self.url is not None:
                problems.append("a mini-program subscribe message cannot open an H5 page")
            if self.page is None:
                problems.append("a mini-program subscribe message needs a page")
        if self.long_term and self.kind is not MessageKind.subscribe:
            problems.append("long_term applies to subscribe messages only")
        if not problems:
            from app.config import Settings as _Settings

            probe = _Settings.model_construct(
                public_base_url="https://example.invalid", miniprogram_appid="wx0000000000000000"
            )
            try:
                self.render(self.example, settings=probe, require_template_id=False)
            except TemplateError as exc:
                problems.append(f"the example does not render: {exc}")
        return problems


def _absolute(settings: Settings, path: str) -> str:
    return settings.public_base_url.rstrip("/") + "/" + path.lstrip("/")
