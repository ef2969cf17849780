"""What every admin request passes through: session, signed-in staff, CSRF, headers.

Registered once on the blueprint (see routes.py), so no page can forget it:

* the session is read from the cookie; the staff member is reloaded from the database
  on every request, so a deactivated account, a changed role or a changed password
  (which ends other sessions) applies at once;
* every state-changing request (anything but GET/HEAD/OPTIONS) must carry the session's
  CSRF token — as the form field `csrf_token` or the `X-CSRF-Token` header (htmx) —
  compared in constant time, or it gets a 403 page;
* everything except the sign-in page needs a signed-in person;
* responses are never cached and may not be framed; the CSP allows only our own
  scripts and styles (htmx is vendored, nothing comes from a CDN).
"""

from __future__ import annotations

import calendar
import hmac
from urllib.parse import quote

from sanic import Request
from sanic.response import HTTPResponse, redirect

from admin.render import csrf_refused
from admin.sessions import COOKIE, Session, SessionStore
from app.staff.models import Staff

__all__ = ["auth_stamp", "client_ip", "finish_response", "start_request", "store_for", "use_session"]

PUBLIC_PATHS = frozenset({"/admin/login"})
PASSWORD_CHANGE_PATHS = frozenset({"/admin/password", "/admin/logout"})
STATIC_PREFIX = "/admin/static/"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"

SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'"
    ),
}


def store_for(request: Request) -> SessionStore:
    return SessionStore(request.app.ctx.resources.redis)


def auth_stamp(staff: Staff) -> str:
    """What a session remembers of the password it was opened with: the instant it was set
    (independent of the time zone the database hands it back in)."""
    changed = staff.password_changed_at
    if changed is None:
        return ""
    return f"{calendar.timegm(changed.utctimetuple())}.{changed.microsecond:06d}"


def client_ip(request: Request) -> str:
    return (request.remote_addr or request.ip or "")[:45]


def use_session(request: Request, session: Session | None) -> None:
    """Make `session` the request's session and send its cookie (None: clear the cookie)."""
    request.ctx.session = session
    request.ctx.cookie_change = session.id if session is not None else ""


async def start_request(request: Request) -> HTTPResponse | None:
    request.ctx.staff = None
    request.ctx.session = None
    request.ctx.session_dirty = False
    if request.path.startswith(STATIC_PREFIX):
        return None
    store = store_for(request)
    session = await store.load(request.cookies.get(COOKIE))
    staff = None
    if session is not None and session.staff_id is not None:
        staff = await Staff.filter(id=session.staff_id).select_related("organisation").first()
        if staff is None or not staff.is_active or session.auth_stamp != auth_stamp(staff):
            await store.destroy(session.id)
            session, staff = None, None
            use_session(request, None)
    request.ctx.session = session
    request.ctx.staff = staff
    if request.method not in SAFE_METHODS and not _csrf_ok(request, session):
        return csrf_refused(request)
    if staff is not None and staff.must_change_password and request.path not in PASSWORD_CHANGE_PATHS:
        # Someone else chose this password (a new account or a reset): it is the account
        # holder's own before anything else is done with it.
        if request.headers.get("HX-Request"):
            return HTTPResponse(status=204, headers={"HX-Redirect": "/admin/password"})
        return redirect("/admin/password", status=303)
    if staff is None and request.path not in PUBLIC_PATHS:
        target = "/admin/login"
        if request.method == "GET" and request.path not in ("/admin", "/admin/"):
            target += "?next=" + quote(request.path + (f"?{request.query_string}" if request.query_string else ""))
        if request.headers.get("HX-Request"):
            return HTTPResponse(status=204, headers={"HX-Redirect": target})
        return redirect(target, status=303)
    return None


async def finish_response(request: Request, response: HTTPResponse) -> None:
    if request.path.startswith(STATIC_PREFIX):
        response.headers.setdefault("Cache-Control", "public, max-age=3600")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        return
    session: Session | None = getattr(request.ctx, "session", None)
    if session is not None and getattr(request.ctx, "session_dirty", False):
        await store_for(request).save(session)
    change = getattr(request.ctx, "cookie_change", None)
    if change is not None:
        secure = request.app.ctx.resources.settings.public_base_url.startswith("https://")
        # An empty value with Max-Age=0 clears the cookie (same attributes as when it was set).
        response.add_cookie(
            COOKIE, change, path="/admin", httponly=True, samesite="Lax", secure=secure,
            max_age=None if change else 0,
        )
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)


def _csrf_ok(request: Request, session: Session | None) -> bool:
    if session is None:
        return False
    sent = request.headers.get(CSRF_HEADER) or ""
    if not sent:
        form = request.form or {}
        sent = form.get(CSRF_FIELD) or ""
    return bool(sent) and hmac.compare_digest(str(sent).encode("utf-8"), session.csrf.encode("utf-8"))
