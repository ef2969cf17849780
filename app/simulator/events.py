"""Events WeChat pushes on its own, after an API call: TEMPLATESENDJOBFINISH
after a template message (to the official account's callback), wxa_media_check after
media_check_async (to the mini-program's message push, with the mini-program's
credentials; never to the official account's callback).

Each event is delivered to the target configured when it is delivered; with no URL for
its target it is counted as `skipped` and not sent anywhere.

They go through a bounded queue and a few workers so a push benchmark at
thousands of messages a second neither spawns a task per message nor grows
memory without bound (overflow is counted as `dropped`).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from app.simulator.push import (
    CallbackClient,
    PushTarget,
    miniprogram_event_fields,
    miniprogram_target,
    official_account_target,
)
from app.simulator.state import SimulatorState
from app.simulator.xmlmsg import Fields

__all__ = ["EventDispatcher"]

QUEUE_SIZE = 100_000
WORKERS = 8
OFFICIAL_ACCOUNT = "official_account"
MINIPROGRAM = "miniprogram"

# (target kind, appid of the app the event is about, openid, fields)
_Queued = tuple[str, str, str, Fields]


class EventDispatcher:
    """Queues callback events and delivers them in the background."""

    def __init__(self, state: SimulatorState, client: CallbackClient) -> None:
        self.state = state
        self.client = client
        self._queue: asyncio.Queue[_Queued] | None = None
        self._workers: list[asyncio.Task[None]] = []
        self._timers: set[asyncio.TimerHandle] = set()

    async def start(self) -> None:
        self._queue = asyncio.Queue(maxsize=QUEUE_SIZE)
        self._workers = [asyncio.create_task(self._work(), name=f"sim-events-{i}") for i in range(WORKERS)]

    async def stop(self) -> None:
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()
        for task in self._workers:
            task.cancel()
        for task in self._workers:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._workers = []

    # -- EventSink --------------------------------------------------------------

    def template_finished(self, *, appid: str, openid: str, msgid: int, status: str) -> None:
        cfg = self.state.config
        fields: Fields = [
            ("ToUserName", cfg.callback_original_id),
            ("FromUserName", openid),
            ("CreateTime", int(self.state.now())),
            ("MsgType", "event"),
            ("Event", "TEMPLATESENDJOBFINISH"),
            ("MsgID", msgid),
            ("Status", status),
        ]
        self._enqueue(OFFICIAL_ACCOUNT, appid, openid, fields)

    def media_checked(self, *, appid: str, openid: str, trace_id: str, suggest: str, label: int) -> None:
        """The verdict of media_check_async, for the mini-program that asked (`appid`)."""
        cfg = self.state.config
        fields = miniprogram_event_fields(
            miniprogram_target(cfg, appid),
            openid=openid,
            event="wxa_media_check",
            create_time=int(self.state.now()),
            extra={
                "appid": appid,
                "trace_id": trace_id,
                "version": 2,
                # A list: one element per strategy (repeated <detail> in XML, an array in JSON).
                "detail": [
                    {"strategy": "content_model", "errcode": 0, "suggest": suggest, "label": label, "prob": 90}
                ],
                "errcode": 0,
                "errmsg": "ok",
                "result": {"suggest": suggest, "label": label},
            },
        )
        delay = max(0, self.state.config.media_check_delay_ms) / 1000
        loop = asyncio.get_running_loop()
        timer: asyncio.TimerHandle | None = None

        def fire() -> None:
            self._timers.discard(timer)  # type: ignore[arg-type]
            self._enqueue(MINIPROGRAM, appid, openid, fields)

        timer = loop.call_later(delay, fire)
        self._timers.add(timer)

    # -- internals --------------------------------------------------------------

    def _target(self, kind: str, appid: str) -> PushTarget:
        cfg = self.state.config
        return miniprogram_target(cfg, appid) if kind == MINIPROGRAM else official_account_target(cfg)

    def _enqueue(self, kind: str, appid: str, openid: str, fields: Fields) -> None:
        counters = self.state.recorder.callback_events
        if self._queue is None:
            return
        if not self._target(kind, appid).url:
            counters["skipped"] += 1
            return
        try:
            self._queue.put_nowait((kind, appid, openid, fields))
            counters["queued"] += 1
        except asyncio.QueueFull:
            counters["dropped"] += 1

    async def _work(self) -> None:
        assert self._queue is not None
        while True:
            kind, appid, openid, fields = await self._queue.get()
            try:
                await self._deliver(kind, appid, openid, fields)
            finally:
                self._queue.task_done()

    async def _deliver(self, kind: str, appid: str, openid: str, fields: Fields) -> None:
        target = self._target(kind, appid)
        counters = self.state.recorder.callback_events
        if not target.url:
            counters["skipped"] += 1
            return
        try:
            outcome: dict[str, Any] = await self.client.deliver(
                target.url, fields, openid=openid, mode=self.client.default_mode(target), retries=False, target=target
            )
        except Exception:  # a broken callback must not kill the worker
            counters["failed"] += 1
            return
        counters["sent" if outcome["status"] == 200 else "failed"] += 1

    def discard_pending(self) -> None:
        """Forget queued and scheduled events (on reset: they belong to the last test)."""
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()
        if self._queue is None:
            return
        while True:
            try:
                self._queue.get_nowait()
            except asyncio.QueueEmpty:
                break
            self._queue.task_done()

    async def drain(self) -> None:
        """Wait until every scheduled and queued event has been delivered (tests, benchmarks)."""
        while self._timers:
            await asyncio.sleep(0.01)
        if self._queue is not None:
            await self._queue.join()
