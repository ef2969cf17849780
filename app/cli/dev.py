"""`qiyun dev`: the whole service on the embedded default, for a local trial, with no configuration.

It generates development credentials once (kept in VAR_DIR so restarts keep them),
points the WeChat client at the simulator, applies migrations, loads demo data into an
empty database, then runs server, worker and simulator as child processes until Ctrl-C.
Any variable already set in the environment wins over what `dev` would choose.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from app.cli import command


def development_credentials(var_dir: Path) -> dict[str, str]:
    """Random but stable credentials for the simulator's apps, stored in VAR_DIR.

    A file from an older version gains the credentials it lacks (kept ones stay)."""
    path = var_dir / "dev-credentials.json"
    stored: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    generators = {
        "WECHAT_APPID": lambda: "wx" + secrets.token_hex(8),
        "WECHAT_SECRET": lambda: secrets.token_hex(16),
        "WECHAT_TOKEN": lambda: secrets.token_hex(8),
        "WECHAT_AES_KEY": lambda: "".join(secrets.choice(alphabet) for _ in range(43)),
        "MINIPROGRAM_APPID": lambda: "wx" + secrets.token_hex(8),
        "MINIPROGRAM_SECRET": lambda: secrets.token_hex(16),
        # The mini-program's message push (media-check verdicts), signed with its own token and key.
        "MINIPROGRAM_TOKEN": lambda: secrets.token_hex(8),
        "MINIPROGRAM_AES_KEY": lambda: "".join(secrets.choice(alphabet) for _ in range(43)),
        "SECRET_KEY": lambda: secrets.token_urlsafe(48),
        # Partner APIs (docs/partner-api.md), so a trial can file 12345 tickets and Open311 requests.
        "HOTLINE_SECRET": lambda: secrets.token_urlsafe(32),
        "OPEN311_API_KEYS": lambda: json.dumps({"dev-client": secrets.token_urlsafe(24)}),
    }
    missing = [name for name in generators if name not in stored]
    if not missing:
        return stored
    credentials = {**stored, **{name: generators[name]() for name in missing}}
    var_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(credentials, indent=2))
    path.chmod(0o600)
    return credentials


def development_template_ids() -> dict[str, str]:
    """A template id for every notification in `templates_msg` (`TEMPLATE_POLICY_PUSH=
    qiyun-dev-policy_push` ...), so every notification is sent in development; the
    simulator accepts any template id not marked invalid (`POST /_sim/invalid_templates`)."""
    import templates_msg

    return {d.setting_variable: f"qiyun-dev-{d.name}" for d in templates_msg.all_definitions()}


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--simulator-port", type=int, default=8001)
    parser.add_argument("--enterprises", type=int, default=2000, help="demo register size on first start")


@command("dev", help="run server + worker + WeChat simulator with demo data (embedded default)", arguments=_arguments)
def dev(args: argparse.Namespace) -> int:
    var_dir = Path(os.environ.get("VAR_DIR", "var")).resolve()
    env_defaults = development_credentials(var_dir)
    env_defaults.update(
        {
            "QIYUN_ENV": "development",
            "VAR_DIR": str(var_dir),
            "WECHAT_API_BASE": f"http://{args.host}:{args.simulator_port}",
            "PUBLIC_BASE_URL": f"http://{args.host}:{args.port}",
            "LOG_FORMAT": "text",
            **development_template_ids(),
        }
    )
    for name, value in env_defaults.items():
        os.environ.setdefault(name, value)

    from app.cli.common import settings_and_logging
    from app.redis_client import resolve_redis_url, stop_embedded_redis

    settings = settings_and_logging(fmt="text")
    from app.ops.metrics import prepare_directory

    prepare_directory(settings)  # one metrics directory for the server and the worker (children inherit it)
    children: list[subprocess.Popen] = []
    # SIGTERM (as from `timeout` or a process manager) stops us like Ctrl-C does, so the
    # children and the embedded Redis are always stopped too, even during start-up.
    signal.signal(signal.SIGTERM, _interrupt)
    # Ctrl-C too, even when our parent started us with SIGINT ignored (a background job of a
    # non-interactive shell, which every descendant inherits): Ctrl-C must always stop dev.
    signal.signal(signal.SIGINT, _interrupt)
    try:
        resolve_redis_url(settings.redis_url, settings.resolved_var_dir)  # exported to the children
        _run_step(["migrate"], "applying migrations")
        _run_step(["seed-demo", "--enterprises", str(args.enterprises)], "loading demo data")
        for name, argv in (
            ("simulator", ["simulator", "--host", args.host, "--port", str(args.simulator_port)]),
            ("server", ["serve", "--host", args.host, "--port", str(args.port)]),
            ("worker", ["worker"]),
        ):
            # Each child leads its own process group, so stopping it can take the processes
            # it spawned too (Sanic's worker outlives a killed `serve` otherwise).
            children.append(subprocess.Popen([sys.executable, "-m", "app", *argv], process_group=0))
            print(f"started {name} (pid {children[-1].pid})", file=sys.stderr)
        base = f"http://{args.host}:{args.port}"
        simulator = f"http://{args.host}:{args.simulator_port}"
        _wait_ready(f"{base}/readyz", children)
        if os.environ["WECHAT_API_BASE"] == simulator:
            _wait_ready(f"{simulator}/", children)
            _upload_menu()
        print(
            "\nQiyun is running (development, embedded SQLite + Redis):\n"
            f"  server             {base}\n"
            f"  readiness          {base}/readyz\n"
            f"  admin panel        {base}/admin/   (demo staff accounts above)\n"
            f"  mini-program API   {base}/mp/v1/docs\n"
            f"  12345 / Open311    {base}/partner/12345/v1/tickets, {base}/open311/v2/services.json\n"
            f"                     (HOTLINE_SECRET and OPEN311_API_KEYS in {var_dir / 'dev-credentials.json'};"
            " see docs/partner-api.md)\n"
            f"  WeChat simulator   http://{args.host}:{args.simulator_port}/   (follower chat page)\n"
            f"  simulator records  http://{args.host}:{args.simulator_port}/_sim/stats\n"
            f"  data               {var_dir}\n"
            "Press Ctrl-C to stop.\n",
            file=sys.stderr,
            flush=True,
        )
        return _supervise(children)
    except KeyboardInterrupt:
        return 0
    finally:
        _stop(children)
        stop_embedded_redis()


def _run_step(argv: list[str], what: str) -> None:
    print(f"{what}...", file=sys.stderr, flush=True)
    subprocess.run([sys.executable, "-m", "app", *argv], check=True)


def _upload_menu() -> None:
    """The simulator keeps the menu in memory: upload it on every start, so the follower
    page shows the account's menu as a follower would see it. Not fatal: the chat works without."""
    print("uploading the menu to the simulator...", file=sys.stderr, flush=True)
    result = subprocess.run([sys.executable, "-m", "app", "sync-menu"], capture_output=True, text=True)
    if result.returncode != 0:
        print(f"qiyun dev: the menu was not uploaded: {result.stderr.strip()[-500:]}", file=sys.stderr)


def _wait_ready(url: str, children: list[subprocess.Popen], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(child.poll() is not None for child in children):
            raise SystemExit("qiyun dev: a process exited during start-up; see the log above")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"qiyun dev: {url} not ready after {timeout:.0f}s")


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def _supervise(children: list[subprocess.Popen]) -> int:
    """Wait until Ctrl-C or SIGTERM (KeyboardInterrupt), or until a child dies (exit 1)."""
    while True:
        for child in children:
            if child.poll() is not None:
                print(f"qiyun dev: process {child.args[3:]} exited with {child.returncode}", file=sys.stderr)
                return 1
        time.sleep(0.5)


def _stop(children: list[subprocess.Popen]) -> None:
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    for child in children:
        try:
            child.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGKILL)
            child.wait()
    for child in children:  # anything a child left behind in its group (none, normally)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(child.pid, signal.SIGKILL)
