"""Web-page OAuth2: a code from the follower's tap becomes the follower's openid, once."""

from __future__ import annotations

from tests.simulator.conftest import MP_APPID, OA_APPID, OA_SECRET, Sim


async def exchange(sim: Sim, code: str, *, appid: str = OA_APPID, secret: str = OA_SECRET) -> dict:
    _, payload = await sim.request(
        "GET",
        "/sns/oauth2/access_token",
        params={"appid": appid, "secret": secret, "code": code, "grant_type": "authorization_code"},
    )
    return payload


async def test_oauth_code_gives_the_openid_once(sim: Sim) -> None:
    code = (await sim.control("POST", "/_sim/oauth_codes", json={"appid": OA_APPID, "openid": "o_h5_reader"}))["code"]
    answer = await exchange(sim, code)
    assert answer["openid"] == "o_h5_reader" and answer["scope"] == "snsapi_base"
    assert answer["access_token"] and "errcode" not in answer
    assert (await exchange(sim, code))["errcode"] == 40163
    assert (await exchange(sim, "never-issued"))["errcode"] == 40029


async def test_oauth_code_is_bound_to_its_app_and_secret(sim: Sim) -> None:
    code = (await sim.control("POST", "/_sim/oauth_codes", json={"appid": OA_APPID, "openid": "o_h5_reader"}))["code"]
    assert (await exchange(sim, code, secret="wrong"))["errcode"] == 40125
    assert (await exchange(sim, code, appid="wx_nobody"))["errcode"] == 40013
    assert (await exchange(sim, code, appid=MP_APPID, secret=sim.state.config.apps[MP_APPID]))["errcode"] == 40029
    sim.state.clock.advance(301)
    assert (await exchange(sim, code))["errcode"] == 40029
