"""Per-area API modules against the simulator: QR codes, wxacode, users, menu,
mini-program login/phone/content checks, subscribe messages."""

from __future__ import annotations

import pytest

from app.wechat import WeChatClient, WeChatInvalidArgumentError, WeChatNoGrantError, WeChatValidationError

from .helpers import LOOP_SCOPE, MP_APPID, OA_APPID, SimControl

pytestmark = pytest.mark.asyncio(loop_scope=LOOP_SCOPE)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


async def test_qrcode_create_and_download_png(oa: WeChatClient, simctl: SimControl) -> None:
    result = await oa.qrcode.create("policy:42", expire_seconds=3600)
    ticket = result["ticket"]
    assert ticket
    assert oa.qrcode.show_url(ticket).startswith(f"{oa.http.api_base}/cgi-bin/showqrcode?ticket=")
    image = await oa.qrcode.download(ticket)
    assert isinstance(image, bytes) and image.startswith(PNG_MAGIC)


async def test_permanent_int_qrcode(oa: WeChatClient) -> None:
    result = await oa.qrcode.create(100000, permanent=True)
    assert result["ticket"]


async def test_wxacode_unlimited_returns_png(mp: WeChatClient) -> None:
    image = await mp.wxa.get_wxa_code_unlimited("ent=9&src=qr", page="pages/index/index", check_path=False)
    assert image.startswith(PNG_MAGIC)


@pytest.mark.parametrize(
    ("scene", "kwargs"),
    [
        (0, {}),
        (2**32, {}),
        (100001, {"permanent": True}),
        ("", {}),
        ("x" * 65, {}),
        (1.5, {}),
        (True, {}),
        ("ok", {"expire_seconds": 2_592_001}),
        ("ok", {"expire_seconds": 0}),
        ("ok", {"permanent": True, "expire_seconds": 60}),
    ],
)
async def test_bad_qrcode_scene_fails_before_any_http_call(
    oa: WeChatClient, simctl: SimControl, scene: object, kwargs: dict
) -> None:
    with pytest.raises(WeChatValidationError):
        await oa.qrcode.create(scene, **kwargs)  # type: ignore[arg-type]
    stats = await simctl.stats()
    assert sum(stats.get("calls", {}).values()) == 0
    assert sum(stats.get("token_fetches", {}).values()) == 0


@pytest.mark.parametrize(
    ("scene", "kwargs"),
    [
        ("", {}),
        ("x" * 33, {}),
        ("企业", {}),
        ("a b", {}),
        ("a%20b", {}),
        ("ok", {"width": 100}),
        ("ok", {"page": "pages/index/index?x=1"}),
        ("ok", {"page": "/pages/index/index"}),
    ],
)
async def test_bad_wxacode_scene_fails_before_any_http_call(
    mp: WeChatClient, simctl: SimControl, scene: str, kwargs: dict
) -> None:
    with pytest.raises(WeChatValidationError):
        await mp.wxa.get_wxa_code_unlimited(scene, **kwargs)
    stats = await simctl.stats()
    assert sum(stats.get("calls", {}).values()) == 0
    assert sum(stats.get("token_fetches", {}).values()) == 0


async def test_jscode2session_and_phone_number(mp: WeChatClient, simctl: SimControl) -> None:
    code = await simctl.login_code(MP_APPID, "o_mp_user_1", "u_union_1")
    session = await mp.wxa.jscode2session(code)
    assert session["openid"] == "o_mp_user_1"
    assert session.get("unionid") == "u_union_1"
    assert session.get("session_key")
    with pytest.raises(WeChatInvalidArgumentError):  # single-use: 40163 (or 40029)
        await mp.wxa.jscode2session(code)

    phone_code = await simctl.phone_code(MP_APPID, "13800138000")
    info = await mp.wxa.get_phone_number(phone_code)
    assert info["purePhoneNumber"] == "13800138000"


async def test_subscribe_send_consumes_grants(mp: WeChatClient, simctl: SimControl) -> None:
    await simctl.grant(MP_APPID, "o_mp_user_1", "tpl_sub_1", 1)
    await mp.subscribe.send("o_mp_user_1", "tpl_sub_1", {"thing1": "政策到期提醒"}, page="pages/index/index")
    with pytest.raises(WeChatNoGrantError):
        await mp.subscribe.send("o_mp_user_1", "tpl_sub_1", {"thing1": "again"})
    assert await simctl.calls("/cgi-bin/message/subscribe/send") == 2


async def test_msg_sec_check_and_media_check(mp: WeChatClient) -> None:
    result = await mp.wxa.msg_sec_check("o_mp_user_1", "你好，企业服务")
    assert result.get("result", {}).get("suggest") in ("pass", "review", "risky")
    trace_id = await mp.wxa.media_check_async("https://example.com/a.png", 2, "o_mp_user_1")
    assert trace_id


async def test_menu_roundtrip(oa: WeChatClient) -> None:
    menu = {
        "button": [
            {"type": "click", "name": "政策", "key": "POLICY"},
            {"name": "服务", "sub_button": [{"type": "view", "name": "诉求", "url": "https://example.com/a"}]},
        ]
    }
    await oa.menu.create(menu)
    got = await oa.menu.get()
    assert got["menu"]["button"][0]["name"] == "政策"
    await oa.menu.delete()


async def test_menu_validation_is_local(oa: WeChatClient, simctl: SimControl) -> None:
    with pytest.raises(WeChatValidationError):
        await oa.menu.create({"button": [{"type": "click", "name": f"b{i}", "key": "k"} for i in range(4)]})
    assert await simctl.calls("/cgi-bin/menu/create") == 0


async def test_custom_message_outside_window_or_ok(oa: WeChatClient, simctl: SimControl) -> None:
    await oa.message.send_custom_text("o_user_1", "您好")
    records = await simctl.records(api="/cgi-bin/message/custom/send", openid="o_user_1")
    assert records


async def test_users_and_tags(oa: WeChatClient) -> None:
    page = await oa.user.list()
    assert "count" in page or "total" in page
    tag = await oa.user.create_tag("高新企业")
    assert tag["name"] == "高新企业"
    tags = await oa.user.get_tags()
    assert any(t["id"] == tag["id"] for t in tags)
    await oa.user.tag_users(tag["id"], ["o_user_1", "o_user_2"])
    assert tag["id"] in await oa.user.get_user_tags("o_user_1")
    members = await oa.user.get_tag_users(tag["id"])
    assert set(members["data"]["openid"]) == {"o_user_1", "o_user_2"}
    await oa.user.untag_users(tag["id"], ["o_user_2"])
    assert tag["id"] not in await oa.user.get_user_tags("o_user_2")
    await oa.user.update_tag(tag["id"], "专精特新")
    await oa.user.delete_tag(tag["id"])
    assert all(t["id"] != tag["id"] for t in await oa.user.get_tags())
    profiles = await oa.user.batch_get(["o_user_1"])
    assert profiles[0]["openid"] == "o_user_1"
    assert (await oa.user.get("o_user_1"))["subscribe"] == 1


async def test_bizsend(oa: WeChatClient, simctl: SimControl) -> None:
    await simctl.grant(OA_APPID, "o_user_1", "tpl_biz_1", 1)
    await oa.message.send_subscribe_bizsend("o_user_1", "tpl_biz_1", {"thing1": "提醒"})
    with pytest.raises(WeChatNoGrantError):
        await oa.message.send_subscribe_bizsend("o_user_1", "tpl_biz_1", {"thing1": "提醒"})
