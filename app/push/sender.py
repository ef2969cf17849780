"""Sending a campaign: one `CampaignRunner` per worker and campaign, any number of them at once.

The runner claims batches of ledger rows (`app.push.ledger.claim`), screens them (muted,
frequency cap, unsubscribed, unreachable, unknown outcome), and sends the rest through
`push_concurrency` consumer tasks, each send gated by the Redis token bucket and daily
quota shared by every worker (`app.push.ratelimit`). Outcomes are buffered and written in
batches (one transaction: ledger rows, message-log rows, follower marks), a background
task keeps the claims' leases alive, and a watcher stops the runner within half a second
of a pause or cancel from the admin.

## Exactly once, and the one window that remains

A row is marked `sent` only after WeChat answered with a msgid. Between WeChat accepting
a message and the ledger recording it there is always a window: the worker can die after
the HTTP answer and before its buffered outcome is written (up to `FLUSH_INTERVAL`), or
during the request itself. Such a row stays `sending`; its lease runs out (`LEASE_MS`) and
another worker reclaims it, flagged `uncertain`.

Template messages carry `client_msg_id = qiyun-push-<delivery id>`: WeChat sends one
message per openid and client_msg_id within 10 minutes and answers a repeat with the first
msgid. So an uncertain row is resent only while its first attempt is younger than
`SAFE_RESEND_WINDOW_MS` (8 minutes, leaving margin under WeChat's 10): the repeat is
de-duplicated by WeChat and the ledger gets the original msgid. Past that window — every
worker was down for minutes, or the campaign was paused with rows in doubt — the row is
**not** resent: it is marked failed with reason `unknown_outcome`. We prefer at-most-once
for the few rows whose fate is unknown: a follower may miss one push, but never gets it
twice. Message kinds without a de-duplication key (subscribe messages) are never resent
once uncertain.

Timeouts, network errors and HTTP 5xx make a row uncertain too (WeChat may have processed
the request); `-1` (system busy) is an explicit refusal. All of them are retried with
backoff (`RETRY_DELAYS_MS`, `MAX_ATTEMPTS` in all) inside the same window.

Errcodes: 45009 pauses the campaign with the reason shown (never retried hot); 40001 is
answered inside the WeChat transport (one single-flight token refresh and one retry) and
pauses the campaign only if the fresh token fails too; 43004 and 40003 fail the row and
mark the follower (`Follower.unreachable_reason`), never retried; errors in the message
itself (invalid template id, field content) pause the campaign, since every row would
fail the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from redis.asyncio import Redis
from tortoise.functions import Count
from tortoise.transactions import in_transaction

from app.config import Settings
from app.identity.models import Follower
from app.messagelog.models import Direction, MessageChannel, MessageLog
from app.push import ledger
from app.push.ledger import Claimed, OutcomeRow
from app.push.models import (
    CampaignStatus,
    DeliveryReason,
    DeliveryStatus,
    MuteScope,
    PushCampaign,
    PushDelivery,
    PushMute,
)
from app.push.ratelimit import QuotaExhausted, SharedRateLimiter
from app.wechat.errors import (
    WeChatAPIError,
    WeChatCredentialError,
    WeChatInvalidArgumentError,
    WeChatInvalidOpenIdError,
    WeChatNoGrantError,
    WeChatNotFollowerError,
    WeChatQuotaError,
    WeChatTokenError,
    WeChatTransientError,
    WeChatUnauthorizedError,
)

__all__ = [
    "LEASE_MS",
    "MAX_ATTEMPTS",
    "SAFE_RESEND_WINDOW_MS",
    "CampaignRunner",
    "LatencyHistogram",
    "RunResult",
    "RunStats",
    "client_msg_id",
    "live_runners_key",
    "message_sender",
]

logger = logging.getLogger("qiyun.push")

LEASE_MS = 30_000
"""How long a claim lasts without a heartbeat; a dead worker's rows return after this."""
HEARTBEAT_S = 5.0
WATCH_INTERVAL_S = 0.5
FLUSH_INTERVAL_S = 0.2
FLUSH_SIZE = 200
RECLAIM_INTERVAL_MS = 5_000
SAFE_RESEND_WINDOW_MS = 8 * 60 * 1000
"""WeChat de-duplicates client_msg_id for 10 minutes; resend uncertain rows only inside 8."""
MAX_ATTEMPTS = 4
RETRY_DELAYS_MS = (2_000, 8_000, 30_000)
FREQUENCY_WINDOW = timedelta(days=7)
PENDING_FINISH_PREFIX = "qiyun:push:finished:"
PENDING_FINISH_TTL_S = 86_400


