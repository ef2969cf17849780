"""Settings for rendering: every template id configured, or none."""

from __future__ import annotations

import pytest

import templates_msg
from app.config import Settings

OA_APPID = "wx0123456789abcdef"
MP_APPID = "wxfedcba9876543210"
BASE_URL = "https://qiyun.example.gov.cn"


def template_ids() -> dict[str, str]:
    return {d.setting: f"tpl-{d.name}" for d in templates_msg.all_definitions()}


@pytest.fixture
def configured() -> Settings:
    return Settings(
        _env_file=None, public_base_url=BASE_URL, wechat_appid=OA_APPID, miniprogram_appid=MP_APPID, **template_ids()
    )


@pytest.fixture
def unconfigured() -> Settings:
    return Settings(_env_file=None, public_base_url=BASE_URL, wechat_appid=OA_APPID, miniprogram_appid="")
