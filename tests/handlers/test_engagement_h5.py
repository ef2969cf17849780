"""The H5 engagement pages opened from the chat: engage a product from the provider page's
form, follow it, confirm completion or say it is not done, cancel, rate; CSRF-protected."""

from __future__ import annotations

import html
import re

import pytest

from app.engagement import service
from app.engagement.models import Engagement, EngagementStatus, ProviderRating
from app.identity.models import EnterpriseBinding, Follower
from handlers.h5 import session
from tests.engagement.factories import engage, make_cast, take_to
from tests.identity.factories import make_enterprise


async def cookie_for(settings, user) -> dict[str, str]:
    follower = await Follower.get(user_id=user.id)
    value = session.sign(openid=follower.openid, secret_key=settings.secret_key.get_secret_value())
    return {"Cookie": f"{session.COOKIE_NAME}={value}"}


async def get(http, url: str, headers: dict[str, str]) -> tuple[int, str]:
    async with http.get(url, headers=headers, allow_redirects=False) as response:
        return response.status, await response.text()


async def post(http, url: str, form: dict[str, str], headers: dict[str, str]) -> tuple[int, str, str]:
    async with http.post(url, data=form, headers=headers, allow_redirects=False) as response:
        return response.status, response.headers.get("Location", ""), await response.text()


def token_in(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


async def test_engage_from_the_product_form_then_confirm_and_rate(server, http, db, settings):
    cast = await make_cast()
    headers = await cookie_for(settings, cast.user)
    status, page = await get(http, f"{server}/h5/engagements/new?product_id={cast.product.id}", headers)
    assert status == 200 and "高新技术企业认定辅导" in page and cast.enterprise.name in page
    token = token_in(page)

    refused, _, _ = await post(http, f"{server}/h5/engagements", {"product_id": str(cast.product.id)}, headers)
    assert refused == 403  # no CSRF token
    status, location, _ = await post(
        http, f"{server}/h5/engagements", {"product_id": str(cast.product.id), "note": "年内申报", "csrf_token": token},
        headers)
    engagement = await Engagement.get()
    assert (status, location) == (303, f"/h5/engagements/{engagement.id}?done=request")
    assert engagement.channel == "h5" and engagement.enterprise_id == cast.enterprise.id
    status, _, page = await post(http, f"{server}/h5/engagements",
                                 {"product_id": str(cast.product.id), "csrf_token": token}, headers)
    assert status == 409 and "贵企业已委托该服务" in html.unescape(page)

    await service.accept(engagement_id=engagement.id, user=cast.member)
    await service.deliver(engagement_id=engagement.id, user=cast.member, note="材料已提交", settings=settings)
    status, page = await get(http, f"{server}/h5/engagements/{engagement.id}", headers)
    assert "确认已完成" in page and "材料已提交" in page
    status, _, page = await post(http, f"{server}/h5/engagements/{engagement.id}/reopen",
                                 {"reason": "", "csrf_token": token}, headers)
    assert status == 400 and "请填写还有哪些没有完成" in page
    status, location, _ = await post(http, f"{server}/h5/engagements/{engagement.id}/confirm",
                                     {"csrf_token": token}, headers)
    assert location == f"/h5/engagements/{engagement.id}?done=confirm"
    status, page = await get(http, f"{server}{location}", headers)
    assert 'id="rate"' in page and "评价本次服务" in page

    status, _, page = await post(http, f"{server}/h5/engagements/{engagement.id}/rate",
                                 {"overall": "9", "csrf_token": token}, headers)
    assert status == 400 and "总体评价请打 1–5 分" in page
    form = {"overall": "4", "d0": "5", "d1": "3", "comment": "专业", "token": "t1", "csrf_token": token}
    status, location, _ = await post(http, f"{server}/h5/engagements/{engagement.id}/rate", form, headers)
    assert location == f"/h5/engagements/{engagement.id}?done=rate"
    again, location, _ = await post(http, f"{server}/h5/engagements/{engagement.id}/rate", form, headers)
    assert again == 303  # the same form sent twice: one rating
    rating = await ProviderRating.get(engagement_id=engagement.id)
    assert (rating.overall, rating.dimensions, rating.channel) == (4, {"专业能力": 5, "响应速度": 3}, "h5")


async def test_with_several_enterprises_the_form_asks_which(server, http, db, settings):
    cast = await make_cast()
    second = await make_enterprise(name="上海第二委托有限公司")
    await EnterpriseBinding.create(user=cast.user, enterprise=second, role="contact", verified_by="test")
    headers = await cookie_for(settings, cast.user)
    _, page = await get(http, f"{server}/h5/engagements/new?product_id={cast.product.id}", headers)
    status, _, page = await post(http, f"{server}/h5/engagements",
                                 {"product_id": str(cast.product.id), "csrf_token": token_in(page)}, headers)
    assert status == 200 and "上海第二委托有限公司" in page and "委托企业" in page
    assert await Engagement.all().count() == 0


async def test_cancel_and_other_peoples_engagements(server, http, db, settings):
    cast = await make_cast()
    engagement = await engage(cast)
    headers = await cookie_for(settings, cast.user)
    _, page = await get(http, f"{server}/h5/engagements", headers)
    assert f"/h5/engagements/{engagement.id}" in page
    _, page = await get(http, f"{server}/h5/engagements/{engagement.id}", headers)
    status, location, _ = await post(http, f"{server}/h5/engagements/{engagement.id}/cancel",
                                     {"reason": "预算调整", "csrf_token": token_in(page)}, headers)
    assert status == 303
    assert (await Engagement.get(id=engagement.id)).status == EngagementStatus.cancelled
    other = await make_cast()
    stranger_engagement = await take_to("accepted", other, settings)
    status, page = await get(http, f"{server}/h5/engagements/{stranger_engagement.id}", headers)
    assert status == 404 and "该服务订单不存在" in page


@pytest.mark.parametrize("path", ["/h5/engagements", "/h5/engagements/1"])
async def test_without_a_session_the_pages_send_the_visitor_to_sign_in(server, http, db, path):
    status, _ = await get(http, f"{server}{path}", {})
    assert status == 302
