"""Menu buttons of type `click` (keys in handlers/menu.json).

Buttons whose feature belongs to a later issue have no handler yet: the generic
CLICK handler names the button and says it is coming, so no click goes unanswered.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from app.menu import load_menu
from handlers import texts
from handlers.context import Context
from handlers.flows.bind_enterprise import start_binding
from handlers.router import router

__all__ = ["button_names"]


@router.click("bind_enterprise")
async def bind_enterprise_clicked(ctx: Context) -> str:
    return await start_binding(ctx)


@router.event("click")
async def other_click(ctx: Context) -> str:
    """A button without its own handler (yet)."""
    name = button_names().get(ctx.inbound.event_key, "该")
    return texts.COMING_SOON.format(name=name)


@lru_cache(maxsize=1)
def button_names() -> dict[str, str]:
    """Menu key -> the button's name, as the follower saw it."""
    names: dict[str, str] = {}

    def walk(buttons: list[dict[str, Any]]) -> None:
        for button in buttons:
            if button.get("key"):
                names[button["key"]] = button["name"]
            walk(button.get("sub_button") or [])

    walk(load_menu().get("button", []))
    return names
