"""Every module that registers handlers on the router; importing this loads them all.

A new handler module is added here; a new flow is just a file in `handlers/flows/`.
"""

from handlers import autoreplies, conversation, events, menu_clicks, scenes, text  # noqa: F401
from handlers import flows  # noqa: F401  (imports every handlers/flows/*.py)