def client_msg_id(delivery_id: int) -> str:
    """WeChat's de-duplication key of one ledger row (same on every attempt and worker)."""
    return f"qiyun-push-{delivery_id}"


def live_runners_key(campaign_id: int) -> str:
    return f"qiyun:push:live:{campaign_id}"


def rate_key(campaign_id: int, second: int) -> str:
    return f"qiyun:push:rate:{campaign_id}:{second}"


# -- sending one message, by message kind (registry) ------------------------------------


@dataclass(frozen=True)
class MessageSender:
    send: Callable[..., Awaitable[int | None]]
    resend_safe: bool
    """Whether a repeat is de-duplicated by WeChat (so an uncertain row may be resent)."""
    logs_itself: bool
    """Whether the send already wrote the message log (else the runner writes it in bulk)."""


MESSAGE_SENDERS: dict[str, MessageSender] = {}


def message_sender(kind: str, *, resend_safe: bool, logs_itself: bool = False):
    """Register how a rendered message of `kind` is sent to one recipient."""

    def register(function: Callable[..., Awaitable[int | None]]) -> Callable[..., Awaitable[int | None]]:
        MESSAGE_SENDERS[kind] = MessageSender(function, resend_safe, logs_itself)
        return function

    return register


@message_sender("template", resend_safe=True)
async def _send_template(*, wechat: Any, row: Claimed, message: dict[str, Any], campaign_id: int) -> int | None:
    return await wechat.message.send_template(
        row.openid,
        message["template_id"],
        message["data"],
        url=message.get("url"),
        miniprogram=message.get("miniprogram"),
        client_msg_id=client_msg_id(row.id),
    )


@message_sender("subscribe", resend_safe=False, logs_itself=True)
async def _send_subscribe(*, wechat: Any, row: Claimed, message: dict[str, Any], campaign_id: int) -> int | None:
    """Subscribe messages go through the notification service, which spends the grant."""
    from app.notification.service import send_rendered
    from app.push.messages import rendered_from_stored
    from app.wechat.errors import exception_for

    follower = await Follower.get_or_none(id=row.follower_id)
    outcome = await send_rendered(
        wechat=wechat,
        openid=row.openid,
        message=rendered_from_stored(message),
        follower=follower,
        context=f"push_campaign:{campaign_id}",
    )
    errcode = getattr(outcome, "errcode", None)
    if errcode:
        raise exception_for(int(errcode), str(getattr(outcome, "errmsg", "") or ""))
    msgid = getattr(outcome, "msgid", None)
    return int(msgid) if msgid else None


# -- what an error means for the row and the campaign (registry, first match wins) ------


@dataclass(frozen=True)
class ErrorRule:
    action: str
    """fail | retry | pause"""
    reason: DeliveryReason | None = None
    pause_code: str = ""
    pause_reason: str = ""
    follower_mark: str = ""
    """unreachable_reason to set on the follower"""


ERROR_RULES: list[tuple[type[BaseException], ErrorRule]] = [
    (
        WeChatQuotaError,
        ErrorRule(
            "pause",
            pause_code="45009",
            pause_reason="微信返回 45009：模板消息接口调用额度已用完，推送已暂停。请在额度恢复后点击“继续”。",
        ),
    ),
    (WeChatNotFollowerError, ErrorRule("fail", DeliveryReason.not_follower, follower_mark="43004")),
    (WeChatInvalidOpenIdError, ErrorRule("fail", DeliveryReason.invalid_openid, follower_mark="40003")),
    (WeChatNoGrantError, ErrorRule("fail", DeliveryReason.no_grant)),
    (WeChatTransientError, ErrorRule("retry", DeliveryReason.retries_exhausted)),
    (
        WeChatTokenError,
        ErrorRule(
            "pause",
            pause_code="token",
            pause_reason="access_token 刷新后仍无效（40001），推送已暂停。请检查 AppSecret 和 IP 白名单。",
        ),
    ),
    (
        WeChatCredentialError,
        ErrorRule("pause", pause_code="config", pause_reason="公众号凭据或 IP 白名单有误，推送已暂停。"),
    ),
    (
        WeChatUnauthorizedError,
        ErrorRule("pause", pause_code="config", pause_reason="公众号没有模板消息接口权限（48001），推送已暂停。"),
    ),
    (
        WeChatInvalidArgumentError,
        ErrorRule("pause", pause_code="template", pause_reason="微信拒绝了消息内容或模板 ID，推送已暂停。"),
    ),
    (WeChatAPIError, ErrorRule("fail", DeliveryReason.rejected)),
]


