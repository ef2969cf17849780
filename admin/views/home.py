"""The home page: who you are and what you may do."""

from __future__ import annotations

from sanic import Request
from sanic.response import HTTPResponse

from admin.blueprint import bp
from admin.guard import signed_in_only
from admin.render import render
from app.staff.scope import allowed_actions


@bp.get("/")
@signed_in_only
async def home(request: Request) -> HTTPResponse:
    return render(request, "home.html", actions=allowed_actions(request.ctx.staff))
