"""Mini-program APIs: login and phone codes, content checks, wxacode."""

from __future__ import annotations

import pytest

from .conftest import MP_APPID, MP_SECRET, OA_APPID, Sim

PNG = b"\x89PNG\r\n\x1a\n"


async def code2session(sim: Sim, code: str, **overrides: str) -> dict:
    params = {"appid": MP_APPID, "secret": MP_SECRET, "js_code": code, "grant_type": "authorization_code",
              **overrides}
    status, answer = await sim.request("GET", "/sns/jscode2session", params=params)
    assert status == 200
    return answer


async def test_login_code_is_single_use(sim: Sim) -> None:
    code = (await sim.control("POST", "/_sim/login_codes",
                              json={"appid": MP_APPID, "openid": "o_mp_user_1", "unionid": "u_1"}))["code"]
    session = await code2session(sim, code)
    assert session["openid"] == "o_mp_user_1" and session["unionid"] == "u_1" and session["session_key"]
    assert "errcode" not in session
    assert (await code2session(sim, code))["errcode"] == 40163
    assert (await code2session(sim, "never-issued"))["errcode"] == 40029


async def test_login_code_errors(sim: Sim) -> None:
    code = (await sim.control("POST", "/_sim/login_codes", json={"appid": MP_APPID, "openid": "o_mp_user_1"}))["code"]
    assert (await code2session(sim, code, secret="wrong"))["errcode"] == 40125
    assert (await code2session(sim, code, appid="wx_nobody"))["errcode"] == 40013
    assert (await code2session(sim, code, grant_type="client_credential"))["errcode"] == 40002
    assert (await code2session(sim, ""))["errcode"] == 41008
    sim.state.clock.advance(301)
    assert (await code2session(sim, code))["errcode"] == 40029  # expired after 5 minutes
    no_unionid = (await sim.control("POST", "/_sim/login_codes",
                                    json={"appid": MP_APPID, "openid": "o_mp_user_2"}))["code"]
    assert "unionid" not in await code2session(sim, no_unionid)


async def test_phone_number_code(sim: Sim) -> None:
    code = (await sim.control("POST", "/_sim/phone_codes", json={"appid": MP_APPID, "phone": "13800138000"}))["code"]
    answer = await sim.api("POST", "/wxa/business/getuserphonenumber", appid=MP_APPID, json={"code": code})
    assert answer["errcode"] == 0
    info = answer["phone_info"]
    assert (info["phoneNumber"], info["purePhoneNumber"], info["countryCode"]) == ("13800138000", "13800138000", "86")
    assert info["watermark"]["appid"] == MP_APPID and isinstance(info["watermark"]["timestamp"], int)
    again = await sim.api("POST", "/wxa/business/getuserphonenumber", appid=MP_APPID, json={"code": code})
    assert again["errcode"] == 40163
    other = (await sim.control("POST", "/_sim/phone_codes", json={"appid": MP_APPID, "phone": "13900000000"}))["code"]
    wrong_app = await sim.api("POST", "/wxa/business/getuserphonenumber", appid=OA_APPID, json={"code": other})
    assert wrong_app["errcode"] == 40029
    sim.state.clock.advance(301)
    expired = await sim.api("POST", "/wxa/business/getuserphonenumber", appid=MP_APPID,
                            token=await sim.token(MP_APPID), json={"code": other})
    assert expired["errcode"] == 40029


@pytest.mark.parametrize(
    ("content", "suggest", "label"),
    [("你好，企业服务", "pass", 100), ("这是违禁词测试内容", "risky", 20006), ("人工审核测试", "review", 21000)],
)
async def test_msg_sec_check_v2(sim: Sim, content: str, suggest: str, label: int) -> None:
    body = {"version": 2, "openid": "o_mp_user_1", "scene": 2, "content": content}
    answer = await sim.api("POST", "/wxa/msg_sec_check", appid=MP_APPID, json=body)
    assert answer["errcode"] == 0
    assert answer["result"] == {"suggest": suggest, "label": label}
    assert answer["detail"][0]["strategy"] == "content_model"
    assert len(answer["trace_id"].split("-")) == 3
    if suggest != "pass":
        assert answer["detail"][1]["keyword"] in content


