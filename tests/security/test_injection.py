"""SQL, template and markup injection through every kind of text field: what is typed is stored
as typed, shown escaped (admin page, H5 page), never evaluated (no 49 for {{7*7}}), and search
boxes answer normally."""

from __future__ import annotations

import aiohttp
import pytest
from markupsafe import escape

from app.appeal.models import Appeal
from app.identity.models import Follower
from app.staff.models import Staff
from handlers.h5 import session
from tests.security.hostile import INJECTIONS

IDS = ["sql-or", "sql-drop", "jinja", "dollar", "jinja-block", "script", "attribute", "printf", "nul"]
NUL = "a\x00b"


async def file_appeal(mp, token: str, text: str) -> tuple[int, dict]:
    form = aiohttp.FormData()
    for name, value in {
        "category": "technology",
        "title": text,
        "description": f"反映情况：{text}",
        "contact_name": text[:50],
        "contact_phone": "13812345678",
    }.items():
        form.add_field(name, value)
    async with mp.http.post(f"{mp.base}/mp/v1/appeals", data=form, headers={"Authorization": f"Bearer {token}"}) as response:
        return response.status, await response.json()


def shown_escaped(page: str, text: str) -> None:
    assert str(escape(text)) in page, text
    if any(mark in text for mark in "<>\"'"):
        assert text not in page, f"{text!r} reached the page unescaped"


@pytest.mark.parametrize("text", INJECTIONS, ids=IDS)
async def test_an_appeal_keeps_what_was_typed_and_every_page_escapes_it(mp, signed_in, http, server, settings, text):
    token, me = await mp.login()
    status, body = await file_appeal(mp, token, text)
    if text == NUL:
        # PostgreSQL cannot store NUL in text; it is refused as invalid input on every backend.
        assert status == 422 and body["error"]["code"] == "validation_failed", body
        assert await Appeal.all().count() == 0
        return
    assert status == 201, body
    appeal = await Appeal.get(id=body["id"])
    assert appeal.title == text and appeal.description == f"反映情况：{text}" and appeal.contact_name == text[:50]

    detail = await mp.call("GET", f"/mp/v1/appeals/{appeal.id}", token=token)
    assert detail.json["title"] == text

    admin = await signed_in("admin")
    status, page, _ = await admin.get(f"/admin/appeals/{appeal.id}")
    assert status == 200
    shown_escaped(page, text)
    status, page, _ = await admin.get("/admin/appeals")  # the dispatcher's queue, new appeals first
    assert status == 200
    shown_escaped(page, text)

    follower = await Follower.create(openid=f"oInject{appeal.id:06d}", user_id=me["id"])
    cookie = session.sign(openid=follower.openid, secret_key=settings.secret_key.get_secret_value())
    async with http.get(f"{server}/h5/appeals/{appeal.id}", headers={"Cookie": f"{session.COOKIE_NAME}={cookie}"},
                        allow_redirects=False) as response:
        assert response.status == 200
        shown_escaped(await response.text(), text)


@pytest.mark.parametrize("text", INJECTIONS, ids=IDS)
async def test_a_staff_name_keeps_what_was_typed_and_the_list_escapes_it(signed_in, text):
    admin = await signed_in("admin")
    form = {"username": "typed-name", "display_name": text, "role": "department_handler", "organisation_id": "1",
            "password": "Typed-name-2024", "password_again": "Typed-name-2024"}
    status, page, _ = await admin.post("/admin/staff/new", form)
    assert status == 303, page[:500]
    # A NUL is dropped from admin fields (no keyboard types one; PostgreSQL cannot store one).
    stored = text.replace("\x00", "")
    assert (await Staff.get(username="typed-name")).display_name == stored
    text = stored
    status, page, _ = await admin.get("/admin/staff?q=typed-name")
    assert status == 200
    shown_escaped(page, text)


@pytest.mark.parametrize("text", INJECTIONS, ids=IDS)
async def test_search_boxes_answer_hostile_text_normally(mp, signed_in, http, server, text):
    token, _ = await mp.login()
    for path in ("/mp/v1/policies", "/mp/v1/directory/search", "/mp/v1/providers", "/mp/v1/appeals"):
        reply = await mp.call("GET", f"{path}?{_query({'q': text})}", token=token)
        assert reply.status in (200, 422), (path, reply.status, reply.text[:300])
        if reply.status == 200:
            assert "items" in reply.json
    admin = await signed_in("admin")
    for path in ("/admin/appeals", "/admin/staff", "/admin/policies", "/admin/followers", "/admin/providers",
                 "/admin/directory", "/admin/audit"):
        status, page, _ = await admin.get(f"{path}?{_query({'q': text})}")
        assert status in (200, 400), (path, status, page[:300])
        if status == 200 and text != NUL:
            assert text not in page or not any(mark in text for mark in "<>\"'"), path
    async with http.get(f"{server}/h5/policies", params={"q": text}) as response:
        assert response.status in (200, 400)


def _query(params: dict[str, str]) -> str:
    from urllib.parse import urlencode

    return urlencode(params)
