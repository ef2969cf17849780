"""The usual way to push a template message to many followers: wechatpy's synchronous client
in a loop (benchmarks/push_vs_wechatpy.py compares it with Qiyun's campaign).

wechatpy's `WeChatClient` takes its API base from the class attribute `API_BASE_URL`, but its
`fetch_access_token` hard-codes https://api.weixin.qq.com/cgi-bin/token; the subclass below
points both at the simulator and changes nothing else (requests session, auto-retry on an
expired token, JSON handling are wechatpy's own).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException


class SimulatorWeChatClient(WeChatClient):
    """`WeChatClient` talking to `base` (e.g. http://127.0.0.1:PORT) instead of api.weixin.qq.com."""

    def __init__(self, appid: str, secret: str, *, base: str, timeout: float = 10) -> None:
        super().__init__(appid, secret, timeout=timeout)
        self.API_BASE_URL = base.rstrip("/") + "/cgi-bin/"

    def fetch_access_token(self) -> dict:
        return self._fetch_access_token(
            url=self.API_BASE_URL + "token",
            params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
        )


@dataclass
class LoopResult:
    sent: int = 0
    failed: int = 0
    seconds: float = 0.0
    errors: dict[str, int] = field(default_factory=dict)


def send_all(client: WeChatClient, openids: Iterable[str], *, template_id: str, data: dict, url: str) -> LoopResult:
    """`client.message.send_template(...)` for each openid, one after the other, as it is
    usually written (a failed send is counted and skipped: no retry, no ledger)."""
    result = LoopResult()
    started = time.perf_counter()
    for openid in openids:
        try:
            client.message.send_template(openid, template_id, data, url=url)
            result.sent += 1
        except WeChatClientException as exc:
            result.failed += 1
            key = str(getattr(exc, "errcode", "?"))
            result.errors[key] = result.errors.get(key, 0) + 1
    result.seconds = time.perf_counter() - started
    return result
