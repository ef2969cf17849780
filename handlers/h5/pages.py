"""The H5 page layout: mobile-first, UTF-8, Chinese. Pages render into it with `render_page`."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sanic import Request
from sanic.response import HTTPResponse, html

from handlers.h5.session import current_openid

__all__ = ["index", "message_page", "render_page"]

_templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
    enable_async=False,
)


def render_page(template: str, *, title: str, status: int = 200, **context: object) -> HTTPResponse:
    """A page in the common layout (templates extend `layout.html`)."""
    body = _templates.get_template(template).render(title=title, **context)
    response = html(body, status=status)
    response.headers["Cache-Control"] = "no-store"
    return response


def message_page(*, title: str, message: str, status: int) -> HTTPResponse:
    """A short notice page (sign-in expired, failed ...)."""
    return render_page("message.html", title=title, message=message, status=status)


async def index(request: Request) -> HTTPResponse:
    """The H5 home: what the web channel will offer; later issues fill the sections."""
    return render_page("index.html", title="企业服务云", signed_in=current_openid(request) is not None)
