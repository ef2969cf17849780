"""H5 pages of the activity schedule and tickets, opened from the chat and from template
messages: my sign-ups (`/h5/activities/tickets`) and one ticket with its QR code
(`/h5/activities/tickets/<code>`, PNG at `.../<code>/qr.png`). A ticket is shown only to its
owner (signed in through the H5 OAuth session); anyone else gets a 404 page."""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, raw

from app.activity import queries, tickets
from app.identity.models import WeChatUser
from handlers.h5.pages import message_page, render_page
from handlers.h5.session import visitor

__all__ = ["register"]

_NOT_FOUND = {"title": "电子票不存在", "message": "该电子票不存在，或不是您的电子票。", "status": 404}


def register(bp: Blueprint) -> None:
    """Adds this module's pages to the H5 blueprint (called once by `handlers.routes`)."""
    bp.add_route(my_tickets, "/h5/activities/tickets", methods=["GET"], name="h5_activity_tickets")
    bp.add_route(ticket_png, "/h5/activities/tickets/<code:str>/qr.png", methods=["GET"], name="h5_activity_ticket_png")
    bp.add_route(ticket_page, "/h5/activities/tickets/<code:str>", methods=["GET"], name="h5_activity_ticket")


async def _visitor(request: Request) -> WeChatUser | None | HTTPResponse:
    # A follower who never signed up has no tickets: no person is created for them.
    return await visitor(request, create_person=False)


async def my_tickets(request: Request) -> HTTPResponse:
    user = await _visitor(request)
    if isinstance(user, HTTPResponse):
        return user
    views = await queries.my_signups(user=user) if user is not None else []
    return render_page("activity_tickets.html", title="我的活动", views=views, when=queries.when_text)


async def ticket_page(request: Request, code: str) -> HTTPResponse:
    user = await _visitor(request)
    if isinstance(user, HTTPResponse):
        return user
    view = await queries.ticket_for_owner(code=code.upper(), user=user) if user is not None else None
    if view is None:
        return message_page(**_NOT_FOUND)
    return render_page("activity_ticket.html", title="电子票", view=view, when=queries.when_text(view.activity),
                       organiser=queries.organiser_label(view.activity))


async def ticket_png(request: Request, code: str) -> HTTPResponse:
    user = await _visitor(request)
    if isinstance(user, HTTPResponse):
        return user
    view = await queries.ticket_for_owner(code=code.upper(), user=user) if user is not None else None
    if view is None or not view.ticket_visible:
        return message_page(**_NOT_FOUND)
    return raw(tickets.qr_png(view.signup.ticket_code), content_type="image/png",
               headers={"Cache-Control": "private, no-store"})
