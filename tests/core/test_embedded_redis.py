"""The embedded Redis is a real server that separate processes share."""

import subprocess
import sys
import time

from app.redis_client import EmbeddedRedis, connect


def test_second_process_joins_the_running_server_instead_of_starting_another(tmp_path):
    embedded = EmbeddedRedis(tmp_path / "redis")
    url = embedded.ensure_started()
    try:
        assert url == f"unix://{tmp_path / 'redis' / 'redis.sock'}"
        code = (
            "from pathlib import Path; from app.redis_client import EmbeddedRedis;"
            f"e = EmbeddedRedis(Path({str(tmp_path / 'redis')!r})); print(e.ensure_started(), e.owned);"
            "import redis; r = redis.Redis(unix_socket_path=str(e.socket)); r.set('from-child', 'yes')"
        )
        child = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
        assert child.returncode == 0, child.stderr
        assert child.stdout.split() == [url, "False"]
        import redis

        client = redis.Redis(unix_socket_path=str(embedded.socket))
        assert client.get("from-child") == b"yes"
        client.close()
    finally:
        embedded.stop()
    assert not embedded.alive()


async def test_async_client_talks_to_the_embedded_server(tmp_path):
    embedded = EmbeddedRedis(tmp_path / "redis")
    client = connect(embedded.ensure_started())
    try:
        await client.set("企业", "企云")
        assert (await client.get("企业")).decode() == "企云"
    finally:
        await client.aclose()
        embedded.stop()


def test_the_server_does_not_outlive_an_owner_that_was_killed(tmp_path):
    code = (
        "from pathlib import Path; from app.redis_client import EmbeddedRedis;"
        f"print(EmbeddedRedis(Path({str(tmp_path)!r})).ensure_started(), flush=True);"
        "import time; time.sleep(60)"
    )
    owner = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert owner.stdout.readline().startswith("unix://")
    assert EmbeddedRedis(tmp_path).alive()
    owner.kill()
    owner.wait()
    deadline = time.monotonic() + 5
    while EmbeddedRedis(tmp_path).alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not EmbeddedRedis(tmp_path).alive()