def rule_for(exc: BaseException) -> ErrorRule:
    for kind, rule in ERROR_RULES:
        if isinstance(exc, kind):
            return rule
    return ErrorRule("retry", DeliveryReason.retries_exhausted)


def _is_uncertain(exc: BaseException) -> bool:
    """Whether WeChat may have processed the request although no answer said so."""
    if not isinstance(exc, WeChatTransientError):
        return not isinstance(exc, WeChatAPIError)  # unexpected exceptions: assume the worst
    return exc.errcode != -1  # timeouts, network errors, HTTP 5xx


# -- statistics (for the job's result and the benchmark) --------------------------------


class LatencyHistogram:
    """Send latencies in 1 ms buckets up to 10 s: constant memory whatever the campaign size."""

    LIMIT_MS = 10_000

    def __init__(self) -> None:
        self.buckets = [0] * (self.LIMIT_MS + 1)
        self.count = 0

    def add(self, seconds: float) -> None:
        self.buckets[min(self.LIMIT_MS, int(seconds * 1000))] += 1
        self.count += 1

    def merge(self, other: LatencyHistogram) -> None:
        for i, n in enumerate(other.buckets):
            if n:
                self.buckets[i] += n
        self.count += other.count

    def sparse(self) -> dict[int, int]:
        """{ms: count} of the non-empty buckets (what a job returns, to be merged by a reader)."""
        return {ms: n for ms, n in enumerate(self.buckets) if n}

    def add_sparse(self, sparse: dict[int | str, int]) -> None:
        for ms, n in sparse.items():
            self.buckets[min(self.LIMIT_MS, int(ms))] += int(n)
            self.count += int(n)

    def percentile(self, p: float) -> float:
        """Upper edge (ms) of the bucket holding the p-th percentile."""
        if not self.count:
            return 0.0
        target = max(1, round(self.count * p / 100))
        seen = 0
        for ms, n in enumerate(self.buckets):
            seen += n
            if seen >= target:
                return float(ms + 1)
        return float(self.LIMIT_MS)


@dataclass
class RunStats:
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    retried: int = 0
    released: int = 0
    latency: LatencyHistogram = field(default_factory=LatencyHistogram)

    def summary(self) -> dict[str, Any]:
        return {
            "sent": self.sent,
            "failed": self.failed,
            "skipped": self.skipped,
            "retried": self.retried,
            "released": self.released,
            "p50_ms": self.latency.percentile(50),
            "p99_ms": self.latency.percentile(99),
        }


@dataclass
class RunResult:
    state: str
    """done (nothing left), continue (slice over, work left), stopped (paused, cancelled, not running)"""
    stop_code: str = ""
    stats: RunStats = field(default_factory=RunStats)


# -- one process's bound on sends in flight -----------------------------------------------

_SEMAPHORES: dict[tuple[int, int], asyncio.Semaphore] = {}


def process_semaphore(limit: int) -> asyncio.Semaphore:
    """One semaphore per event loop and limit: every runner in this process shares it."""
    key = (id(asyncio.get_running_loop()), limit)
    semaphore = _SEMAPHORES.get(key)
    if semaphore is None:
        if len(_SEMAPHORES) > 16:
            _SEMAPHORES.clear()
        semaphore = _SEMAPHORES[key] = asyncio.Semaphore(limit)
    return semaphore


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def new_worker_id() -> str:
    return f"{socket.gethostname()[:24]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass(slots=True)
class _Outcome:
    row: OutcomeRow
    follower_id: int
    openid: str
    reached_wechat: bool = False
    logged: bool = False
    follower_mark: str = ""


