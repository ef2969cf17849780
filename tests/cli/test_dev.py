"""`qiyun dev` as a newcomer runs it: no configuration, everything up, demo data, clean stop."""

from __future__ import annotations

import json
import urllib.request

import pytest

from app.redis_client import EmbeddedRedis
from tests.processes import DevProcess

pytestmark = pytest.mark.slow


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_dev_runs_everything_with_demo_data_and_stops_cleanly(tmp_path):
    with DevProcess(tmp_path) as dev:
        port, sim_port = dev.port, dev.simulator_port
        text = dev.output()
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

        credentials = dev.credentials
        assert credentials["WECHAT_APPID"].startswith("wx") and len(credentials["WECHAT_AES_KEY"]) == 43
        assert len(credentials["MINIPROGRAM_AES_KEY"]) == 43 and credentials["MINIPROGRAM_TOKEN"]
        assert credentials["WECHAT_SECRET"] not in text
    assert dev.returncode == 0, dev.output()[-3000:]
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
