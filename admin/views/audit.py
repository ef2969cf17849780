"""The audit log: every staff action, newest first, scoped to what the reader may see."""

from __future__ import annotations

from sanic import Request
from sanic.response import HTTPResponse

from admin import forms
from admin.blueprint import bp
from admin.guard import requires
from admin.paging import page_number, paginate
from admin.render import render
from app.audit.service import ACTION_LABELS, label_of, list_entries


@bp.get("/audit")
@requires("audit.view")
async def audit_list(request: Request) -> HTTPResponse:
    filters = {name: forms.query(request, name).strip() for name in ("action", "username", "target_type", "target_id")}
    query = await list_entries(viewer=request.ctx.staff, **filters)
    page = await paginate(query.select_related("staff"), number=page_number(forms.query(request, "page")))
    params = {key: value for key, value in filters.items() if value}
    return render(request, "audit.html", page=page, filters=filters, params=params, actions=ACTION_LABELS,
                  label_of=label_of)
