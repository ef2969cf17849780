"""Pushing one template message to N followers: wechatpy's synchronous loop vs a Qiyun campaign.

Both against the WeChat simulator with the same latency (default 50 ms a call):

1. the usual way: wechatpy's `WeChatClient` (pointed at the simulator, see
   benchmarks/alternative/wechatpy_push.py) calling `client.message.send_template(...)` for
   each of the N openids in a loop;
2. Qiyun: benchmarks/push_campaign.py run as it is (real `qiyun worker` processes, the campaign
   created and started through `app.push.service`) with `--audience everyone` over the same N
   followers and no injected errors.

Prints sends/s of each and the ratio, and checks exactly-once for both from the simulator's
own per-openid counters (each of the N openids got exactly one template message, nobody else
any).

    python benchmarks/push_vs_wechatpy.py --recipients 5000
    python benchmarks/push_vs_wechatpy.py --recipients 5000 --workers 2 \\
        --database-url postgres://postgres@127.0.0.1:5432/postgres --redis-url redis://127.0.0.1:6379/8

Everything runs on loopback and stops by itself; the wechatpy loop is bounded by --recipients.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import re
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import push_campaign  # noqa: E402
from benchmarks.alternative.wechatpy_push import SimulatorWeChatClient, send_all  # noqa: E402
from benchmarks.support import free_port, machine_line, require_loopback, start_qiyun, wait_http  # noqa: E402

MAX_RECIPIENTS = 100_000
#: What Qiyun's policy_push template renders for the campaign's policy (templates_msg/policy_push.py;
#: thing values clipped to WeChat's 20 characters).
DATA = {
    "thing1": {"value": "浦东新区关于支持科技型中小企业研发投…"},
    "phrase2": {"value": "资金补贴"},
    "thing3": {"value": "见政策原文"},
    "thing4": {"value": "截至2027年1月31日"},
}


def openids(count: int) -> list[str]:
    """The followers push_campaign.py seeds: oBench00000001 … (same N for both runs)."""
    return [f"oBench{n:08d}" for n in range(1, count + 1)]


def run_wechatpy(args: argparse.Namespace, var_dir: Path) -> tuple[float, int, bool, str]:
    """(sends/s, sent, exactly once, detail) of the wechatpy loop against a fresh simulator."""
    port = free_port()
    sim_url = f"http://127.0.0.1:{port}"
    env_args = SimpleNamespace(recipients=args.recipients, concurrency=1, rate=1)
    env = push_campaign.base_env(env_args, var_dir, database_url="sqlite://unused", redis_url="redis://unused",
                                 api_base=sim_url)
    simulator = start_qiyun("simulator", "--port", str(port), "--latency-ms", str(args.latency_ms), env=env)
    try:
        asyncio.run(wait_http(f"{sim_url}/_sim", timeout=60))
        asyncio.run(push_campaign.sim_post(sim_url, "/_sim/config", {"template_finish_events": False}))
        client = SimulatorWeChatClient(push_campaign.BENCH_APPID, push_campaign.BENCH_SECRET, base=sim_url)
        result = send_all(
            client, openids(args.recipients), template_id=push_campaign.TEMPLATE_ID, data=DATA,
            url="https://example.invalid/h5/policies/1",
        )
        stats = asyncio.run(push_campaign.sim_get(sim_url, "/_sim/stats", {"summary": "1"}))
    finally:
        simulator.stop()
    once, detail = push_campaign.exactly_once(stats, args.recipients)
    if result.failed:
        detail += f"; {result.failed} sends failed {result.errors}"
    print(f"wechatpy loop   : {result.sent:,} sent in {result.seconds:.1f} s = {result.sent / result.seconds:,.1f} sends/s; "
          f"exactly once: {'yes' if once else 'NO'}: {detail}", flush=True)
    return result.sent / result.seconds, result.sent, once, detail


class _Tee(io.TextIOBase):
    def __init__(self, *streams: io.TextIOBase) -> None:
        self.streams = streams

    def write(self, text: str) -> int:
        for stream in self.streams:
            stream.write(text)
            stream.flush()
        return len(text)


def run_qiyun(args: argparse.Namespace) -> tuple[float, float, bool, str]:
    """(sends/s overall, sends/s once sending, exactly once, push_campaign's own lines) of a Qiyun
    campaign to the same N. Overall counts from the campaign's start, so it includes the
    worker picking the job up; "once sending" from the first second with a send."""
    argv = [
        "--recipients", str(args.recipients), "--audience", "everyone", "--transient-error-rate", "0",
        "--latency-ms", str(args.latency_ms), "--workers", str(args.workers), "--skip-simulator-check",
        "--concurrency", str(args.concurrency), "--rate", str(args.rate),
    ]
    if args.database_url:
        argv += ["--database-url", args.database_url]
    if args.redis_url:
        argv += ["--redis-url", args.redis_url]
    captured = io.StringIO()
    with contextlib.redirect_stdout(_Tee(sys.stdout, captured)):
        code = push_campaign.main(argv)
    output = captured.getvalue()
    found = re.search(r"sends/s\s*:\s*([\d,.]+) overall.*?([\d,.]+) once sending", output)
    once = re.search(r"exactly once\s*:\s*yes", output) is not None and code == 0
    overall, steady = (float(found.group(n).replace(",", "")) for n in (1, 2)) if found else (0.0, 0.0)
    return overall, steady, once, output


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipients", type=int, default=5000)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--workers", type=int, default=1, help="Qiyun sender processes (qiyun worker)")
    parser.add_argument("--concurrency", type=int, default=128, help="Qiyun PUSH_CONCURRENCY per worker")
    parser.add_argument("--rate", type=int, default=1500, help="Qiyun PUSH_RATE_PER_SECOND")
    parser.add_argument("--database-url", help="PostgreSQL server for Qiyun's run (a scratch database, dropped)")
    parser.add_argument("--redis-url", help="Redis for Qiyun's run (FLUSHED afterwards; default: embedded)")
    parser.add_argument("--skip-wechatpy", action="store_true")
    parser.add_argument("--skip-qiyun", action="store_true")
    args = parser.parse_args(argv)
    if not 1 <= args.recipients <= MAX_RECIPIENTS:
        parser.error(f"--recipients must be 1..{MAX_RECIPIENTS}")
    for url in (args.database_url, args.redis_url):
        if url:
            require_loopback(url)

    print(f"push vs wechatpy: {args.recipients:,} recipients, simulator latency {args.latency_ms} ms")
    print(machine_line())
    wechatpy_rate, once_w = 0.0, True
    started = time.perf_counter()
    if not args.skip_wechatpy:
        with tempfile.TemporaryDirectory(prefix="qiyun-wechatpy-") as var_dir:
            wechatpy_rate, _, once_w, _ = run_wechatpy(args, Path(var_dir))
    qiyun_rate, qiyun_steady, once_q = 0.0, 0.0, True
    if not args.skip_qiyun:
        try:
            qiyun_rate, qiyun_steady, once_q, _ = run_qiyun(args)
        finally:
            if args.redis_url:  # the run's arq queue, results and ledger leases
                import redis

                redis.Redis.from_url(args.redis_url).flushdb()
    print()
    print(f"{'sender':<44} {'sends/s':>9} {'exactly once':>13}")
    if not args.skip_wechatpy:
        print(f"{'wechatpy WeChatClient.send_template loop':<44} {wechatpy_rate:9,.1f} {'yes' if once_w else 'NO':>13}")
    if not args.skip_qiyun:
        label = f"qiyun campaign ({args.workers} worker, {args.concurrency} in flight)"
        print(f"{label:<44} {qiyun_rate:9,.1f} {'yes' if once_q else 'NO':>13}   ({qiyun_steady:,.0f} once sending)")
    if wechatpy_rate and qiyun_rate:
        print(f"ratio qiyun / wechatpy loop: {qiyun_rate / wechatpy_rate:,.1f}x overall, "
              f"{qiyun_steady / wechatpy_rate:,.1f}x once sending")
    print(f"{machine_line()} (after {time.perf_counter() - started:.0f} s)")
    return 0 if once_w and once_q else 1


if __name__ == "__main__":
    raise SystemExit(main())
