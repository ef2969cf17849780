"""`qiyun simulator`: run the WeChat simulator (plays WeChat's part for development and tests)."""

from __future__ import annotations

import argparse

from app.cli import command
from app.cli.common import settings_and_logging


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--latency-ms", type=int, default=0, help="added to every WeChat API answer")
    parser.add_argument(
        "--callback-url", default=None, help="the project's callback (default: PUBLIC_BASE_URL/wechat/callback)"
    )
    parser.add_argument(
        "--miniprogram-push-url",
        default=None,
        help="the project's mini-program message push (default: PUBLIC_BASE_URL/wechat/miniprogram)",
    )


@command("simulator", help="run the WeChat simulator (API endpoints, faults, follower page)", arguments=_arguments)
def simulator(args: argparse.Namespace) -> int:
    from app.simulator import SimulatorConfig, run

    settings = settings_and_logging()
    apps = {}
    if settings.wechat_appid:
        apps[settings.wechat_appid] = settings.wechat_secret.get_secret_value()
    if settings.miniprogram_appid:
        apps[settings.miniprogram_appid] = settings.miniprogram_secret.get_secret_value()
    base = settings.public_base_url.rstrip("/")
    config = SimulatorConfig(
        apps=apps,
        latency_ms=args.latency_ms,
        callback_url=args.callback_url or base + "/wechat/callback",
        callback_token=settings.wechat_token.get_secret_value(),
        callback_aes_key=settings.wechat_aes_key.get_secret_value() or None,
        callback_appid=settings.wechat_appid,
        # The verdicts of media checks go to the mini-program's push, with its own credentials.
        miniprogram_push_url=args.miniprogram_push_url or base + "/wechat/miniprogram",
        miniprogram_token=settings.miniprogram_token.get_secret_value(),
        miniprogram_aes_key=settings.miniprogram_aes_key.get_secret_value() or None,
        miniprogram_appid=settings.miniprogram_appid,
    )
    run(args.host, args.port, config)
    return 0
