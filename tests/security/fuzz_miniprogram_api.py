"""The long schemathesis run over the mini-program API, against a running `qiyun dev`.

    API_RATE_LIMIT_PER_MINUTE=1000000 VAR_DIR=/tmp/qiyun-fuzz .venv/bin/qiyun dev --port 8000 --simulator-port 8001 &
    .venv/bin/python -m tests.security.fuzz_miniprogram_api --examples 100

Signs a mini-program user in with a login code minted by the simulator (the appid is read
from VAR_DIR/dev-credentials.json, which `qiyun dev` wrote), then drives every documented
operation with `--examples` positive and as many negative examples (`tests/security/apifuzz.py`),
checking no 5xx and conformance to the document. The demo data gives real ids to hit.
Exit status 1 when any operation failed; the summary lists them with a curl to reproduce.
The rate limit is raised because the fuzzer is one very busy user (429s would hide the rest).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import uuid
from pathlib import Path

import requests

from tests.security import apifuzz


def sign_in(base: str, simulator: str, appid: str) -> str:
    minted = requests.post(f"{simulator}/_sim/login_codes", json={"appid": appid, "openid": f"fuzz-{uuid.uuid4().hex[:12]}"},
                           timeout=10)
    minted.raise_for_status()
    login = requests.post(f"{base}/mp/v1/auth/login", json={"code": minted.json()["code"]}, timeout=10)
    login.raise_for_status()
    return login.json()["token"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--simulator", default="http://127.0.0.1:8001")
    parser.add_argument("--var-dir", default=os.environ.get("VAR_DIR", "var"))
    parser.add_argument("--appid", default=os.environ.get("MINIPROGRAM_APPID"))
    parser.add_argument("--examples", type=int, default=100, help="per operation and per mode (positive, negative)")
    parser.add_argument("--only", help="fuzz only operations whose label contains this text")
    args = parser.parse_args(argv)
    appid = args.appid or json.loads((Path(args.var_dir) / "dev-credentials.json").read_text())["MINIPROGRAM_APPID"]
    token = sign_in(args.base, args.simulator, appid)
    report = apifuzz.run(args.base, token, examples=args.examples, only=args.only)
    print(report.summary())
    return 1 if report.failures or any(status >= 500 for status in report.statuses) else 0


if __name__ == "__main__":
    sys.exit(main())
