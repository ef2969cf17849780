"""The menu in the repository is valid, and invalid menus are refused with the button named."""

import copy

import pytest

from app.menu import MenuError, load_menu, validate_menu

SUBSTITUTIONS = {"public_base_url": "https://qiyun.example.gov.cn", "miniprogram_appid": "wx1234567890abcdef"}


@pytest.fixture
def menu() -> dict:
    return load_menu(substitutions=SUBSTITUTIONS)


def test_repository_menu_is_valid(menu):
    validate_menu(menu)
    assert [button["name"] for button in menu["button"]] == ["政策服务", "企业诉求", "企业服务"]


def test_unfilled_placeholder_is_refused():
    with pytest.raises(MenuError, match="placeholder"):
        validate_menu(load_menu())


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda m: m["button"].append(copy.deepcopy(m["button"][0])), "1 to 3 top-level buttons"),
        (lambda m: m["button"][0]["sub_button"].extend([{"type": "click", "name": f"x{i}", "key": f"k{i}"} for i in range(3)]), "1 to 5 sub-buttons"),
        (lambda m: m["button"][0].update(name="政策服务超长名称"), "at most 16"),
        (lambda m: m["button"][0]["sub_button"][0].update(key="k" * 129), "key longer than 128"),
        (lambda m: m["button"][0]["sub_button"][1].update(key="policy_search"), "used twice"),
        (lambda m: m["button"][0]["sub_button"][2].update(url="/relative"), "absolute"),
        (lambda m: m["button"][0]["sub_button"][0].update(type="teleport"), "unknown type"),
    ],
)
def test_limits_are_enforced(menu, mutate, message):
    mutate(menu)
    with pytest.raises(MenuError, match=message):
        validate_menu(menu)
