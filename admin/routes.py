"""The staff admin panel under /admin: server-rendered pages, htmx for partial updates.

This module assembles the blueprint the app factory registers: the request and
response hooks every page passes through (admin/security.py), the static files, and
the view modules (one per area, in admin/views/).
"""

from __future__ import annotations

from pathlib import Path

from admin.blueprint import bp
from admin.security import finish_response, start_request
from admin.views import (  # noqa: F401
    activities,
    appeal_intake,
    appeal_reports,
    appeals,
    audit,
    auth,
    autoreplies,
    campaigns,
    directory,
    engagements,
    followers,
    home,
    menu,
    notifications,
    organisations,
    policies,
    providers,
    report_pages,
    reports,
    staff,
    survey_results,
    survey_sampling,
    survey_tracking,
    surveys,
    tags,
)

__all__ = ["bp"]

STATIC = Path(__file__).resolve().parent / "static"

bp.static("/static", str(STATIC), name="static")
bp.on_request(start_request)
bp.on_response(finish_response)
