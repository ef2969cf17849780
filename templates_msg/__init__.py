"""Template- and subscribe-message definitions, one per notification the platform sends.

    import templates_msg
    message = templates_msg.get("policy_push").render(values, settings=settings)
    outcome = await app.notification.service.send_rendered(wechat=..., openid=..., message=message, ...)

Each module registers one definition (`@template_message` on its typed context); see
README.md in this directory for the rules and the kind chosen for each notification.
"""

from templates_msg.base import (
    Channel,
    DefinitionError,
    Field,
    MessageKind,
    RenderedField,
    RenderedMessage,
    TemplateDefinition,
    TemplateError,
)
from templates_msg.registry import (
    all_definitions,
    find_by_template_id,
    get,
    register,
    subscribe_template_ids,
    template_message,
    unregister,
)

# The definitions register themselves on import.
from templates_msg import (  # noqa: E402,F401  isort: skip
    activity_notice,
    activity_reminder,
    appeal_accepted,
    appeal_assigned,
    appeal_dispatched,
    appeal_overdue,
    appeal_progress,
    appeal_replied,
    policy_push,
    provider_engagement,
    provider_engagement_progress,
    provider_status,
    provider_status_progress,
    reply_ready,
    report_ready,
    survey_invitation,
    survey_notice,
    survey_reminder,
)
from templates_msg.preview import Preview, PreviewField, preview  # noqa: E402

__all__ = [
    "Channel",
    "DefinitionError",
    "Field",
    "MessageKind",
    "Preview",
    "PreviewField",
    "RenderedField",
    "RenderedMessage",
    "TemplateDefinition",
    "TemplateError",
    "all_definitions",
    "find_by_template_id",
    "get",
    "preview",
    "register",
    "subscribe_template_ids",
    "template_message",
    "unregister",
]
