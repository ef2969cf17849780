"""H5 sign-in through WeChat's web OAuth, the session cookie, and the page layout.

WeChat's side (the code exchange at `/sns/oauth2/access_token`) is the simulator's.
"""

from __future__ import annotations

from http.cookies import SimpleCookie
from urllib.parse import parse_qs, urlsplit

import pytest
from pydantic import SecretStr

from app.identity.models import Follower
from handlers.h5 import session
from handlers.h5.oauth import AUTHORIZE_URL, STATE_KEY, safe_next
from tests.conftest import TEST_APPID

OPENID = "oWebVisitor01"


@pytest.fixture
async def oauth_code(wechat, http):
    """The follower's tap through WeChat's authorize page: the simulator issues a code for OPENID."""
    async with http.post(f"{wechat.url}/_sim/oauth_codes", json={"appid": TEST_APPID, "openid": OPENID}) as response:
        assert response.status == 200
        return (await response.json())["code"]


async def exchanges(wechat, http) -> list[dict]:
    async with http.get(f"{wechat.url}/_sim/records", params={"api": "/sns/oauth2/access_token"}) as response:
        return (await response.json())["records"]


async def start(http, server: str, next_path: str | None = "/h5/policies/42") -> str:
    params = {"next": next_path} if next_path is not None else {}
    async with http.get(f"{server}/h5/oauth/start", params=params, allow_redirects=False) as response:
        assert response.status == 302
        return response.headers["Location"]


async def test_sign_in_starts_at_wechats_authorize_page_with_a_one_time_state(server, http, settings, redis):
    location = await start(http, server)
    url, fragment = location.split("#")
    assert url.startswith(AUTHORIZE_URL + "?") and fragment == "wechat_redirect"
    query = parse_qs(urlsplit(url).query)
    assert list(query) == ["appid", "redirect_uri", "response_type", "scope", "state"]  # WeChat's order
    assert query["appid"] == [TEST_APPID] and query["response_type"] == ["code"] and query["scope"] == ["snsapi_base"]
    assert query["redirect_uri"] == [settings.public_base_url + "/h5/oauth/callback"]
    state = query["state"][0]
    assert await redis.get(STATE_KEY.format(state=state)) == b"/h5/policies/42"
    assert 0 < await redis.ttl(STATE_KEY.format(state=state)) <= 300


@pytest.mark.parametrize(
    "given",
    [
        "https://evil.example/h5/",
        "//evil.example/h5/",
        "/admin/",
        "/h5/../admin",
        "/h5\\@evil.example",
        "javascript:alert(1)",
        "/h5//evil.example",
        "",
        None,
        "/h5x",
    ],
)
def test_next_is_limited_to_this_sites_h5_pages(given):
    assert safe_next(given) == "/h5/"


@pytest.mark.parametrize("given", ["/h5/", "/h5", "/h5/policies/42", "/h5/survey?id=7&from=menu"])
def test_next_keeps_h5_paths(given):
    assert safe_next(given) == given


async def test_the_callback_exchanges_the_code_sets_a_signed_cookie_and_goes_to_next(
    server, http, settings, wechat, oauth_code, db
):
    state = parse_qs(urlsplit((await start(http, server)).split("#")[0]).query)["state"][0]
    async with http.get(
        f"{server}/h5/oauth/callback", params={"code": oauth_code, "state": state}, allow_redirects=False
    ) as response:
        assert response.status == 302 and response.headers["Location"] == "/h5/policies/42"
        raw_cookie = response.headers["Set-Cookie"]
    [exchange] = await exchanges(wechat, http)
    assert exchange["params"]["grant_type"] == "authorization_code" and exchange["params"]["code"] == oauth_code

    cookie = SimpleCookie()
    cookie.load(raw_cookie)
    morsel = cookie[session.COOKIE_NAME]
    assert morsel["httponly"] and morsel["samesite"] == "Lax" and morsel["path"] == "/h5"
    assert not morsel["secure"]  # plain http in the test; see the https test below
    assert session.unsign(morsel.value, secret_key=settings.secret_key.get_secret_value()) == OPENID
    follower = await Follower.get(openid=OPENID)
    assert not follower.subscribed  # a visitor is not a follower until they subscribe

    # The state works once.
    async with http.get(f"{server}/h5/oauth/callback", params={"code": oauth_code, "state": state}) as response:
        assert response.status == 400 and "登录链接已失效" in await response.text()


async def test_a_used_or_bad_code_shows_a_chinese_page(server, http, wechat, db):
    state = parse_qs(urlsplit((await start(http, server)).split("#")[0]).query)["state"][0]
    async with http.get(f"{server}/h5/oauth/callback", params={"code": "bad", "state": state}) as response:
        assert response.status == 400
        page = await response.text()
    assert "未能登录" in page and 'lang="zh-CN"' in page


async def test_the_cookie_is_secure_when_the_site_is_served_over_https(serve, settings, http, oauth_code, db):
    async with serve(settings.model_copy(update={"public_base_url": "https://qiyun.example.gov.cn"})) as url:
        state = parse_qs(urlsplit((await start(http, url)).split("#")[0]).query)["state"][0]
        async with http.get(
            f"{url}/h5/oauth/callback", params={"code": oauth_code, "state": state}, allow_redirects=False
        ) as response:
            cookie = SimpleCookie()
            cookie.load(response.headers["Set-Cookie"])
    assert cookie[session.COOKIE_NAME]["secure"]


async def test_sign_in_is_refused_without_a_secret_key(serve, settings, http, db):
    async with serve(settings.model_copy(update={"secret_key": SecretStr("")})) as url:
        async with http.get(f"{url}/h5/oauth/start", allow_redirects=False) as response:
            assert response.status == 503


def test_a_session_value_that_was_tampered_with_or_expired_is_refused():
    value = session.sign(openid=OPENID, secret_key="k" * 32, now=1000.0, ttl=60)
    assert session.unsign(value, secret_key="k" * 32, now=1059.0) == OPENID
    assert session.unsign(value, secret_key="k" * 32, now=1061.0) is None
    assert session.unsign(value, secret_key="x" * 32, now=1000.0) is None
    payload, mac = value.split(".")
    forged = session.sign(openid="oSomeoneElse", secret_key="x" * 32, now=1000.0).split(".")[0]
    assert session.unsign(f"{forged}.{mac}", secret_key="k" * 32, now=1000.0) is None
    assert session.unsign("garbage", secret_key="k" * 32) is None


async def test_the_h5_layout_is_a_mobile_chinese_utf8_page(server, http):
    async with http.get(f"{server}/h5/") as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/html") and "utf-8" in response.headers["Content-Type"]
        page = await response.text()
    assert '<html lang="zh-CN">' in page and '<meta charset="utf-8">' in page
    assert 'name="viewport"' in page and "企业服务云" in page and "惠企政策" in page
