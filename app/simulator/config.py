"""The simulator's configuration: which apps exist, where the project's callback and
mini-program message push are, and how strict the simulated WeChat is.

Defaults are lenient on purpose (any well-formed openid is a subscribed follower,
no grants needed, no 48 h window) so a test only sets up what it is about; each
WeChat rule that needs bookkeeping can be switched on.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["DEFAULT_REVIEW_WORDS", "DEFAULT_RISKY_WORDS", "SimulatorConfig"]

DEFAULT_RISKY_WORDS: tuple[str, ...] = ("违禁词测试", "sim_risky")
DEFAULT_REVIEW_WORDS: tuple[str, ...] = ("人工审核测试", "sim_review")


@dataclass
class SimulatorConfig:
    """Everything the simulated WeChat needs to know; `POST /_sim/config` may
    change the runtime copy and `POST /_sim/reset` restores this one."""

    apps: dict[str, str]
    """appid -> secret accepted by the token endpoints (official account and mini-program)."""
    latency_ms: int = 0
    """Added to every WeChat API response."""
    callback_url: str | None = None
    """The project's official-account callback, e.g. http://127.0.0.1:8000/wechat/callback."""
    callback_token: str = ""
    """WECHAT_TOKEN used to sign pushes to the project."""
    callback_aes_key: str | None = None
    """43-char EncodingAESKey; None -> plain mode."""
    callback_appid: str = ""
    """The official account's appid (inside ciphertext; its follower list backs the page)."""
    token_ttl: int = 7200
    seed: int = 0
    """Seeds ids, tokens and fault probabilities so runs are reproducible."""

    callback_original_id: str = "gh_qiyun_sim"
    """ToUserName of pushes: the official account's original id."""
    miniprogram_push_url: str | None = None
    """The project's mini-program message push (消息推送), e.g.
    http://127.0.0.1:8000/wechat/miniprogram. Mini-program events (wxa_media_check) go only
    there, signed and encrypted with the mini-program's own credentials; None -> they are
    not delivered (counted as `skipped`), never sent to the official account's callback."""
    miniprogram_token: str = ""
    """The mini-program's message-push Token (MINIPROGRAM_TOKEN)."""
    miniprogram_aes_key: str | None = None
    """The mini-program's 43-char EncodingAESKey (MINIPROGRAM_AES_KEY); None -> plain mode."""
    miniprogram_appid: str = ""
    """The mini-program's appid (inside its ciphertext). Events after an API call use the
    calling app's appid; this one is for `POST /_sim/miniprogram/push`."""
    miniprogram_original_id: str = "gh_qiyun_mp_sim"
    """ToUserName of mini-program pushes: the mini-program's original id."""
    miniprogram_data_format: str = "xml"
    """The data format chosen in the mini-program's console: `xml` or `json`."""
    strict_openids: bool = False
    """False: any openid matching ^[A-Za-z0-9_-]{6,64}$ is a subscribed follower."""
    require_grants: bool = False
    """True: subscribe messages need a grant (POST /_sim/grants). False: only openids
    with registered grants are counted down (and get 43101 once used up)."""
    enforce_48h: bool = False
    """True: customer-service messages need a follower interaction in the last 48 h."""
    template_finish_events: bool = True
    """Push TEMPLATESENDJOBFINISH to the callback after each template message."""
    timeout_hold_s: float = 30.0
    """How long a `timeout` fault holds a request (longer than any client timeout)."""
    max_records: int = 100_000
    """Full per-request records and delivered messages kept (oldest dropped); counters stay exact."""
    token_overlap_s: int = 300
    """How long a superseded access token stays valid."""
    callback_timeout_s: float = 5.0
    """WeChat drops a push after 5 s without an answer (and retries if asked to)."""
    media_check_delay_ms: int = 200
    """Delay before the wxa_media_check result event is pushed."""
    risky_words: tuple[str, ...] = field(default=DEFAULT_RISKY_WORDS)
    """Content containing one of these is `risky` for msg_sec_check / media_check_async."""
    review_words: tuple[str, ...] = field(default=DEFAULT_REVIEW_WORDS)
    """Content containing one of these is `review`."""
