"""Settings: forgiving in development, strict and precise in production, secrets never shown."""

import pytest

from app.config import ConfigError, Settings, load_settings

GOOD_PRODUCTION = {
    "qiyun_env": "production",
    "database_url": "postgres://qiyun:pw-for-db@db.internal:5432/qiyun",
    "redis_url": "redis://redis.internal:6379/0",
    "secret_key": "k" * 16 + "Z9" * 10,
    "wechat_appid": "wx1234567890abcdef",
    "wechat_secret": "0123456789abcdef0123456789abcdef",
    "wechat_token": "Tok3nValue",
    "wechat_aes_key": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
    "miniprogram_appid": "wxfedcba0987654321",
    "miniprogram_secret": "fedcba9876543210fedcba9876543210",
    "miniprogram_token": "MpTok3nValue",
    "miniprogram_aes_key": "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvut",
    "wechat_api_base": "https://api.weixin.qq.com",
    "public_base_url": "https://qiyun.example.gov.cn",
}


def production(**changes) -> Settings:
    return Settings(_env_file=None, **{**GOOD_PRODUCTION, **changes})


def test_development_needs_no_configuration(monkeypatch):
    for name in ("DATABASE_URL", "REDIS_URL", "QIYUN_ENV", "WECHAT_APPID"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(_env_file=None)
    assert settings.problems() == []
    assert settings.effective_database_url.startswith("sqlite://")
    assert settings.uses_embedded_redis


def test_complete_production_settings_pass():
    assert production().problems() == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"wechat_appid": ""}, "WECHAT_APPID: missing"),
        ({"wechat_appid": "wx123"}, "WECHAT_APPID: malformed"),
        ({"wechat_secret": "changeme"}, "WECHAT_SECRET: looks like a placeholder"),
        ({"wechat_aes_key": "tooshort"}, "WECHAT_AES_KEY: malformed"),
        # The mini-program's message push carries the media-check verdicts: both required.
        ({"miniprogram_token": ""}, "MINIPROGRAM_TOKEN: missing"),
        ({"miniprogram_aes_key": ""}, "MINIPROGRAM_AES_KEY: missing"),
        ({"miniprogram_aes_key": "tooshort"}, "MINIPROGRAM_AES_KEY: malformed"),
        ({"database_url": None}, "DATABASE_URL: missing"),
        ({"database_url": "sqlite://var/qiyun.sqlite3"}, "DATABASE_URL: malformed"),
        ({"redis_url": None}, "REDIS_URL: missing"),
        ({"secret_key": "short"}, "SECRET_KEY: malformed"),
        ({"public_base_url": "http://insecure.example"}, "PUBLIC_BASE_URL: malformed"),
    ],
)
def test_production_names_the_wrong_variable_in_one_line(change, expected):
    problems = production(**change).problems()
    assert len(problems) == 1
    assert problems[0].startswith(expected)
    assert "\n" not in problems[0]


def test_load_settings_raises_with_the_variable_named(monkeypatch):
    for name, value in GOOD_PRODUCTION.items():
        monkeypatch.setenv(name.upper(), value)
    monkeypatch.setenv("WECHAT_TOKEN", "")
    with pytest.raises(ConfigError, match="^WECHAT_TOKEN: missing"):
        load_settings(_env_file=None)


def test_type_errors_are_reported_per_variable(monkeypatch):
    monkeypatch.setenv("PUSH_RATE_PER_SECOND", "fast")
    with pytest.raises(ConfigError, match="^PUSH_RATE_PER_SECOND: "):
        load_settings(_env_file=None)


def test_secrets_never_appear_in_repr():
    settings = production()
    text = repr(settings) + str(settings) + str(settings.model_dump())
    for secret in (
        "0123456789abcdef0123456789abcdef",
        "Tok3nValue",
        "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
        "MpTok3nValue",
        "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvut",
    ):
        assert secret not in text


def test_secret_values_include_url_passwords():
    assert "pw-for-db" in production().secret_values()
