"""access_token lifecycle: stable_token normal/force modes, the legacy endpoint,
credential errors and token validation (time moved with the simulator's clock)."""

from __future__ import annotations

import pytest

from .conftest import MP_APPID, OA_APPID, OA_SECRET, Sim

STABLE = "/cgi-bin/stable_token"
MENU_GET = "/cgi-bin/get_current_selfmenu_info"  # any cheap token-protected API


async def stable(sim: Sim, **body: object) -> dict:
    payload = {"grant_type": "client_credential", "appid": OA_APPID, "secret": OA_SECRET, **body}
    status, answer = await sim.request("POST", STABLE, json=payload)
    assert status == 200
    return answer


async def use(sim: Sim, token: str) -> int:
    """errcode of a protected call made with `token` (0 when it is accepted)."""
    status, payload = await sim.request("GET", MENU_GET, params={"access_token": token})
    assert status == 200
    return payload.get("errcode", 0)


async def test_normal_mode_returns_the_same_token_with_expires_in_counting_down(sim: Sim) -> None:
    first = await stable(sim)
    assert first["expires_in"] == 7200
    sim.state.clock.advance(1000)
    second = await stable(sim)
    assert second["access_token"] == first["access_token"]
    assert second["expires_in"] == 6200
    assert (await sim.stats())["token_fetches"] == {OA_APPID: 2}


async def test_normal_mode_renews_in_the_last_five_minutes_and_old_token_lives_to_its_expiry(sim: Sim) -> None:
    old = await stable(sim)
    sim.state.clock.advance(7200 - 299)
    new = await stable(sim)
    assert new["access_token"] != old["access_token"]
    assert new["expires_in"] == 7200
    assert await use(sim, old["access_token"]) == 0
    assert await use(sim, new["access_token"]) == 0
    sim.state.clock.advance(300)
    assert await use(sim, old["access_token"]) == 42001
    assert await use(sim, new["access_token"]) == 0


async def test_force_refresh_issues_new_token_and_old_stays_valid_five_minutes(sim: Sim) -> None:
    old = (await stable(sim))["access_token"]
    new = (await stable(sim, force_refresh=True))["access_token"]
    assert new != old
    sim.state.clock.advance(299)
    assert await use(sim, old) == 0
    sim.state.clock.advance(2)
    assert await use(sim, old) == 40001
    assert await use(sim, new) == 0


async def test_force_refresh_within_30_seconds_does_not_refresh(sim: Sim) -> None:
    first = (await stable(sim, force_refresh=True))["access_token"]
    sim.state.clock.advance(29)
    assert (await stable(sim, force_refresh=True))["access_token"] == first
    sim.state.clock.advance(2)
    assert (await stable(sim, force_refresh=True))["access_token"] != first


async def test_force_refresh_is_limited_to_20_a_day(sim: Sim) -> None:
    for _ in range(20):
        assert "access_token" in await stable(sim, force_refresh=True)
        sim.state.clock.advance(31)
    assert (await stable(sim, force_refresh=True))["errcode"] == 45009
    assert "access_token" in await stable(sim)  # normal mode still works


@pytest.mark.parametrize(
    ("body", "errcode"),
    [
        ({"appid": "wx_unknown_app"}, 40013),
        ({"secret": "wrong"}, 40125),
        ({"appid": ""}, 41002),
        ({"secret": ""}, 41004),
        ({"grant_type": "authorization_code"}, 40002),
        ({"force_refresh": "yes"}, 47001),
    ],
)
async def test_stable_token_credential_errors(sim: Sim, body: dict, errcode: int) -> None:
    answer = await stable(sim, **body)
    assert answer["errcode"] == errcode
    assert "access_token" not in answer
    assert (await sim.stats())["token_fetches"] == {}


async def test_stable_token_requires_post_and_json(sim: Sim) -> None:
    _, answer = await sim.request("GET", STABLE)
    assert answer["errcode"] == 43002
    _, answer = await sim.request("POST", STABLE, data=b"{not json")
    assert answer["errcode"] == 47001


async def test_legacy_token_issues_new_each_time_and_previous_lives_five_minutes(sim: Sim) -> None:
    params = {"grant_type": "client_credential", "appid": OA_APPID, "secret": OA_SECRET}
    _, first = await sim.request("GET", "/cgi-bin/token", params=params)
    _, second = await sim.request("GET", "/cgi-bin/token", params=params)
    assert first["access_token"] != second["access_token"]
    assert first["expires_in"] == 7200
    assert await use(sim, first["access_token"]) == 0
    sim.state.clock.advance(301)
    assert await use(sim, first["access_token"]) == 40001
    assert await use(sim, second["access_token"]) == 0
    _, wrong = await sim.request("GET", "/cgi-bin/token", params={**params, "secret": "nope"})
    assert wrong["errcode"] == 40125


async def test_legacy_and_stable_chains_are_isolated(sim: Sim) -> None:
    stable_token = (await stable(sim))["access_token"]
    params = {"grant_type": "client_credential", "appid": OA_APPID, "secret": OA_SECRET}
    await sim.request("GET", "/cgi-bin/token", params=params)
    assert (await stable(sim))["access_token"] == stable_token
    assert await use(sim, stable_token) == 0


async def test_token_validation_errors(sim: Sim) -> None:
    status, missing = await sim.request("GET", MENU_GET)
    assert status == 200 and missing["errcode"] == 41001
    assert await use(sim, "not-a-token") == 40001
    _, unknown = await sim.request("GET", MENU_GET, params={"access_token": "not-a-token"})
    assert unknown["errmsg"].startswith("invalid credential, access_token is invalid or not latest")
    token = await sim.token()
    sim.state.clock.advance(7200)
    assert await use(sim, token) == 42001
    errors = (await sim.stats())["errors"]
    assert errors == {"41001": 1, "40001": 2, "42001": 1}


async def test_apps_have_separate_tokens_and_records_name_the_app(sim: Sim) -> None:
    oa, mp = await sim.token(OA_APPID), await sim.token(MP_APPID)
    assert oa != mp
    await sim.api("GET", MENU_GET, appid=MP_APPID)
    records = (await sim.control("GET", "/_sim/records", params={"api": MENU_GET}))["records"]
    assert [r["appid"] for r in records] == [MP_APPID]


async def test_secrets_and_tokens_stay_out_of_records(sim: Sim) -> None:
    token = await sim.token()
    await sim.api("GET", MENU_GET)
    records = (await sim.control("GET", "/_sim/records"))["records"]
    dump = str(records)
    assert OA_SECRET not in dump
    assert token not in dump
