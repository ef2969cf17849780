"""Long-running processes and the schema: serve, worker, migrate, makemigrations."""

from __future__ import annotations

import argparse
import asyncio
import sys

from app import db
from app.cli import command
from app.cli.common import settings_and_logging
from app.redis_client import resolve_redis_url, stop_embedded_redis


def server_app():
    """Factory each Sanic worker process calls: logging first, then the app."""
    from app.factory import create_app

    settings = settings_and_logging()
    return create_app(settings)


WORKER_ACK_TIMEOUT_S = 120
"""How long `serve` waits for each Sanic worker to report ready before giving up."""


def _serve_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=1, help="server processes sharing the port")


@command("serve", help="run the HTTP server (official-account callback, mini-program API, admin)", arguments=_serve_arguments)
def serve(args: argparse.Namespace) -> int:
    from sanic import Sanic
    from sanic.worker.loader import AppLoader
    from sanic.worker.manager import WorkerManager

    settings = settings_and_logging()
    _prepare_metrics(settings)
    # Start (or join) the embedded Redis here, in the main process, so every worker shares it.
    resolve_redis_url(settings.redis_url, settings.resolved_var_dir)
    # Sanic kills every worker if one has not reported ready within 30 s. Each worker imports
    # the whole app, which on a small busy host (2 cores, a deploy or a test run beside it)
    # has been seen to take longer; 2 minutes still catches a worker that truly hangs.
    WorkerManager.THRESHOLD = max(WorkerManager.THRESHOLD, WORKER_ACK_TIMEOUT_S * 10)
    loader = AppLoader(factory=server_app)
    app = loader.load()
    app.prepare(host=args.host, port=args.port, workers=args.workers, access_log=False, motd=False)
    try:
        Sanic.serve(primary=app, app_loader=loader)
    finally:
        stop_embedded_redis()
    return 0


@command("worker", help="run the background job worker (arq) with its cron jobs")
def worker(args: argparse.Namespace) -> int:
    from app.jobs.worker import JobWorker, worker_settings

    settings = settings_and_logging()
    _prepare_metrics(settings)
    try:
        asyncio.run(_run_worker(JobWorker, worker_settings(settings)))
    finally:
        stop_embedded_redis()
    return 0


def _prepare_metrics(settings) -> None:
    """Drop metrics files of processes gone since the last run; workers started from here inherit
    PROMETHEUS_MULTIPROC_DIR (app/ops/metrics.py)."""
    from app.ops.metrics import prepare_directory

    prepare_directory(settings)


async def _run_worker(worker_class, options) -> None:
    worker = worker_class(**options)
    try:
        await worker.async_run()
    except asyncio.CancelledError:
        pass
    finally:
        await worker.close()


@command("migrate", help="apply pending database migrations")
def migrate(args: argparse.Namespace) -> int:
    settings = settings_and_logging()

    def progress(event: str, app_label: str, name: str) -> None:
        if event == "apply_done":
            print(f"applied {app_label}.{name}", file=sys.stderr)

    asyncio.run(db.apply_migrations(settings.effective_database_url, progress=progress))
    print(f"database is up to date ({db.backend_name(settings.effective_database_url)})", file=sys.stderr)
    return 0


def _makemigrations_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--name", help="suffix for the migration file, e.g. add_policy_tags")
    parser.add_argument("--check", action="store_true", help="exit 1 if models need a migration; write nothing")


@command(
    "makemigrations",
    help="write a migration for model changes (developers; run against a scratch SQLite database)",
    arguments=_makemigrations_arguments,
)
def makemigrations(args: argparse.Namespace) -> int:
    import tempfile

    settings_and_logging()
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite://{scratch}/scratch.sqlite3"

        async def run():
            await db.apply_migrations(url)
            return await db.make_migrations(url, name=args.name, write=not args.check)

        changes = asyncio.run(run())
    for change in changes:
        print(f"{'needed' if args.check else 'wrote'}: {change}")
    if not changes:
        print("no changes")
    return 1 if args.check and changes else 0
