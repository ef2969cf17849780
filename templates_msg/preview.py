"""The staff preview: a notification as the recipient will see it, with what was shortened.

Staff (campaign page, template settings page) see every field with its label, the value
sent and the original when it differs, the jump targets, and warnings in Chinese: template
id not configured, values cut, no jump. A preview never needs the template id, so a
notification can be checked before it is configured.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from templates_msg.base import Channel, RenderedMessage, TemplateDefinition
from templates_msg.registry import get

if TYPE_CHECKING:
    from app.config import Settings

__all__ = ["Preview", "PreviewField", "preview"]


@dataclass(frozen=True)
class PreviewField:
    key: str
    label: str
    value: str
    original: str
    shortened: bool
    note: str


@dataclass(frozen=True)
class Preview:
    name: str
    title: str
    kind_label: str
    """公众号模板消息 / 公众号订阅通知 / 小程序订阅消息"""
    template_id: str
    setting_variable: str
    fields: tuple[PreviewField, ...]
    url: str | None
    miniprogram: dict[str, str] | None
    warnings: tuple[str, ...]
    message: RenderedMessage

    @property
    def configured(self) -> bool:
        return bool(self.template_id)

    @property
    def shortened(self) -> tuple[str, ...]:
        return tuple(f.label for f in self.fields if f.shortened)


def preview(
    definition: str | TemplateDefinition,
    values: Mapping[str, Any] | BaseModel | None = None,
    *,
    settings: Settings,
) -> Preview:
    """Render `values` (default: the definition's example) for staff to check.

    Raises TemplateError when a value is missing or unusable, like sending would."""
    if isinstance(definition, str):
        definition = get(definition)
    message = definition.render(
        definition.example if values is None else values, settings=settings, require_template_id=False
    )
    warnings: list[str] = []
    if not message.template_id:
        warnings.append(f"未配置模板ID（环境变量 {definition.setting_variable}），此通知不会发送")
    for item in message.fields:
        if item.shortened:
            warnings.append(f"“{item.label}”{item.note}：{item.value}")
    if definition.page is not None and definition.channel is Channel.official_account and not settings.miniprogram_appid:
        warnings.append("未配置小程序AppID（MINIPROGRAM_APPID），消息不会跳转小程序")
    if message.url is None and message.miniprogram is None:
        warnings.append("消息没有跳转链接")
    fields = tuple(
        PreviewField(
            key=item.key,
            label=item.label,
            value=item.value,
            original=item.original,
            shortened=item.shortened,
            note=item.note,
        )
        for item in message.fields
    )
    return Preview(
        name=definition.name,
        title=definition.title,
        kind_label=definition.kind_label,
        template_id=message.template_id,
        setting_variable=definition.setting_variable,
        fields=fields,
        url=message.url,
        miniprogram=message.miniprogram,
        warnings=tuple(warnings),
        message=message,
    )
