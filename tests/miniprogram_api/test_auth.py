"""Sign-in with a wx.login code, sessions, sign-out, the profile and the verified phone number."""

from __future__ import annotations

import logging

from app.identity.models import Follower, MiniProgramUser, WeChatUser
from app.identity.sessions import KEY_PREFIX

from ..identity.factories import make_follower


async def test_login_through_wechat_issues_a_session(mp, redis) -> None:
    code = await mp.login_code("mp-openid-alice", unionid="union-alice")

    reply = await mp.call("POST", "/mp/v1/auth/login", json_body={"code": code})

    assert reply.status == 200, reply.text
    body = reply.json
    assert set(body) == {"token", "expires_at", "user"}
    assert len(body["token"]) >= 43
    assert reply.headers["Cache-Control"] == "no-store"
    assert body["user"]["phone"] == "" and body["user"]["has_phone"] is False
    account = await MiniProgramUser.get(openid="mp-openid-alice").prefetch_related("user")
    assert account.unionid == "union-alice" and account.user.unionid == "union-alice"
    assert body["user"]["id"] == account.user_id
    assert await redis.keys(f"{KEY_PREFIX}*")

    me = await mp.call("GET", "/mp/v1/me", token=body["token"])
    assert me.status == 200, me.text
    assert me.json["id"] == account.user_id


async def test_the_session_key_never_leaves_the_server(mp, resources, redis, monkeypatch, caplog) -> None:
    seen: dict[str, str] = {}
    original = resources.miniprogram.wxa.jscode2session

    async def spy(js_code: str):
        result = await original(js_code)
        seen["session_key"] = result["session_key"]
        return result

    monkeypatch.setattr(resources.miniprogram.wxa, "jscode2session", spy)
    caplog.set_level(logging.DEBUG)

    reply = await mp.call("POST", "/mp/v1/auth/login", json_body={"code": await mp.login_code("mp-openid-bob")})

    assert reply.status == 200, reply.text
    session_key = seen["session_key"]
    assert session_key
    assert "session_key" not in reply.text and session_key not in reply.text
    for key, value in await _everything_in(redis):
        assert session_key.encode() not in value, key
        assert b"session_key" not in value, key
    assert session_key not in caplog.text


async def test_a_used_login_code_is_refused_with_the_envelope(mp) -> None:
    code = await mp.login_code("mp-openid-carol")
    first = await mp.call("POST", "/mp/v1/auth/login", json_body={"code": code})
    assert first.status == 200

    again = await mp.call("POST", "/mp/v1/auth/login", json_body={"code": code})

    assert again.status == 400
    assert again.error["code"] == "login_code_invalid"
    assert again.error["message"] == "登录凭证无效或已被使用，请重新登录"


async def test_an_unknown_login_code_is_refused(mp) -> None:
    reply = await mp.call("POST", "/mp/v1/auth/login", json_body={"code": "no-such-code"})

    assert reply.status == 400
    assert reply.error["code"] == "login_code_invalid"


async def test_login_links_to_the_follower_with_the_same_unionid(mp) -> None:
    follower = await make_follower(openid="oa-openid-dave", unionid="union-dave", user_unionid="union-dave")

    token, user = await mp.login("mp-openid-dave", unionid="union-dave")

    assert user["id"] == follower.user_id
    assert await WeChatUser.all().count() == 1
    me = await mp.call("GET", "/mp/v1/me", token=token)
    assert me.json["follows_official_account"] is True


async def test_an_earlier_account_is_merged_with_the_follower_when_the_unionid_arrives(mp) -> None:
    _, early = await mp.login("mp-openid-erin")
    follower = await make_follower(openid="oa-openid-erin", unionid="union-erin", user_unionid=None)

    _, later = await mp.login("mp-openid-erin", unionid="union-erin")

    assert later["id"] == follower.user_id != early["id"]
    assert not await WeChatUser.filter(id=early["id"]).exists()
    assert (await Follower.get(id=follower.id)).user_id == later["id"]


