"""SimulatorState: everything one simulator process knows, in memory.

One object so that `POST /_sim/reset` can put it all back, and so tests can reach
in (`running.state.clock.advance(...)`) where HTTP would be clumsy.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import itertools
import random
from typing import Any, Protocol

from app.simulator.clock import SimClock
from app.simulator.codes import CodeStore, GrantStore
from app.simulator.config import SimulatorConfig
from app.simulator.dedup import Deduplicator
from app.simulator.faults import FaultRegistry
from app.simulator.records import Recorder
from app.simulator.tokens import TokenStore
from app.simulator.users import FollowerStore, TagStore

__all__ = ["RUNTIME_FIELDS", "EventSink", "SimulatorState"]

# Fields `POST /_sim/config` may change at run time, by kind of value.
_TEXT_FIELDS = frozenset(
    {
        "callback_url", "callback_token", "callback_aes_key", "callback_appid", "callback_original_id",
        "miniprogram_push_url", "miniprogram_token", "miniprogram_aes_key", "miniprogram_appid",
        "miniprogram_original_id", "miniprogram_data_format",
    }
)
_NULLABLE_TEXT_FIELDS = frozenset({"callback_url", "callback_aes_key", "miniprogram_push_url", "miniprogram_aes_key"})
_AES_KEY_FIELDS = frozenset({"callback_aes_key", "miniprogram_aes_key"})
DATA_FORMATS = ("xml", "json")
_FLAG_FIELDS = frozenset({"strict_openids", "require_grants", "enforce_48h", "template_finish_events"})
_NUMBER_FIELDS = frozenset({"timeout_hold_s", "callback_timeout_s", "media_check_delay_ms", "latency_ms"})
_WORD_FIELDS = frozenset({"risky_words", "review_words"})
RUNTIME_FIELDS = _TEXT_FIELDS | _FLAG_FIELDS | _NUMBER_FIELDS | _WORD_FIELDS


def _checked(name: str, value: Any) -> Any:
    """`value` for run-time field `name`, or ValueError."""
    if name in _TEXT_FIELDS:
        if value is not None and not isinstance(value, str):
            raise ValueError(f"{name} must be a string or null")
        if name in _AES_KEY_FIELDS and value and len(value) != 43:
            raise ValueError(f"{name} must be 43 characters")
        if name == "miniprogram_data_format" and value not in DATA_FORMATS:
            raise ValueError(f"miniprogram_data_format must be one of {DATA_FORMATS}")
        return value or (None if name in _NULLABLE_TEXT_FIELDS else "")
    if name in _FLAG_FIELDS:
        if not isinstance(value, bool):
            raise ValueError(f"{name} must be true or false")
        return value
    if name in _NUMBER_FIELDS:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise ValueError(f"{name} must be a non-negative number")
        return value
    if not isinstance(value, list) or not all(isinstance(w, str) for w in value):
        raise ValueError(f"{name} must be a list of strings")
    return tuple(value)


class EventSink(Protocol):
    """Where API handlers hand events WeChat pushes to the project later."""

    def template_finished(self, *, appid: str, openid: str, msgid: int, status: str) -> None: ...

    def media_checked(self, *, appid: str, openid: str, trace_id: str, suggest: str, label: int) -> None: ...


class _NoEvents:
    def template_finished(self, **_: Any) -> None:
        return None

    def media_checked(self, **_: Any) -> None:
        return None


class SimulatorState:
    """All recorded calls, tokens, followers, faults and settings of one simulator."""

    def __init__(self, config: SimulatorConfig) -> None:
        self.initial_config = config
        self.clock = SimClock()
        self.rng = random.Random(config.seed)
        self.events: EventSink = _NoEvents()
        self._release = asyncio.Event()
        self._msgids = itertools.count(2_000_000_001 + config.seed * 1_000_000)
        self._push_msgids = itertools.count(24_000_000_000_000_001 + config.seed * 1_000_000)
        self.reset()

    # -- lifecycle ------------------------------------------------------------------

    def reset(self) -> None:
        """Back to the configured start: no tokens, records, faults, followers,
        grants, codes, menus, tags or QR codes; clock and settings restored."""
        self.release_holds()
        self.config = dataclasses.replace(self.initial_config, apps=dict(self.initial_config.apps))
        self.clock.reset()
        self.latency_ms: float = float(self.config.latency_ms)
        self.tokens = TokenStore(self.rng, self.config.token_ttl, self.config.token_overlap_s)
        self.followers = FollowerStore(strict=self.config.strict_openids, default_subscribe_time=int(self.clock.now()))
        self.tags = TagStore()
        self.faults = FaultRegistry(self.rng)
        self.recorder = Recorder(self.config.max_records)
        self.grants = GrantStore()
        self.login_codes = CodeStore(self.rng)
        self.phone_codes = CodeStore(self.rng)
        self.oauth_codes = CodeStore(self.rng)
        self.invalid_templates: set[str] = set()
        self.menus: dict[str, dict[str, Any]] = {}
        self.last_menu_appid: str | None = None
        self.qrcodes: dict[str, dict[str, Any]] = {}
        self.template_dedup = Deduplicator()

    def apply_config(self, patch: dict[str, Any]) -> dict[str, Any]:
        """Change run-time settings (`POST /_sim/config`); raises ValueError for unknown fields."""
        unknown = set(patch) - RUNTIME_FIELDS
        if unknown:
            raise ValueError(f"not changeable at run time: {sorted(unknown)}")
        checked = {name: _checked(name, value) for name, value in patch.items()}
        for name, value in checked.items():
            setattr(self.config, name, value)
        if "latency_ms" in checked:
            self.latency_ms = float(checked["latency_ms"])
        self.followers.strict = self.config.strict_openids
        return self.describe_config()

    def describe_config(self) -> dict[str, Any]:
        """The runtime settings, without secrets (they are served over HTTP)."""
        data = dataclasses.asdict(self.config)
        data["apps"] = sorted(self.config.apps)
        for secret in ("callback_token", "callback_aes_key", "miniprogram_token", "miniprogram_aes_key"):
            if data[secret]:
                data[secret] = "***"
        data["latency_ms"] = self.latency_ms
        data["risky_words"] = list(self.config.risky_words)
        data["review_words"] = list(self.config.review_words)
        return data

    # -- ids ------------------------------------------------------------------------

    def now(self) -> float:
        return self.clock.now()

    def next_msgid(self) -> int:
        """A template/subscribe msgid (what TEMPLATESENDJOBFINISH refers to)."""
        return next(self._msgids)

    def next_push_msgid(self) -> int:
        """A MsgId for a follower's message pushed to the callback."""
        return next(self._push_msgids)

    def random_hex(self, n: int) -> str:
        return "".join(self.rng.choices("0123456789abcdef", k=n))

    def trace_id(self) -> str:
        """WeChat-style trace id: three dash-separated hex groups."""
        return f"{self.random_hex(8)}-{self.random_hex(8)}-{self.random_hex(8)}"

    # -- held requests --------------------------------------------------------------

    async def hold(self, seconds: float) -> None:
        """Wait `seconds`, or less if the simulator is reset or stopped meanwhile."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._release.wait(), timeout=seconds)

    def release_holds(self) -> None:
        """Let every held (timeout-fault) request finish now."""
        self._release.set()
        self._release = asyncio.Event()