async def test_msg_sec_check_errors_and_v1(make_sim) -> None:
    sim = await make_sim(risky_words=("敏感",))
    base = {"version": 2, "openid": "o_mp_user_1", "scene": 2, "content": "ok"}
    assert (await sim.api("POST", "/wxa/msg_sec_check", appid=MP_APPID, json={**base, "scene": 5}))["errcode"] == 40129
    assert (await sim.api("POST", "/wxa/msg_sec_check", appid=MP_APPID,
                          json={**base, "openid": "no"}))["errcode"] == 40003
    assert (await sim.api("POST", "/wxa/msg_sec_check", appid=MP_APPID,
                          json={**base, "content": "x" * 2501}))["errcode"] == 40097
    v1 = await sim.api("POST", "/wxa/msg_sec_check", appid=MP_APPID, json={"content": "敏感内容"})
    assert v1["errcode"] == 87014
    assert (await sim.api("POST", "/wxa/msg_sec_check", appid=MP_APPID, json={"content": "ok"}))["errcode"] == 0


async def test_media_check_async_validates(sim: Sim) -> None:
    base = {"media_url": "https://example.com/a.png", "media_type": 2, "version": 2, "openid": "o_mp_user_1",
            "scene": 1}
    ok = await sim.api("POST", "/wxa/media_check_async", appid=MP_APPID, json=base)
    assert ok["errcode"] == 0 and ok["trace_id"]
    for bad, errcode in (({"media_type": 3}, 40097), ({"media_url": ""}, 40097), ({"scene": 0}, 40129),
                         ({"version": 1}, 40097)):
        answer = await sim.api("POST", "/wxa/media_check_async", appid=MP_APPID, json={**base, **bad})
        assert answer["errcode"] == errcode, bad


async def test_wxacode_unlimited_returns_png(sim: Sim) -> None:
    token = await sim.token(MP_APPID)
    status, image = await sim.request(
        "POST", "/wxa/getwxacodeunlimit", params={"access_token": token},
        json={"scene": "ent=9&src=qr", "page": "pages/index/index", "check_path": False, "width": 280},
    )
    assert status == 200 and image.startswith(PNG)
    record = (await sim.control("GET", "/_sim/records", params={"api": "/wxa/getwxacodeunlimit"}))["records"][0]
    assert record["errcode"] == 0 and record["appid"] == MP_APPID


@pytest.mark.parametrize(
    ("body", "errcode"),
    [
        ({"scene": ""}, 40169),
        ({"scene": "x" * 33}, 40169),
        ({}, 40169),
        ({"scene": "企业"}, 40129),
        ({"scene": "a b"}, 40129),
        ({"scene": "a%20b"}, 40129),
        ({"scene": "ok", "page": "pages/index/index?x=1"}, 41030),
        ({"scene": "ok", "page": "/pages/index/index"}, 41030),
        ({"scene": "ok", "env_version": "beta"}, 40097),
    ],
)
async def test_wxacode_errors_are_json(sim: Sim, body: dict, errcode: int) -> None:
    answer = await sim.api("POST", "/wxa/getwxacodeunlimit", appid=MP_APPID, json=body)
    assert answer["errcode"] == errcode


async def test_wxacode_accepts_every_allowed_character(sim: Sim) -> None:
    token = await sim.token(MP_APPID)
    status, image = await sim.request("POST", "/wxa/getwxacodeunlimit", params={"access_token": token},
                                      json={"scene": "!#$&'()*+,/:;=?@-._~Az09"})
    assert status == 200 and image.startswith(PNG)