class CampaignRunner:
    """Sends one campaign's queued rows from this process until none are left, the slice
    is over, or the campaign stops being `running`."""

    def __init__(
        self,
        *,
        campaign_id: int,
        wechat: Any,
        redis: Redis,
        settings: Settings,
        worker_id: str | None = None,
        lease_ms: int = LEASE_MS,
        batch_size: int | None = None,
        slice_seconds: float | None = None,
        clock: Callable[[], int] = ledger.now_ms,
        stats: RunStats | None = None,
        retry_delays_ms: tuple[int, ...] = RETRY_DELAYS_MS,
        watch_interval_s: float = WATCH_INTERVAL_S,
    ) -> None:
        self.campaign_id = campaign_id
        self.wechat = wechat
        self.redis = redis
        self.settings = settings
        self.worker_id = worker_id or new_worker_id()
        self.lease_ms = lease_ms
        self.concurrency = settings.push_concurrency
        self.batch_size = batch_size or max(50, min(500, self.concurrency * 2))
        self.slice_seconds = slice_seconds
        self.clock = clock
        self.stats = stats or RunStats()
        self.retry_delays_ms = retry_delays_ms
        self.watch_interval_s = watch_interval_s
        self.stop_code = ""
        self._stopping = asyncio.Event()
        self._closing = asyncio.Event()
        self._outcomes: list[_Outcome] = []
        self._flush_lock = asyncio.Lock()
        self._flush_wanted = asyncio.Event()
        self._queue: asyncio.Queue[Claimed | None] = asyncio.Queue(maxsize=self.batch_size)
        self._in_flight = 0
        self._campaign: PushCampaign | None = None
        self._message: dict[str, Any] = {}
        self._sender: MessageSender | None = None
        self._limiter: SharedRateLimiter | None = None

    # -- the run ---------------------------------------------------------------------

    async def run(self) -> RunResult:
        campaign = await PushCampaign.get_or_none(id=self.campaign_id)
        if campaign is None or campaign.status != CampaignStatus.running or not campaign.message:
            return RunResult("stopped", stats=self.stats)
        self._campaign = campaign
        self._message = dict(campaign.message)
        self._sender = MESSAGE_SENDERS.get(self._message.get("kind", ""))
        if self._sender is None:
            await self._pause("template", f"不支持的消息类型 {self._message.get('kind')!r}，推送已暂停。")
            return RunResult("stopped", self.stop_code, self.stats)
        if not await self._policy_still_pushable():
            return RunResult("stopped", self.stop_code, self.stats)
        self._limiter = SharedRateLimiter(
            self.redis,
            appid=self.settings.wechat_appid,
            rate_per_second=self.settings.push_rate_per_second,
            daily_quota=self.settings.template_daily_quota,
        )
        await self._announce_alive()
        background = [
            asyncio.create_task(self._heartbeat(), name=f"push-heartbeat-{self.campaign_id}"),
            asyncio.create_task(self._watch(), name=f"push-watch-{self.campaign_id}"),
            asyncio.create_task(self._flusher(), name=f"push-flush-{self.campaign_id}"),
        ]
        consumers = [
            asyncio.create_task(self._consume(), name=f"push-send-{self.campaign_id}-{n}")
            for n in range(self.concurrency)
        ]
        state = "stopped"
        try:
            state = await self._produce()
        except asyncio.CancelledError:  # worker shutdown or job timeout: release, do not send on
            self._stopping.set()
            raise
        finally:
            await self._shutdown(consumers, background)
        return RunResult(state, self.stop_code, self.stats)

    async def _shutdown(self, consumers: list[asyncio.Task], background: list[asyncio.Task]) -> None:
        """Stop the consumers, then write every outcome.

        After a pause or cancel (`_stopping`), rows still waiting in the local queue are
        released unsent; at the end of a slice they are sent first (the slice is a soft
        boundary). Also runs when the job is cancelled: rows whose send was cut off stay
        `sending` and come back, uncertain, when the lease runs out."""
        for _ in consumers:
            # Behind every row still queued: consumers send (or release) those first.
            put = asyncio.ensure_future(self._queue.put(None))
            while not put.done():
                await asyncio.wait([put, *consumers], return_when=asyncio.FIRST_COMPLETED)
                consumers = [task for task in consumers if not task.done()]
                if not consumers:
                    put.cancel()
                    break
        if consumers:
            await asyncio.wait(consumers)
        self._closing.set()
        await asyncio.gather(*background, return_exceptions=True)
        await self._flush()
        if self._limiter is not None:
            await self._limiter.close()
        with contextlib.suppress(Exception):
            await self.redis.zrem(live_runners_key(self.campaign_id), self.worker_id)

    async def _produce(self) -> str:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.slice_seconds if self.slice_seconds is not None else None
        last_reclaim = 0
        while not self._stopping.is_set():
            if deadline is not None and loop.time() >= deadline:
                return "continue"
            now = self.clock()
            if now - last_reclaim >= RECLAIM_INTERVAL_MS:
                last_reclaim = now
                reclaimed = await ledger.reclaim_expired(campaign_id=self.campaign_id, now=now)
                if reclaimed:
                    logger.warning(
                        "push rows reclaimed from an expired lease",
                        extra={"campaign_id": self.campaign_id, "rows": reclaimed},
                    )
            if not await self._policy_still_pushable():
                return "stopped"
            rows = await ledger.claim(
                campaign_id=self.campaign_id,
                worker=self.worker_id,
                limit=self.batch_size,
                lease_ms=self.lease_ms,
                now=now,
            )
            if rows:
                for row in await self._screen(rows, now=now):
                    await self._queue.put(row)
                continue
            if self._in_flight or not self._queue.empty():
                await self._sleep(0.02)
                continue
            await self._flush()
            work = await ledger.remaining_work(campaign_id=self.campaign_id)
            if not work["queued"] and not work["sending"]:
                await self._complete()
                return "done"
            wait = 1.0
            if work["queued"]:
                retry_at = await ledger.next_retry_at(campaign_id=self.campaign_id)
                if retry_at is not None:
                    wait = min(wait, max(0.02, (retry_at - self.clock()) / 1000))
            if deadline is not None:
                wait = min(wait, max(0.0, deadline - loop.time()))
            await self._sleep(wait)
        return "stopped"

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)

    # -- screening claimed rows --------------------------------------------------------

    async def _screen(self, rows: list[Claimed], *, now: int) -> list[Claimed]:
        """Rows that may be sent; the others get their outcome here, without a send."""
        assert self._campaign is not None and self._sender is not None
        keep: list[Claimed] = []
        undecided: list[Claimed] = []
        for row in rows:
            if row.uncertain and (
                not self._sender.resend_safe or now - row.first_attempt_at > SAFE_RESEND_WINDOW_MS
            ):
                self._finish(row, DeliveryStatus.failed, DeliveryReason.unknown_outcome)
            else:
                undecided.append(row)
        if not undecided:
            return keep
        ids = [row.follower_id for row in undecided]
        followers = {
            fid: (subscribed, reason)
            for fid, subscribed, reason in await Follower.filter(id__in=ids).values_list(
                "id", "subscribed", "unreachable_reason"
            )
        }
        scopes = [MuteScope.all.value]
        if self._campaign.support_type:
            scopes.append(self._campaign.support_type)
        muted = set(
            await PushMute.filter(follower_id__in=ids, scope__in=scopes).values_list("follower_id", flat=True)
        )
        capped = await self._capped(ids)
        for row in undecided:
            subscribed, unreachable = followers.get(row.follower_id, (False, ""))
            if not subscribed:
                self._finish(row, DeliveryStatus.skipped, DeliveryReason.unsubscribed)
            elif unreachable:
                self._finish(row, DeliveryStatus.skipped, DeliveryReason.unreachable, error=unreachable)
            elif row.follower_id in muted:
                self._finish(row, DeliveryStatus.skipped, DeliveryReason.muted)
            elif row.follower_id in capped:
                self._finish(row, DeliveryStatus.skipped, DeliveryReason.frequency_cap)
            else:
                keep.append(row)
        return keep

    async def _capped(self, follower_ids: list[int]) -> set[int]:
        """Followers who already got the weekly maximum of policy pushes from other campaigns."""
        assert self._campaign is not None
        cap = self.settings.push_frequency_cap_per_week
        if not cap or not self._campaign.frequency_capped:
            return set()
        since = datetime.now(UTC) - FREQUENCY_WINDOW
        rows = (
            await PushDelivery.filter(
                follower_id__in=follower_ids,
                status__in=[DeliveryStatus.sent, DeliveryStatus.delivered],
                sent_at__gte=since,
                campaign__frequency_capped=True,
            )
            .exclude(campaign_id=self.campaign_id)
            .annotate(n=Count("id"))
            .group_by("follower_id")
            .values_list("follower_id", "n")
        )
        return {int(fid) for fid, n in rows if int(n) >= cap}

    # -- sending -------------------------------------------------------------------------

    async def _consume(self) -> None:
        assert self._sender is not None and self._limiter is not None
        semaphore = process_semaphore(self.concurrency)
        while True:
            row = await self._queue.get()
            if row is None:
                return
            if self._stopping.is_set():
                self._release(row)
                continue
            try:
                await self._limiter.acquire()
            except QuotaExhausted:
                self._release(row)
                await self._quota_spent()
                continue
            except Exception:
                # Redis (the shared bucket) unreachable: give the row back and wait, rather than
                # let this consumer die and leave the producer blocked on a full queue.
                logger.exception("push rate limiter unavailable; row released", extra={"campaign_id": self.campaign_id})
                self._release(row)
                await self._sleep(1.0)
                continue
            if self._stopping.is_set():
                self._limiter.give_back()
                self._release(row)
                continue
            self._in_flight += 1
            try:
                async with semaphore:
                    await self._send(row)
            finally:
                self._in_flight -= 1

    async def _send(self, row: Claimed) -> None:
        assert self._sender is not None
        started = time.perf_counter()
        try:
            msgid = await self._sender.send(
                wechat=self.wechat, row=row, message=self._message, campaign_id=self.campaign_id
            )
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # every failure becomes a ledger outcome, never a crashed worker
            self.stats.latency.add(time.perf_counter() - started)
            await self._failed(row, exc)
            return
        self.stats.latency.add(time.perf_counter() - started)
        self.stats.sent += 1
        now = datetime.now(UTC)
        self._add(
            _Outcome(
                OutcomeRow(row.id, DeliveryStatus.sent, msgid=msgid, errcode=0, sent_at=now, uncertain=row.uncertain),
                row.follower_id,
                row.openid,
                reached_wechat=True,
                logged=self._sender.logs_itself,
            )
        )

    async def _failed(self, row: Claimed, exc: Exception) -> None:
        assert self._sender is not None
        rule = rule_for(exc)
        errcode = getattr(exc, "errcode", None)
        errmsg = str(getattr(exc, "errmsg", "") or exc)[:200]
        reached = isinstance(exc, WeChatAPIError) and errcode is not None
        logged = self._sender.logs_itself
        if rule.action == "pause":
            self._release(row, errcode=errcode, error=errmsg)
            await self._pause(rule.pause_code, rule.pause_reason)
            return
        if rule.action == "retry":
            uncertain = row.uncertain or _is_uncertain(exc)
            if row.attempts < MAX_ATTEMPTS:
                delays = self.retry_delays_ms
                delay = delays[min(row.attempts, len(delays)) - 1]
                self.stats.retried += 1
                self._add(
                    _Outcome(
                        OutcomeRow(
                            row.id,
                            DeliveryStatus.queued,
                            errcode=errcode,
                            error=errmsg,
                            retry_at=self.clock() + delay,
                            uncertain=uncertain,
                        ),
                        row.follower_id,
                        row.openid,
                        reached_wechat=reached,
                        logged=logged,
                    )
                )
                return
            self._finish(
                row,
                DeliveryStatus.failed,
                rule.reason or DeliveryReason.retries_exhausted,
                errcode=errcode,
                error=errmsg,
                reached=reached,
                logged=logged,
                uncertain=uncertain,
            )
            return
        if not isinstance(exc, WeChatAPIError):
            logger.exception("push send failed unexpectedly", extra={"campaign_id": self.campaign_id})
        self._finish(
            row,
            DeliveryStatus.failed,
            rule.reason or DeliveryReason.rejected,
            errcode=errcode,
            error=errmsg,
            reached=reached,
            logged=logged,
            follower_mark=rule.follower_mark,
        )

    # -- outcomes ------------------------------------------------------------------------

    def _add(self, outcome: _Outcome) -> None:
        self._outcomes.append(outcome)
        if len(self._outcomes) >= FLUSH_SIZE:
            self._flush_wanted.set()

    def _finish(
        self,
        row: Claimed,
        status: DeliveryStatus,
        reason: DeliveryReason,
        *,
        errcode: int | None = None,
        error: str = "",
        reached: bool = False,
        logged: bool = False,
        follower_mark: str = "",
        uncertain: bool = False,
    ) -> None:
        if status is DeliveryStatus.failed:
            self.stats.failed += 1
        else:
            self.stats.skipped += 1
        self._add(
            _Outcome(
                OutcomeRow(
                    row.id,
                    status,
                    reason=reason.value,
                    errcode=errcode,
                    error=error,
                    finished_at=datetime.now(UTC),
                    uncertain=uncertain or row.uncertain,
                ),
                row.follower_id,
                row.openid,
                reached_wechat=reached,
                logged=logged,
                follower_mark=follower_mark,
            )
        )

    def _release(self, row: Claimed, *, errcode: int | None = None, error: str = "") -> None:
        """Give back a row that was not sent (paused or stopping): queued again, attempt not counted.

        When the campaign was cancelled, the row is skipped instead (`_stop_reason`)."""
        self.stats.released += 1
        if self.stop_code in {"cancelled", DeliveryReason.policy_not_pushable.value}:
            reason = (
                DeliveryReason.cancelled if self.stop_code == "cancelled" else DeliveryReason.policy_not_pushable
            )
            self._finish(row, DeliveryStatus.skipped, reason)
            return
        self._add(
            _Outcome(
                OutcomeRow(
                    row.id,
                    DeliveryStatus.queued,
                    errcode=errcode,
                    error=error,
                    uncertain=row.uncertain,
                    attempts_delta=-1,
                ),
                row.follower_id,
                row.openid,
            )
        )

    async def _pause_between(self, seconds: float, event: asyncio.Event | None = None) -> bool:
        """Wait `seconds` (or until `event`); False once the runner is closing.

        Background tasks end by this flag, never by `Task.cancel()`: cancelling a task inside
        a tortoise SQLite transaction's BEGIN leaks the connection lock and freezes every
        query of the process."""
        waits = [asyncio.ensure_future(self._closing.wait())]
        if event is not None:
            waits.append(asyncio.ensure_future(event.wait()))
        try:
            await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waits:
                waiter.cancel()
        return not self._closing.is_set()

    async def _flusher(self) -> None:
        while await self._pause_between(FLUSH_INTERVAL_S, self._flush_wanted):
            self._flush_wanted.clear()
            try:
                await self._flush()
            except Exception:
                logger.exception("push outcomes not written yet; retrying", extra={"campaign_id": self.campaign_id})
                await self._pause_between(1.0)

    async def _flush(self) -> None:
        """Write buffered outcomes: ledger rows, message-log rows and follower marks in one
        transaction; then apply delivery reports that arrived before their msgid was known."""
        async with self._flush_lock:
            batch, self._outcomes = self._outcomes, []
            if not batch:
                return
            try:
                await self._write(batch)
            except BaseException:
                self._outcomes[:0] = batch  # keep them for the next flush
                raise
        sent = [o.row.msgid for o in batch if o.row.status is DeliveryStatus.sent and o.row.msgid]
        if sent:
            second = int(time.time())
            key = rate_key(self.campaign_id, second)
            async with self.redis.pipeline(transaction=False) as pipe:
                pipe.incrby(key, len(sent))
                pipe.expire(key, 120)
                await pipe.execute()
            from app.push.service import apply_pending_finishes

            await apply_pending_finishes(redis=self.redis, msgids=sent)

    async def _write(self, batch: list[_Outcome]) -> None:
        marks: dict[str, list[int]] = {}
        logs: list[MessageLog] = []
        summary = str(self._message.get("summary") or "")[:500]
        for outcome in batch:
            if outcome.follower_mark:
                marks.setdefault(outcome.follower_mark, []).append(outcome.follower_id)
            if outcome.reached_wechat and not outcome.logged:
                row = outcome.row
                logs.append(
                    MessageLog(
                        direction=Direction.outbound,
                        channel=MessageChannel.official_account,
                        kind=str(self._message.get("kind") or "template")[:32],
                        openid=outcome.openid,
                        follower_id=outcome.follower_id,
                        wechat_msg_id=str(row.msgid or ""),
                        summary=summary,
                        payload={"campaign_id": self.campaign_id, "delivery_id": row.id},
                        errcode=row.errcode or 0,
                        status="sent" if row.status is DeliveryStatus.sent else "failed",
                        related_type="push_campaign",
                        related_id=self.campaign_id,
                    )
                )
        async with in_transaction() as connection:
            await ledger.apply_outcomes([o.row for o in batch], worker=self.worker_id, connection=connection)
            if logs:
                await MessageLog.bulk_create(logs, using_db=connection)
            now = datetime.now(UTC)
            for mark, follower_ids in marks.items():
                changes: dict[str, Any] = {"unreachable_reason": mark}
                if mark == "43004":  # WeChat says they do not follow: the same as an unsubscribe
                    changes.update(subscribed=False, unsubscribed_at=now)
                await Follower.filter(id__in=follower_ids).using_db(connection).update(**changes)

    # -- campaign state --------------------------------------------------------------------

    async def _policy_still_pushable(self) -> bool:
        """Checked before every batch: an expired or withdrawn policy is never pushed."""
        from app.push.service import stop_for_unpushable_policy

        assert self._campaign is not None
        if self._campaign.policy_id is None:
            return True
        if await stop_for_unpushable_policy(campaign_id=self.campaign_id, policy_id=self._campaign.policy_id):
            self.stop_code = DeliveryReason.policy_not_pushable.value
            self._stopping.set()
            return False
        return True

    async def _quota_spent(self) -> None:
        """The day's quota is counted out. Other live runners of this campaign may still hold
        tokens they took earlier: then this runner just stops and leaves its rows to them; the
        last runner without tokens pauses the campaign (until midnight, see `app.push.jobs`)."""
        if self._stopping.is_set():
            return
        key = live_runners_key(self.campaign_id)
        await self.redis.zremrangebyscore(key, 0, self.clock())
        others = [m for m in await self.redis.zrange(key, 0, -1) if _text(m) != self.worker_id]
        if others:
            if not self.stop_code:
                self.stop_code = "quota_elsewhere"
            self._stopping.set()
            await self.redis.zrem(key, self.worker_id)  # at once, so the last runner sees it is the last
            return
        await self._pause(
            "quota",
            f"今日模板消息额度（{self.settings.template_daily_quota} 条）已用完，推送已暂停，"
            "次日 0 点（北京时间）自动继续。",
        )

    async def _pause(self, code: str, reason: str) -> None:
        """Pause the campaign (if still running) and stop this runner."""
        if not self.stop_code:
            self.stop_code = code
        self._stopping.set()
        changed = await PushCampaign.filter(id=self.campaign_id, status=CampaignStatus.running).update(
            status=CampaignStatus.paused, pause_code=code[:32], pause_reason=reason[:200]
        )
        if changed:
            logger.warning("push campaign paused", extra={"campaign_id": self.campaign_id, "code": code})

    async def _complete(self) -> None:
        changed = await PushCampaign.filter(id=self.campaign_id, status=CampaignStatus.running).update(
            status=CampaignStatus.completed, finished_at=datetime.now(UTC)
        )
        if changed:
            logger.info("push campaign completed", extra={"campaign_id": self.campaign_id})

    async def _watch(self) -> None:
        """Stop within WATCH_INTERVAL_S when staff pause or cancel (or another worker paused)."""
        while await self._pause_between(self.watch_interval_s):
            found = await PushCampaign.filter(id=self.campaign_id).values_list("status", "pause_code")
            current, code = found[0] if found else (None, "")
            if current != CampaignStatus.running:
                if not self.stop_code:
                    if current == CampaignStatus.cancelled:
                        policy = DeliveryReason.policy_not_pushable.value
                        self.stop_code = policy if code == policy else "cancelled"
                    else:
                        self.stop_code = str(code or current or "gone")
                self._stopping.set()
                return

    async def _announce_alive(self) -> None:
        key = live_runners_key(self.campaign_id)
        await self.redis.zadd(key, {self.worker_id: self.clock() + self.lease_ms})
        await self.redis.expire(key, 3600)

    async def _heartbeat(self) -> None:
        while await self._pause_between(min(HEARTBEAT_S, self.lease_ms / 3000)):
            try:
                until = self.clock() + self.lease_ms
                await ledger.extend_leases(campaign_id=self.campaign_id, worker=self.worker_id, lease_until=until)
                await self._announce_alive()
            except Exception:
                logger.exception("push lease not extended", extra={"campaign_id": self.campaign_id})
