"""`qiyun dev` as a newcomer runs it: no configuration, everything up, demo data, clean stop."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request

import pytest

from app.redis_client import EmbeddedRedis
from tests.conftest import free_port

pytestmark = pytest.mark.slow


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_dev_runs_everything_with_demo_data_and_stops_cleanly(tmp_path):
    port, sim_port = free_port(), free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("QIYUN_", "DATABASE_", "REDIS_", "WECHAT_", "MINIPROGRAM_"))
    }
    env["VAR_DIR"] = str(tmp_path / "var")
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "dev", "--port", str(port), "--simulator-port", str(sim_port), "--enterprises", "60"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line and process.poll() is not None:
                break
            output.append(line)
            if "Press Ctrl-C to stop." in line:
                break
        text = "".join(output)
        # Keep draining the children's output so a full pipe never blocks them.
        threading.Thread(target=lambda: output.extend(process.stdout), daemon=True).start()
        assert "Qiyun is running" in text, text[-3000:]
        assert f"http://127.0.0.1:{port}/readyz" in text
        assert f"http://127.0.0.1:{port}/admin/" in text  # where staff sign in
        assert f"http://127.0.0.1:{sim_port}/" in text
        assert "admin" in text  # demo staff accounts are listed on first start

        status, body = get(f"http://127.0.0.1:{port}/readyz")
        assert status == 200, body
        assert json.loads(body)["status"] == "ok"
        status, page = get(f"http://127.0.0.1:{sim_port}/")
        assert status == 200 and "<meta charset=\"utf-8\">" in page.decode().lower().replace("'", '"')
        status, body = get(f"http://127.0.0.1:{sim_port}/_sim/menu")  # what the follower page draws
        assert status == 200 and [b["name"] for b in json.loads(body)["menu"]["button"]] == ["政策服务", "企业诉求", "企业服务"]

        credentials = json.loads((tmp_path / "var" / "dev-credentials.json").read_text())
        assert credentials["WECHAT_APPID"].startswith("wx") and len(credentials["WECHAT_AES_KEY"]) == 43
        assert len(credentials["MINIPROGRAM_AES_KEY"]) == 43 and credentials["MINIPROGRAM_TOKEN"]
        assert credentials["WECHAT_SECRET"] not in text
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    assert process.returncode == 0, "".join(output)[-3000:]
    assert not EmbeddedRedis(tmp_path / "var" / "redis").alive()
    assert (tmp_path / "var" / "qiyun.sqlite3").exists()


def test_development_credentials_of_an_older_version_gain_the_missing_ones(tmp_path):
    """A VAR_DIR from before the mini-program's message push keeps its credentials and gains
    the mini-program's token and key."""
    from app.cli.dev import development_credentials

    old = {"WECHAT_APPID": "wx0123456789abcdef", "WECHAT_TOKEN": "keptToken", "SECRET_KEY": "kept" * 12}
    (tmp_path / "dev-credentials.json").write_text(json.dumps(old))
    credentials = development_credentials(tmp_path)
    assert {name: credentials[name] for name in old} == old
    assert len(credentials["MINIPROGRAM_AES_KEY"]) == 43 and len(credentials["MINIPROGRAM_TOKEN"]) == 16
    assert credentials["MINIPROGRAM_TOKEN"] != credentials["WECHAT_TOKEN"]
    assert development_credentials(tmp_path) == credentials  # stable from now on
    assert json.loads((tmp_path / "dev-credentials.json").read_text()) == credentials
