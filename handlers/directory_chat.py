"""Public services in the chat: the "相关公共服务" lines added to a keyword search's answer
(`handlers.policy_chat.answer_search`), linking to the H5 service pages."""

from __future__ import annotations

import html
from urllib.parse import quote

from app.directory.display import badge
from app.directory.related import related_services
from handlers.context import Context

__all__ = ["related_services_text", "service_url"]

HEADER = "相关公共服务："


def service_url(ctx: Context, entry_id: int) -> str:
    return f"{ctx.settings.public_base_url.rstrip('/')}/h5/services/{entry_id}"


async def related_services_text(ctx: Context, query: str) -> str:
    """The lines listing public services that match `query` ('' when none, or when
    DIRECTORY_RELATED_RESULTS is 0)."""
    hits = await related_services(query=query, limit=ctx.settings.directory_related_results)
    if not hits:
        return ""
    lines = [HEADER]
    for hit in hits:
        title = html.escape(hit.entry.title)
        lines.append(f'· <a href="{service_url(ctx, hit.entry.id)}">{title}</a>（{badge(hit.entry)}）')
    base = ctx.settings.public_base_url.rstrip("/")
    lines.append(f'<a href="{base}/h5/services?q={quote(query)}">查看全部公共服务</a>')
    return "\n".join(lines)
