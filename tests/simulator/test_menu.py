"""Custom menu: WeChat's limits and errcodes, and the three read/delete endpoints."""

from __future__ import annotations

import pytest

from .conftest import Sim

CREATE = "/cgi-bin/menu/create"

GOOD_MENU = {
    "button": [
        {"type": "click", "name": "政策服务", "key": "POLICY"},
        {
            "name": "企业诉求",
            "sub_button": [
                {"type": "view", "name": "我要提诉求", "url": "https://example.com/appeal"},
                {"type": "miniprogram", "name": "小程序", "url": "https://example.com",
                 "appid": "wx_sim_mp_000001", "pagepath": "pages/index/index"},
            ],
        },
    ]
}


def click(name: str = "按钮", key: str = "K") -> dict:
    return {"type": "click", "name": name, "key": key}


def with_sub(*subs: dict, name: str = "服务") -> dict:
    return {"button": [{"name": name, "sub_button": list(subs)}]}


async def test_menu_roundtrip_in_both_read_formats(sim: Sim) -> None:
    assert (await sim.api("GET", "/cgi-bin/menu/get"))["errcode"] == 46003
    assert await sim.api("POST", CREATE, json=GOOD_MENU) == {"errcode": 0, "errmsg": "ok"}
    got = await sim.api("GET", "/cgi-bin/menu/get")
    assert got["menu"]["button"] == GOOD_MENU["button"]
    shown = await sim.api("GET", "/cgi-bin/get_current_selfmenu_info")
    assert shown["is_menu_open"] == 1
    buttons = shown["selfmenu_info"]["button"]
    assert buttons[0] == {"type": "click", "name": "政策服务", "key": "POLICY"}
    assert [s["name"] for s in buttons[1]["sub_button"]["list"]] == ["我要提诉求", "小程序"]
    page_menu = await sim.control("GET", "/_sim/menu")
    assert page_menu["menu"]["button"][0]["key"] == "POLICY"
    assert await sim.api("GET", "/cgi-bin/menu/delete") == {"errcode": 0, "errmsg": "ok"}
    assert (await sim.api("GET", "/cgi-bin/menu/get"))["errcode"] == 46003
    assert (await sim.control("GET", "/_sim/menu"))["menu"] is None


@pytest.mark.parametrize(
    ("menu", "errcode"),
    [
        ({"button": [click(f"b{i}") for i in range(4)]}, 40016),
        ({"button": []}, 40016),
        ({}, 40016),
        ({"button": [{"type": "teleport", "name": "x", "key": "k"}]}, 40017),
        ({"button": [{"name": "x", "key": "k"}]}, 40017),
        ({"button": [click("一二三四五六")]}, 40018),  # 18 bytes > 16
        ({"button": [click("")]}, 40018),
        ({"button": [click("ok", "k" * 129)]}, 40019),
        ({"button": [{"type": "click", "name": "ok"}]}, 40019),
        ({"button": [{"type": "view", "name": "ok", "url": "https://x/" + "a" * 1015}]}, 40020),
        (with_sub(*[click(f"s{i}") for i in range(6)]), 40023),
        (with_sub({"type": "bogus", "name": "s", "key": "k"}), 40024),
        (with_sub(click("一" * 21)), 40025),  # 63 bytes > 60
        (with_sub(click("ok", "k" * 129)), 40026),
        (with_sub({"type": "view", "name": "ok", "url": "https://x/" + "a" * 1015}), 40027),
        (with_sub(click(), name="一二三四五六"), 40018),
    ],
)
async def test_menu_limits_answer_wechat_errcodes(sim: Sim, menu: dict, errcode: int) -> None:
    answer = await sim.api("POST", CREATE, json=menu)
    assert answer["errcode"] == errcode, answer
    assert (await sim.api("GET", "/cgi-bin/menu/get"))["errcode"] == 46003


async def test_menu_limits_at_the_boundary_are_accepted(sim: Sim) -> None:
    menu = {
        "button": [
            click("一二三四五"),  # 15 bytes
            with_sub(*[click("一" * 20, "k" * 128) for _ in range(5)])["button"][0],  # 60-byte names
            {"type": "view", "name": "abcdefghijklmnop", "url": "https://x/" + "a" * 1014},  # 16 bytes, 1024
        ]
    }
    assert (await sim.api("POST", CREATE, json=menu))["errcode"] == 0


async def test_menu_create_requires_post(sim: Sim) -> None:
    assert (await sim.api("GET", CREATE))["errcode"] == 43002