async def test_logout_ends_the_session(mp, redis) -> None:
    token, _ = await mp.login()

    out = await mp.call("POST", "/mp/v1/auth/logout", token=token)
    after = await mp.call("GET", "/mp/v1/me", token=token)

    assert out.status == 204
    assert after.status == 401
    assert after.error["code"] == "session_expired"
    assert after.headers.get("WWW-Authenticate", "").startswith("Bearer")
    assert not await redis.keys(f"{KEY_PREFIX}*")


async def test_requests_without_a_token_are_unauthenticated(mp) -> None:
    reply = await mp.call("GET", "/mp/v1/me")

    assert reply.status == 401
    assert reply.error["code"] == "unauthenticated"
    assert reply.error["message"] == "请先登录"


async def test_the_phone_number_is_verified_stored_and_shown_masked(mp) -> None:
    token, user = await mp.login()

    reply = await mp.call(
        "POST", "/mp/v1/me/phone", token=token, json_body={"code": await mp.phone_code("13812341234")}
    )

    assert reply.status == 200, reply.text
    assert reply.json["phone"] == "138****1234" and reply.json["has_phone"] is True
    assert (await WeChatUser.get(id=user["id"])).phone == "13812341234"
    me = await mp.call("GET", "/mp/v1/me", token=token)
    assert me.json["phone"] == "138****1234"
    assert "13812341234" not in me.text and "13812341234" not in reply.text


async def test_a_used_phone_code_is_refused(mp) -> None:
    token, _ = await mp.login()
    code = await mp.phone_code("13812341234")
    assert (await mp.call("POST", "/mp/v1/me/phone", token=token, json_body={"code": code})).status == 200

    again = await mp.call("POST", "/mp/v1/me/phone", token=token, json_body={"code": code})

    assert again.status == 400
    assert again.error["code"] == "phone_code_invalid"


async def test_the_profile_lists_the_bindings(mp) -> None:
    token, _ = await mp.login()

    me = await mp.call("GET", "/mp/v1/me", token=token)

    assert me.status == 200
    assert me.json["enterprises"] == []
    assert {"id", "phone", "has_phone", "created_at", "follows_official_account", "enterprises"} == set(me.json)


async def _everything_in(redis) -> list[tuple[bytes, bytes]]:
    """Every key with its value flattened to bytes, whatever the Redis type."""
    found = []
    for key in await redis.keys("*"):
        kind = (await redis.type(key)).decode()
        if kind == "string":
            value = await redis.get(key)
        elif kind == "hash":
            value = b" ".join(k + b"=" + v for k, v in (await redis.hgetall(key)).items())
        elif kind == "list":
            value = b" ".join(await redis.lrange(key, 0, -1))
        elif kind == "set":
            value = b" ".join(await redis.smembers(key))
        elif kind == "zset":
            value = b" ".join(await redis.zrange(key, 0, -1))
        else:
            value = b""
        found.append((key, key + b" " + (value or b"")))
    return found


async def _fault(mp, api: str, errcode: int) -> None:
    async with mp.http.post(
        f"{mp.wechat_url}/_sim/faults", json={"api": api, "kind": "errcode", "errcode": errcode, "times": 1}
    ) as response:
        assert response.status < 400, await response.text()


async def test_a_risky_wechat_account_is_told_it_cannot_sign_in(mp) -> None:
    code = await mp.login_code("mp-openid-risky")
    await _fault(mp, "/sns/jscode2session", 40226)

    reply = await mp.call("POST", "/mp/v1/auth/login", json_body={"code": code})

    assert reply.status == 403
    assert reply.error["code"] == "login_blocked"


async def test_wechat_throttling_is_passed_on_as_429(mp) -> None:
    code = await mp.login_code("mp-openid-busy")
    await _fault(mp, "/sns/jscode2session", 45011)

    reply = await mp.call("POST", "/mp/v1/auth/login", json_body={"code": code})

    assert reply.status == 429
    assert reply.error["code"] == "wechat_rate_limited"
    assert reply.headers["Retry-After"] == "60"
    assert not await MiniProgramUser.exists()
