"""Notification templates: every message the platform sends, as the recipient will see it.

Staff check wording, shortening and jump targets here before a template id is even
configured, and see which notifications are not configured (those are never sent).
"""

from __future__ import annotations

from sanic import Request
from sanic.response import HTTPResponse

import templates_msg
from admin.blueprint import bp
from admin.guard import requires
from admin.render import render
from templates_msg.preview import preview


@bp.get("/notifications")
@requires("notification.view")
async def notification_list(request: Request) -> HTTPResponse:
    settings = request.app.ctx.resources.settings
    previews = [preview(definition, settings=settings) for definition in templates_msg.all_definitions()]
    return render(request, "notification_list.html", previews=previews)
