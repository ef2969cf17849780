"""Every module that registers handlers on the router; importing this loads them all.

A new handler module is added here; a new flow is just a file in `handlers/flows/`
(the `flows` package imports all of its modules).
"""

from handlers import (  # noqa: F401
    activity_chat,
    appeal_chat,
    autoreplies,
    conversation,
    events,
    flows,
    media_check,
    menu_clicks,
    policy_chat,
    provider_chat,
    scenes,
    survey_chat,
    text,
    unsubscribe,
)
