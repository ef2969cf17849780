"""Benchmark: the admin dashboard over a year of a large city (1,000,000 appeals, 1,000,000 deliveries).

    python benchmarks/dashboard.py                                   # PostgreSQL, qiyun_bench_dashboard
    python benchmarks/dashboard.py --appeals 100000 --deliveries 100000 --regenerate
    python benchmarks/dashboard.py --database-url postgres://postgres@127.0.0.1:5432/other --no-http

A dedicated benchmark database: created if missing, migrated, the demo data seeded
(`app.demo.seed_demo`) and a synthetic year loaded (`app.reporting.synthetic.generate_year`)
unless it already holds --appeals synthetic appeals and --deliveries synthetic deliveries
(or with --regenerate). Then the summary tables are rebuilt whole and refreshed
incrementally (`app.reporting.refresh.refresh_summaries`), both timed, and, after one
warm-up, --repeat times (p50 and max):

* `app.reporting.dashboard.build_dashboard` for a city administrator, a district
  administrator and a department handler (their own scope, the dashboard's default period);
* `app.reporting.figures.period_figures` and `app.reporting.league.league_table` for the city;
* the rendered admin home page (GET /admin/) over HTTP, signed in as each of the three, from
  the app served in-process (a private Redis is started for it; --no-http skips this).

The machine (CPU, RAM, PostgreSQL version) and the figures are printed as a table.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import db  # noqa: E402
from app.config import Settings  # noqa: E402
from benchmarks.support import database_version, ensure_database, free_port, machine_line  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/qiyun_bench_dashboard"
USERS = (("admin", "qiyun-admin-2017", "市级管理员（全市）"), ("pudong", "qiyun-pudong-2017", "区管理员（浦东新区）"),
         ("keji", "qiyun-keji-2017", "部门承办人（市科委）"))
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


async def timed(repeat: int, call: Callable[[], Awaitable[Any]]) -> tuple[float, float, Any]:
    """p50 and max seconds over `repeat` runs after one warm-up, and the last result."""
    result = await call()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = await call()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples), max(samples), result


async def load(args: argparse.Namespace, settings: Settings) -> list[str]:
    from app.appeal.models import Appeal
    from app.demo import seed_demo
    from app.organisation.models import Organisation
    from app.push.models import PushCampaign, PushDelivery
    from app.reporting.periods import today
    from app.reporting.synthetic import APPEAL_PREFIX, generate_year

    notes = []
    if not await Organisation.filter(code="city.coordination").exists():
        started = time.monotonic()
        await seed_demo(enterprises=2000)
        notes.append(f"seeded the demo data in {time.monotonic() - started:.1f}s")
    appeals = await Appeal.filter(number__startswith=APPEAL_PREFIX).count()
    campaigns = [c["id"] for c in await PushCampaign.all().values("id", "audience")
                 if isinstance(c["audience"], dict) and c["audience"].get("synthetic")]
    deliveries = await PushDelivery.filter(campaign_id__in=campaigns or [-1]).count()
    if appeals == args.appeals and deliveries == args.deliveries and not args.regenerate:
        notes.append(f"using the {appeals:,} synthetic appeals and {deliveries:,} deliveries already there")
        return notes

    def progress(label: str, done: int, total: int) -> None:
        if done == total or done % 100_000 < 10_000:
            print(f"  {label}: {done:,}/{total:,}", flush=True)

    summary = await generate_year(settings=settings, appeals=args.appeals, deliveries=args.deliveries, seed=args.seed,
                                  end=today(), replace=True, progress=progress)
    notes += summary.lines()
    return notes


async def http_rows(args: argparse.Namespace, settings: Settings, period: str) -> list[tuple[str, float, float, str]]:
    """GET /admin/ for each user from the app served in-process, with a private Redis."""
    import aiohttp

    from app.factory import create_app
    from app.resources import open_resources

    scratch = Path(tempfile.mkdtemp(prefix="qiyun-bench-dashboard-"))
    redis_port = free_port()
    redis = subprocess.Popen(["redis-server", "--port", str(redis_port), "--save", "", "--appendonly", "no",
                              "--dir", str(scratch)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    rows = []
    try:
        await asyncio.sleep(0.5)
        app_settings = settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{redis_port}/0"})
        app = create_app(app_settings, name="qiyun_bench_dashboard", manage_resources=False)
        port = free_port()
        server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False)
        await server.startup()
        await server.before_start()
        await server.after_start()
        app.ctx.resources = await open_resources(app_settings, open_database=False)
        base = f"http://127.0.0.1:{port}"
        try:
            for username, password, label in USERS:
                async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
                    async with http.get(base + "/admin/login") as response:
                        token = CSRF.search(await response.text()).group(1)
                    async with http.post(base + "/admin/login", data={"username": username, "password": password,
                                                                       "csrf_token": token},
                                         allow_redirects=False) as response:
                        if response.status not in (302, 303):
                            rows.append((f"GET /admin/ · {label}", 0.0, 0.0, f"login failed ({response.status})"))
                            continue
                    path = f"/admin/?period={period}"
                    sizes: list[int] = []

                    async def get() -> int:
                        async with http.get(base + path, allow_redirects=False) as page:
                            body = await page.read()
                            sizes.append(len(body))
                            return page.status

                    p50, worst, status = await timed(args.repeat, get)
                    rows.append((f"GET /admin/ · {label}", p50, worst, f"HTTP {status}, {sizes[-1] // 1024} KiB"))
        finally:
            await app.ctx.resources.aclose()
            await server.before_stop()
            await server.close()
            await server.after_stop()
    finally:
        redis.terminate()
        redis.wait(timeout=10)
        shutil.rmtree(scratch, ignore_errors=True)
    return rows


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--appeals", type=int, default=1_000_000)
    parser.add_argument("--deliveries", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2017)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--regenerate", action="store_true", help="load the synthetic year again")
    parser.add_argument("--no-http", action="store_true", help="skip the rendered page over HTTP")
    args = parser.parse_args()
    url = args.database_url
    if db.backend_name(url) != "postgres" and args.appeals > 200_000:
        parser.error("a year of more than 200,000 appeals is for PostgreSQL (pass --database-url postgres://...)")
    await ensure_database(url)
    await db.apply_migrations(url)
    settings = Settings(
        _env_file=None, database_url=url, var_dir=Path(tempfile.gettempdir()) / "qiyun-bench-dashboard",
        secret_key=secrets.token_urlsafe(32), log_level="WARNING",
        wechat_appid="wx0123456789abcdef", wechat_secret="0" * 32, wechat_token="qiyunbenchtoken",
        wechat_aes_key="abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
    )
    await db.open_database(url)
    try:
        from app.reporting.dashboard import DEFAULT_PERIOD, build_dashboard, dashboard_period
        from app.reporting.figures import period_figures
        from app.reporting.league import league_table
        from app.reporting.periods import today
        from app.reporting.refresh import refresh_summaries
        from app.reporting.scope import CITY, scope_for_staff
        from app.staff.models import Staff

        server_version = await database_version(url)
        notes = await load(args, settings)

        rows: list[tuple[str, float, float, str]] = []
        started = time.perf_counter()
        result = await refresh_summaries(settings=settings, full=True)
        rows.append(("refresh_summaries(full=True)", time.perf_counter() - started, float("nan"),
                     f"{result.rows:,} summary rows"))
        started = time.perf_counter()
        result = await refresh_summaries(settings=settings, full=False)
        rows.append(("refresh_summaries(incremental)", time.perf_counter() - started, float("nan"),
                     f"{result.rows:,} summary rows"))

        day = today()
        start, end = dashboard_period(DEFAULT_PERIOD, today=day)
        now = datetime.now(timezone.utc)
        for username, _, label in USERS:
            staff = await Staff.get(username=username)
            scope = await scope_for_staff(staff)
            p50, worst, board = await timed(args.repeat, lambda staff=staff, scope=scope: build_dashboard(
                staff=staff, scope=scope, period_start=start, period_end=end, settings=settings, now=now))
            rows.append((f"build_dashboard · {label}", p50, worst,
                         f"received {board.figures.appeals.received:,}, open {board.open_total:,}, "
                         f"overdue {board.overdue:,}"))
        p50, worst, figures = await timed(args.repeat, lambda: period_figures(
            scope=CITY, period_start=start, period_end=end, settings=settings, now=now))
        rows.append(("period_figures · 全市", p50, worst, f"deliveries sent {figures.deliveries.sent:,}"))
        year_start = end - timedelta(days=364)
        p50, worst, league = await timed(args.repeat, lambda: league_table(
            period_start=start, period_end=end, scope=CITY, settings=settings, now=now))
        rows.append(("league_table · 全市", p50, worst, f"{len(league.rows)} organisations"))
        p50, worst, figures = await timed(args.repeat, lambda: period_figures(
            scope=CITY, period_start=year_start, period_end=end, settings=settings, now=now))
        rows.append(("period_figures · 全市, a whole year", p50, worst,
                     f"received {figures.appeals.received:,}, deliveries {figures.deliveries.attempted:,}"))
        if not args.no_http:
            try:
                rows += await http_rows(args, settings, DEFAULT_PERIOD.value)
            except Exception as exc:  # noqa: BLE001 — the page is a bonus; report why it was skipped
                rows.append(("GET /admin/", float("nan"), float("nan"), f"skipped: {type(exc).__name__}: {exc}"))
    finally:
        await db.close_database()

    print()
    print(machine_line(server_version))
    for line in notes:
        print(line)
    print(f"dashboard period: {start} .. {end} ({DEFAULT_PERIOD.label}); {args.repeat} runs after a warm-up")
    print()
    print(f"{'what':<44} {'p50 ms':>10} {'max ms':>10}   notes")
    for label, p50, worst, note in rows:
        worst_text = "" if worst != worst else f"{worst * 1000:10.1f}"
        print(f"{label:<44} {p50 * 1000:10.1f} {worst_text:>10}   {note}")


if __name__ == "__main__":
    asyncio.run(main())
