"""The mini-program's pages against a running `qiyun dev`, as a new user drives them.

`miniprogram/tests/flow/appeal-flow.js` runs the mini-program's own code (app.js, the pages,
utils/) in Node with a `wx` whose requests are real HTTP to the server and whose WeChat side
is the simulator (login and phone codes). This test starts `qiyun dev` the way the README says,
runs the flow, then checks what it did through the API itself.

Needs Node.js 20 (no npm packages: the flow uses only the mini-program's files). Skipped
without Node.js unless QIYUN_REQUIRE_MINIPROGRAM is set, as CI sets it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import urllib.request

import pytest

from tests.appeal.factories import png
from tests.processes import ROOT, DevProcess

pytestmark = pytest.mark.slow

NODE = shutil.which("node")
if NODE is None and not os.environ.get("QIYUN_REQUIRE_MINIPROGRAM"):
    pytest.skip("Node.js not found: the mini-program page flows need it", allow_module_level=True)


def api(dev: DevProcess, path: str, token: str) -> dict:
    request = urllib.request.Request(f"{dev.url}/mp/v1{path}", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_a_new_user_files_an_appeal_with_photos_and_finds_it_in_their_list(tmp_path):
    assert NODE, "QIYUN_REQUIRE_MINIPROGRAM is set but Node.js is not installed"
    photos = []
    for seed in (1, 2):
        photo = tmp_path / f"photo-{seed}.png"
        photo.write_bytes(png(seed))
        photos.append(str(photo))

    with DevProcess(tmp_path) as dev:
        flow = subprocess.run(
            [NODE, "tests/flow/appeal-flow.js"],
            cwd=ROOT / "miniprogram",
            env={
                **os.environ,
                "QIYUN_DEV_ORIGIN": dev.url,
                "QIYUN_SIMULATOR": dev.simulator_url,
                "MINIPROGRAM_APPID": dev.credentials["MINIPROGRAM_APPID"],
                "PHOTOS": ",".join(photos),
            },
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert flow.returncode == 0, f"{flow.stderr[-3000:]}\n--- qiyun dev ---\n{dev.output()[-3000:]}"
        report = json.loads(flow.stdout.strip().splitlines()[-1])

        # What the pages sent, in order: sign-in, phone, the form's data, the grant, the filing.
        sent = [" ".join(line.split()[:2]).split("?")[0] for line in report["exchanges"]]
        assert sent[0] == "POST /mp/v1/auth/login"
        assert "POST /mp/v1/me/phone" in sent
        assert sent.index("POST /mp/v1/me/subscribe-grants") < sent.index("POST /mp/v1/appeals")
        assert all(line.split()[-1].startswith("2") for line in report["exchanges"]), report["exchanges"]

        # The appeal is really there, with both photos, as the person who filed it sees it.
        appeal = api(dev, f"/appeals/{report['appeal_id']}", report["token"])
        assert appeal["number"] == report["number"] and appeal["category"] == report["category"]
        assert appeal["description"].startswith("我公司申请高新技术企业认定")
        assert appeal["channel"] == "miniprogram" and len(appeal["attachments"]) == 2
        assert report["detail_attachments"] == 2
        listed = api(dev, "/appeals", report["token"])["items"]
        assert [item["id"] for item in listed] == [report["appeal_id"]]
        assert api(dev, "/me", report["token"])["phone"] == "138****8000"
    assert dev.returncode == 0, dev.output()[-3000:]
