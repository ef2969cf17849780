"""Prometheus metrics: what every process counts, and what one scrape reports for a host.

Why multiprocess mode. On each host Qiyun runs several Sanic worker processes and one or
more `qiyun worker` (arq) processes; a request, a WeChat call or a token fetch is counted
in whichever process made it. prometheus_client's multiprocess mode has each process
write its samples to memory-mapped files in one directory per host (`METRICS_DIR`,
default `VAR_DIR/metrics`), and `GET /metrics`, answered by any one server worker, reads
every file in it: one scrape per host sums that host's processes. Prometheus scrapes each
host and cluster totals come from its `sum()` over hosts (e.g.
`sum(rate(qiyun_http_requests_total[5m]))`); no host reports another host's processes.

How the library wants it, and how we meet that:

* it decides between in-memory and file-backed values from the environment variable
  `PROMETHEUS_MULTIPROC_DIR` when it is imported, and any module may import it before the
  settings are read. `configure(settings)` (called by the app factory and the CLI) sets the
  variable -- so child processes inherit it -- and, if the library was imported earlier,
  switches `prometheus_client.values.ValueClass` to the file-backed class the same way
  the library's own import would have, before any sample exists: every metric here has
  labels, so no value is created until the first `.labels()` call;
* the directory must not hold files of processes from an earlier run (their counters
  would be added forever): `prepare_directory(settings)`, run by the main process of
  `qiyun serve` and `qiyun worker`, removes the files of processes that are no longer
  alive. It never removes a live process's file, so a server and a worker starting at
  different times on one host may share the directory safely;
* "live" gauges (`livesum`) must drop a dead process's values: each scrape removes the
  live-gauge files of dead processes (`mark_process_dead`), which also covers a worker
  killed with SIGKILL. Counters of a dead process stay until the next start, so a total
  never goes backwards while the service runs.

Business figures (quota used today, queue depth, campaign progress, overdue appeals,
outbox backlog) are not counted by any process: they are read at scrape time from Redis
and the database by `collect_business`, each source under a short timeout, and a failing
source is reported as `qiyun_metrics_source_up{source=...} 0` instead of failing the scrape.
"""

from __future__ import annotations

import asyncio
import glob
import logging
import os
import re
import time
import warnings
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, values
from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from app.config import Settings

__all__ = [
    "SOURCES",
    "collect_business",
    "configure",
    "count_token_fetch",
    "metrics_directory",
    "observe_http",
    "observe_wechat_call",
    "prepare_directory",
    "remove_stale_files",
    "render",
    "scrape",
    "source",
]

logger = logging.getLogger("qiyun.metrics")

ENV_VAR = "PROMETHEUS_MULTIPROC_DIR"
ARQ_QUEUE = "arq:queue"  # arq's default queue (arq.constants.default_queue_name); Qiyun uses only it
CAMPAIGN_LIMIT = 50
"""At most this many running/paused campaigns are reported (newest first): bounded cardinality."""

_HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_API_LABEL = re.compile(r"^/[A-Za-z0-9_/-]{1,80}$")
_FILE_PID = re.compile(r"_(\d+)\.db$")

# -- what each process counts ---------------------------------------------------------

