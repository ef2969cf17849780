"""The follower page at `/`: a phone-sized chat with the official account."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from aiohttp import web

__all__ = ["follower_page"]


@lru_cache(maxsize=1)
def _html() -> bytes:
    return resources.files("app.simulator.static").joinpath("follower.html").read_bytes()


async def follower_page(request: web.Request) -> web.Response:
    return web.Response(body=_html(), content_type="text/html", charset="utf-8")
