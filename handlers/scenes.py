"""Owners of parametric-QR-code scenes (`scene_str` prefixes).

`bind:<credit code>` is an invitation to bind an enterprise (this issue). The others
are placeholders for the issues that will own them; registering the real handler with
`@router.scene(prefix)` elsewhere replaces the placeholder.
"""

from __future__ import annotations

from typing import Any

from handlers.context import Context
from handlers.flows.bind_enterprise import start_binding
from handlers.router import PASS, router

__all__: list[str] = []


@router.scene("bind:")
async def bind_invitation(ctx: Context, credit_code: str) -> str:
    return await start_binding(ctx, credit_code=credit_code)


@router.scene("activity:", placeholder=True)
async def activity_checkin(ctx: Context, value: str) -> Any:
    """Owned by the activity issue (sign-in at a service-centre event)."""
    return PASS


@router.scene("provider:", placeholder=True)
async def provider_card(ctx: Context, value: str) -> Any:
    """Owned by the provider issue (a provider's QR code)."""
    return PASS