HTTP_REQUESTS = Counter(
    "qiyun_http_requests",
    "HTTP requests answered, by method, route name (never the raw path) and status",
    ["method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "qiyun_http_request_duration_seconds",
    "Time from the first request middleware to the response, by method and route name",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
HTTP_IN_PROGRESS = Gauge(
    "qiyun_http_requests_in_progress",
    "Requests being handled now, summed over the host's live server processes",
    ["method"],
    multiprocess_mode="livesum",
)
WECHAT_CALLS = Counter(
    "qiyun_wechat_api_calls",
    "HTTP attempts to WeChat's API, by api path, errcode (0 ok, none: no JSON errcode) and outcome",
    ["api", "errcode", "outcome"],
)
WECHAT_LATENCY = Histogram(
    "qiyun_wechat_api_call_duration_seconds",
    "Duration of one HTTP attempt to WeChat's API, by api path",
    ["api"],
    buckets=(0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
TOKEN_FETCHES = Counter(
    "qiyun_wechat_token_fetches",
    "access_token fetches from stable_token (force: force_refresh=true), by appid",
    ["appid", "force"],
)

_PROCESS_METRICS = (HTTP_REQUESTS, HTTP_LATENCY, HTTP_IN_PROGRESS, WECHAT_CALLS, WECHAT_LATENCY, TOKEN_FETCHES)
_configured_dir: str | None = None


# -- process set-up -------------------------------------------------------------------


def metrics_directory(settings: Settings) -> Path:
    """This host's metrics directory: METRICS_DIR, or VAR_DIR/metrics."""
    return (settings.metrics_dir or settings.resolved_var_dir / "metrics").resolve()


def configure(settings: Settings) -> Path:
    """Make this process (and the processes it starts) record into the host's directory.

    Idempotent; called by every server worker (the app factory) and by the CLI's main processes.
    """
    global _configured_dir
    directory = metrics_directory(settings)
    directory.mkdir(parents=True, exist_ok=True)
    path = str(directory)
    os.environ[ENV_VAR] = path
    if _configured_dir == path:
        return directory
    if not getattr(values.ValueClass, "_multiprocess", False) or _configured_dir is not None:
        # Imported before the variable was set (or pointed elsewhere): switch to file-backed
        # values now, and drop any in-memory child created so far so it is re-created on them.
        values.ValueClass = values.MultiProcessValue()
        with warnings.catch_warnings():  # "not implemented in multi-process mode": it only drops our children
            warnings.simplefilter("ignore", UserWarning)
            for metric in _PROCESS_METRICS:
                metric.clear()
    _configured_dir = path
    return directory


def prepare_directory(settings: Settings) -> Path:
    """At a main process's start: remove files left by processes that are gone, then configure."""
    directory = metrics_directory(settings)
    directory.mkdir(parents=True, exist_ok=True)
    removed = remove_stale_files(directory)
    if removed:
        logger.info("metrics: removed %d stale files", removed, extra={"metrics_dir": str(directory)})
    return configure(settings)


def remove_stale_files(directory: Path) -> int:
    """Remove the files of processes that are gone; returns how many were removed."""
    removed = 0
    for path in directory.glob("*.db"):
        pid = _pid_of(path.name)
        if pid is not None and _stale(path, pid):
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def _pid_of(filename: str) -> int | None:
    match = _FILE_PID.search(filename)
    return int(match.group(1)) if match else None


def _stale(path: Path, pid: int) -> bool:
    """The file's process is gone, or its pid now belongs to a process started after the file's
    last write (pids restart at 1 in a fresh container: a kept VAR_DIR would otherwise pass old
    files off as a live process's)."""
    if not _alive(pid):
        return True
    started = _process_started_at(pid)
    try:
        return started is not None and path.stat().st_mtime < started - 1.0
    except FileNotFoundError:
        return False


def _process_started_at(pid: int) -> float | None:
    """Epoch seconds a process started (Linux /proc), or None where that is not available."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        boot = next(
            float(line.split()[1]) for line in Path("/proc/stat").read_text().splitlines() if line.startswith("btime ")
        )
        return boot + int(fields[19]) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, StopIteration):
        return None


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


def _forget_dead_processes(directory: str) -> None:
    """Drop live-gauge files of processes that died (also after SIGKILL, when no hook ran)."""
    pids = {_pid_of(os.path.basename(p)) for p in glob.glob(os.path.join(directory, "gauge_live*.db"))}
    for pid in pids:
        if pid is not None and not _alive(pid):
            mark_process_dead(pid, directory)


# -- instrumentation (cheap, never raises) ----------------------------------------------


def route_label(app_name: str, route_name: str | None) -> str:
    """"ops.healthz" from Sanic's "qiyun.ops.healthz"; "unmatched" when no route answered."""
    if not route_name:
        return "unmatched"
    prefix = f"{app_name}."
    return route_name[len(prefix):] if route_name.startswith(prefix) else route_name


def method_label(method: str) -> str:
    method = (method or "").upper()
    return method if method in _HTTP_METHODS else "other"


def http_started(method: str) -> None:
    try:
        HTTP_IN_PROGRESS.labels(method_label(method)).inc()
    except Exception:  # metrics never break a request
        logger.debug("metrics: in-progress gauge failed", exc_info=True)


def observe_http(method: str, route: str, status: int, seconds: float | None, *, started: bool) -> None:
    """One answered request. `started`: `http_started` ran for it (the gauge goes back down)."""
    try:
        method = method_label(method)
        HTTP_REQUESTS.labels(method, route, str(status)).inc()
        if seconds is not None:
            HTTP_LATENCY.labels(method, route).observe(seconds)
        if started:
            HTTP_IN_PROGRESS.labels(method).dec()
    except Exception:
        logger.debug("metrics: http observation failed", exc_info=True)


def api_label(api: str) -> str:
    """WeChat API paths are fixed strings in our code; anything else is folded into "other"."""
    return api if _API_LABEL.match(api or "") else "other"


def observe_wechat_call(api: str, errcode: int | None, outcome: str, seconds: float) -> None:
    """One HTTP attempt to WeChat (retries count once each)."""
    try:
        api = api_label(api)
        WECHAT_CALLS.labels(api, "none" if errcode is None else str(errcode), outcome).inc()
        WECHAT_LATENCY.labels(api).observe(seconds)
    except Exception:
        logger.debug("metrics: wechat observation failed", exc_info=True)


def count_token_fetch(appid: str, *, force: bool) -> None:
    try:
        TOKEN_FETCHES.labels(appid, "true" if force else "false").inc()
    except Exception:
        logger.debug("metrics: token fetch count failed", exc_info=True)


# -- business figures, read at scrape time ---------------------------------------------

Source = Callable[["Redis", "Settings"], Awaitable[list[Metric]]]
SOURCES: dict[str, Source] = {}


def source(name: str) -> Callable[[Source], Source]:
    """Register a scrape-time source of gauges under `name` (its `qiyun_metrics_source_up` label)."""

    def register(fn: Source) -> Source:
        SOURCES[name] = fn
        return fn

    return register


@source("template_quota")
async def _template_quota(redis: Redis, settings: Settings) -> list[Metric]:
    """The day's template messages counted by the push rate limiter (WeChat's daily quota)."""
    from app.push.ratelimit import quota_used

    used = GaugeMetricFamily(
        "qiyun_template_quota_used_today", "Template messages counted against today's quota (Beijing day)",
        labels=["appid"],
    )
    limit = GaugeMetricFamily("qiyun_template_quota_limit", "TEMPLATE_DAILY_QUOTA", labels=["appid"])
    appid = settings.wechat_appid
    used.add_metric([appid], await quota_used(redis, appid=appid))
    limit.add_metric([appid], settings.template_daily_quota)
    return [used, limit]


@source("job_queue")
async def _job_queue(redis: Redis, settings: Settings) -> list[Metric]:
    depth = GaugeMetricFamily("qiyun_job_queue_depth", "Jobs waiting in arq's queue (ZCARD)", labels=["queue"])
    depth.add_metric([ARQ_QUEUE], await redis.zcard(ARQ_QUEUE))
    return [depth]


@source("push_campaigns")
async def _push_campaigns(redis: Redis, settings: Settings) -> list[Metric]:
    """Deliveries by status for each running or paused campaign (newest CAMPAIGN_LIMIT)."""
    from tortoise.functions import Count

    from app.push.models import CampaignStatus, DeliveryStatus, PushCampaign, PushDelivery

    family = GaugeMetricFamily(
        "qiyun_push_campaign_deliveries", "Deliveries of running and paused campaigns, by status",
        labels=["campaign_id", "campaign_status", "status"],
    )
    campaigns = await (
        PushCampaign.filter(status__in=[CampaignStatus.running, CampaignStatus.paused])
        .order_by("-id").limit(CAMPAIGN_LIMIT).values_list("id", "status")
    )
    if not campaigns:
        return [family]
    rows = await (
        PushDelivery.filter(campaign_id__in=[cid for cid, _ in campaigns])
        .annotate(n=Count("id")).group_by("campaign_id", "status").values_list("campaign_id", "status", "n")
    )
    counts = {(int(cid), _value(status)): int(n) for cid, status, n in rows}
    for cid, status in campaigns:
        for delivery_status in DeliveryStatus:
            family.add_metric(
                [str(cid), _value(status), delivery_status.value], counts.get((int(cid), delivery_status.value), 0)
            )
    return [family]


@source("appeals")
async def _appeals(redis: Redis, settings: Settings) -> list[Metric]:
    """Appeals past a staff deadline now, by the dashboard's rule (app.appeal.deadlines.STAGES)."""
    from app.appeal.models import Appeal
    from app.reporting.dashboard import deadline_conditions

    overdue_q, _ = deadline_conditions(datetime.now(timezone.utc), settings)
    family = GaugeMetricFamily("qiyun_appeals_overdue", "Appeals past a pending staff deadline (the dashboard's 超期)")
    family.add_metric([], await Appeal.filter(overdue_q).count())
    return [family]


@source("outbox")
async def _outbox(redis: Redis, settings: Settings) -> list[Metric]:
    from app.outbox.models import OutboxMessage, OutboxStatus

    family = GaugeMetricFamily("qiyun_outbox_pending", "Outbox messages waiting to be delivered (status pending)")
    family.add_metric([], await OutboxMessage.filter(status=OutboxStatus.pending).count())
    return [family]


def _value(status: Any) -> str:
    return str(getattr(status, "value", status))


async def collect_business(
    redis: Redis, settings: Settings, *, timeout: float, sources: dict[str, Source] | None = None
) -> list[Metric]:
    """Every source's gauges, each under `timeout`; a failure only sets its `source_up` to 0."""
    chosen = SOURCES if sources is None else sources
    names = list(chosen)
    results = await asyncio.gather(
        *(asyncio.wait_for(chosen[name](redis, settings), timeout) for name in names), return_exceptions=True
    )
    up = GaugeMetricFamily(
        "qiyun_metrics_source_up", "1 if the scrape-time source answered within the timeout", labels=["source"]
    )
    families: list[Metric] = []
    for name, result in zip(names, results):
        if isinstance(result, BaseException):
            if isinstance(result, asyncio.CancelledError):
                raise result
            logger.warning(
                "metrics source %s failed: %s", name, type(result).__name__,
                extra={"source": name, "error": f"{type(result).__name__}: {result}"[:200]},
            )
            up.add_metric([name], 0)
        else:
            up.add_metric([name], 1)
            families.extend(result)
    return [*families, up]


class _Snapshot:
    """A collector that yields families computed beforehand (the scrape's business gauges)."""

    def __init__(self, families: Iterable[Metric]) -> None:
        self._families = list(families)

    def collect(self) -> Iterable[Metric]:
        return iter(self._families)


def render(directory: str | Path, business: Iterable[Metric] = (), *, accept: str = "") -> tuple[bytes, str]:
    """The exposition for this host (every process's files plus the business gauges) and its
    content type: Prometheus text 0.0.4 unless the scraper's `Accept` asks for a newer format.

    Reads files, so callers in an event loop run it in a thread.
    """
    path = str(directory)
    _forget_dead_processes(path)
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=path)
    registry.register(_Snapshot(business))
    encoder, content_type = choose_encoder(accept)
    return encoder(registry), content_type


async def scrape(redis: Redis, settings: Settings, *, accept: str = "") -> tuple[bytes, str]:
    """What GET /metrics answers: business gauges (bounded by METRICS_SCRAPE_TIMEOUT) and the files."""
    started = time.perf_counter()
    business = await collect_business(redis, settings, timeout=settings.metrics_scrape_timeout)
    result = await asyncio.to_thread(render, metrics_directory(settings), business, accept=accept)
    logger.debug("metrics scraped", extra={"latency_ms": round((time.perf_counter() - started) * 1000, 1)})
    return result
