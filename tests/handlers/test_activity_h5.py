"""The H5 ticket page: its owner sees the QR code of their ticket; nobody else does."""

from __future__ import annotations

from app.identity.models import Follower
from handlers.h5 import session
from tests.activity.factories import make_activity, make_person, sign_up
from tests.activity.qr import decode_qr_png


async def _cookie(user, settings) -> dict[str, str]:
    follower = await Follower.get(user_id=user.id)
    value = session.sign(openid=follower.openid, secret_key=settings.secret_key.get_secret_value())
    return {"Cookie": f"{session.COOKIE_NAME}={value}"}


async def test_the_ticket_page_shows_its_qr_code_to_its_owner_only(server, http, settings):
    activity = await make_activity(title="企业知识产权诊断")
    owner, stranger = await make_person(), await make_person()
    code = (await sign_up(activity, owner, name="孙丽")).signup.ticket_code

    async with http.get(f"{server}/h5/activities/tickets/{code}", allow_redirects=False) as response:
        assert response.status == 302 and response.headers["Location"].startswith("/h5/oauth/start")
    async with http.get(f"{server}/h5/activities/tickets/{code}", headers=await _cookie(owner, settings)) as response:
        page = await response.text()
        assert response.status == 200 and "企业知识产权诊断" in page and code in page and "孙丽" in page
    async with http.get(f"{server}/h5/activities/tickets/{code}/qr.png", headers=await _cookie(owner, settings)) as response:
        assert response.status == 200
        assert decode_qr_png(await response.read()) == code
    async with http.get(f"{server}/h5/activities/tickets/{code}", headers=await _cookie(stranger, settings)) as response:
        assert response.status == 404
    async with http.get(f"{server}/h5/activities/tickets", headers=await _cookie(owner, settings)) as response:
        assert "企业知识产权诊断" in await response.text()
