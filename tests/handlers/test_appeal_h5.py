"""H5 appeal pages: my appeals, the detail with its public timeline, 补充材料 and 确认并评价,
signed in through the H5 session and protected against CSRF."""

from __future__ import annotations

import html
import re

import pytest

from app.appeal import service
from app.appeal.models import Appeal, AppealStatus, CloseReason
from app.appeal.service import IncomingFile
from app.identity.models import Follower
from handlers.h5 import session
from handlers.h5.csrf import token_for
from tests.appeal.factories import file_appeal, make_cast, make_enterprise_user, take_to

PNG = (  # a red pixel
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"
    b"\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef\x00\x00\x00\x00IEND\xaeB`\x82"
)
INTERNAL_NOTE = "企业负责人电话沟通态度强硬，内部先行研判"


@pytest.fixture
async def cast(db):
    return await make_cast()


async def cookie_for(settings, user) -> dict[str, str]:
    follower = await Follower.get(user_id=user.id)
    value = session.sign(openid=follower.openid, secret_key=settings.secret_key.get_secret_value())
    return {"Cookie": f"{session.COOKIE_NAME}={value}"}


async def get(http, url: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    async with http.get(url, headers=headers or {}, allow_redirects=False) as response:
        return response.status, await response.text()


async def post(http, url: str, form: dict[str, str], headers: dict[str, str]) -> tuple[int, str, str]:
    async with http.post(url, data=form, headers=headers, allow_redirects=False) as response:
        return response.status, response.headers.get("Location", ""), await response.text()


def token_in(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


async def test_without_a_session_the_pages_send_the_visitor_to_sign_in(server, http, cast, settings):
    appeal = await file_appeal(cast, settings)
    async with http.get(f"{server}/h5/appeals/{appeal.id}", allow_redirects=False) as response:
        assert response.status == 302
        assert response.headers["Location"] == f"/h5/oauth/start?next=%2Fh5%2Fappeals%2F{appeal.id}"


async def test_my_appeals_lists_the_visitors_appeals_only(server, http, cast, settings):
    mine = await file_appeal(cast, settings)
    stranger = await make_enterprise_user()
    theirs = await file_appeal(cast, settings, user=stranger, enterprise_id=None, enterprise_name="别家公司")
    status, page = await get(http, f"{server}/h5/appeals", await cookie_for(settings, cast.user))
    assert status == 200 and '<meta charset="utf-8">' in page
    assert mine.number in page and theirs.number not in page
    assert "共 1 件诉求" in page and "受理时限" in page


async def test_the_detail_shows_the_public_timeline_and_photos_and_hides_internal_notes(server, http, cast, settings):
    appeal = await file_appeal(cast, settings, files=[IncomingFile(data=PNG, filename="现场.png")])
    appeal = await take_to("dispatched", cast, settings, appeal)
    await service.add_note(appeal_id=appeal.id, staff=cast.dispatcher, text=INTERNAL_NOTE)
    await service.request_info(appeal_id=appeal.id, staff=cast.keji, question="请提供高新技术企业认定的受理回执。")

    status, page = await get(http, f"{server}/h5/appeals/{appeal.id}", await cookie_for(settings, cast.user))
    assert status == 200 and appeal.number in page
    for step in ("提交诉求", "受理", "分派", "请企业补充材料"):
        assert f'<div class="what">{step}</div>' in page
    assert "承办单位：" in page and "请提供高新技术企业认定的受理回执。" in page
    assert INTERNAL_NOTE not in page and "内部备注" not in page
    assert "办结时限" in page
    photo = re.search(r'<img src="(/files/appeal/\d+\?expires=\d+&amp;sig=[0-9a-f]+)"', page)
    assert photo, "the photo is shown through a signed link"
    async with http.get(server + html.unescape(photo.group(1))) as response:  # no session needed: the link is signed
        assert response.status == 200 and response.content_type == "image/png" and await response.read() == PNG
    assert "补充材料" in page and "确认并评价" not in page  # nothing to confirm before a reply
    assert "dispatcher 测试" not in page and "keji 测试" not in page  # organisations act, not people


async def test_information_is_added_from_the_detail_page(server, http, cast, settings):
    appeal = await take_to("in_progress", cast, settings)
    headers = await cookie_for(settings, cast.user)
    _, page = await get(http, f"{server}/h5/appeals/{appeal.id}", headers)
    url = f"{server}/h5/appeals/{appeal.id}/supplement"

    status, _, refused = await post(http, url, {"csrf_token": token_in(page), "text": " "}, headers)
    assert status == 400 and "请填写补充内容" in refused

    status, location, _ = await post(http, url, {"csrf_token": token_in(page), "text": "受理回执已拍照补充。"}, headers)
    assert status == 303 and location == f"/h5/appeals/{appeal.id}?done=supplement"
    _, page = await get(http, f"{server}{location}", headers)
    assert "补充材料已提交" in page and "企业补充材料" in page and "受理回执已拍照补充。" in page


async def test_confirming_a_reply_as_resolved_closes_the_appeal_with_the_satisfaction(server, http, cast, settings):
    appeal = await take_to("replied", cast, settings)
    headers = await cookie_for(settings, cast.user)
    _, page = await get(http, f"{server}/h5/appeals/{appeal.id}", headers)
    assert "确认并评价" in page and "非常不满意" in page
    form = {"csrf_token": token_in(page), "resolved": "yes", "satisfaction": "satisfied", "comment": "答复及时"}
    status, location, _ = await post(http, f"{server}/h5/appeals/{appeal.id}/confirm", form, headers)
    assert status == 303 and location.endswith("?done=confirm")

    closed = await Appeal.get(id=appeal.id)
    assert closed.status == AppealStatus.closed and closed.close_reason == CloseReason.resolved
    assert closed.satisfaction == "satisfied" and closed.satisfaction_comment == "答复及时"
    _, page = await get(http, f"{server}{location}", headers)
    assert "感谢您的确认和评价" in page and "满意度：满意" in page and "确认并评价</h2>" not in page


async def test_an_unresolved_reply_needs_a_reason_and_then_reopens_the_appeal(server, http, cast, settings):
    appeal = await take_to("replied", cast, settings)
    headers = await cookie_for(settings, cast.user)
    _, page = await get(http, f"{server}/h5/appeals/{appeal.id}", headers)
    url = f"{server}/h5/appeals/{appeal.id}/confirm"
    form = {"csrf_token": token_in(page), "resolved": "no", "satisfaction": "dissatisfied", "comment": ""}

    status, _, refused = await post(http, url, form, headers)
    assert status == 400 and "请说明还有哪些问题没有解决" in refused
    assert 'value="no" checked' in refused  # the answers are kept
    assert (await Appeal.get(id=appeal.id)).status == AppealStatus.replied

    status, _, missing = await post(http, url, {**form, "resolved": ""}, headers)
    assert status == 400 and "请选择问题是否已经解决" in missing

    status, location, _ = await post(http, url, {**form, "comment": "认定结果仍未公示"}, headers)
    assert status == 303 and location.endswith("?done=reopen")
    reopened = await Appeal.get(id=appeal.id)
    assert reopened.status == AppealStatus.accepted and reopened.reopen_count == 1
    _, page = await get(http, f"{server}{location}", headers)
    assert "诉求将重新分派办理" in page and "认定结果仍未公示" in page


async def test_someone_elses_appeal_is_not_found(server, http, cast, settings):
    appeal = await take_to("replied", cast, settings)
    stranger = await make_enterprise_user()
    headers = await cookie_for(settings, stranger)
    status, page = await get(http, f"{server}/h5/appeals/{appeal.id}", headers)
    assert status == 404 and "该诉求不存在，或您无权查看" in page and appeal.number not in page

    _, own_page = await get(http, f"{server}/h5/appeals", headers)
    form = {"csrf_token": token_in_or_session(own_page, settings, headers), "resolved": "yes",
            "satisfaction": "very_satisfied"}
    status, _, page = await post(http, f"{server}/h5/appeals/{appeal.id}/confirm", form, headers)
    assert status == 404 and (await Appeal.get(id=appeal.id)).status == AppealStatus.replied


async def test_a_post_without_the_sessions_csrf_token_is_refused(server, http, cast, settings):
    appeal = await take_to("replied", cast, settings)
    headers = await cookie_for(settings, cast.user)
    url = f"{server}/h5/appeals/{appeal.id}/confirm"
    form = {"resolved": "yes", "satisfaction": "satisfied"}

    status, _, page = await post(http, url, form, headers)
    assert status == 403 and "页面已过期" in page

    other = await make_enterprise_user()
    _, other_page = await get(http, f"{server}/h5/appeals", await cookie_for(settings, other))
    forged = token_in_or_session(other_page, settings, await cookie_for(settings, other))
    status, _, _ = await post(http, url, {**form, "csrf_token": forged}, headers)  # another session's token
    assert status == 403
    assert (await Appeal.get(id=appeal.id)).status == AppealStatus.replied


def token_in_or_session(page: str, settings, headers: dict[str, str]) -> str:
    """The CSRF token of the session in `headers` (from a form if the page has one)."""
    found = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page)
    if found:
        return found.group(1)
    cookie = headers["Cookie"].split("=", 1)[1]
    return token_for(cookie, settings.secret_key.get_secret_value())
