"""Building and running the simulator: in-process for tests, blocking for the CLI."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

from aiohttp import web

from app.simulator.config import SimulatorConfig
from app.simulator.control import ControlAPI
from app.simulator.events import EventDispatcher
from app.simulator.push import CallbackClient
from app.simulator.routes import register
from app.simulator.state import SimulatorState

__all__ = ["EVENTS_KEY", "STATE_KEY", "RunningSimulator", "create_app", "run", "start_simulator"]

STATE_KEY = web.AppKey("state", SimulatorState)
EVENTS_KEY = web.AppKey("events", EventDispatcher)
SHUTDOWN_TIMEOUT_S = 2.0
MAX_BODY_BYTES = 10 * 1024 * 1024


def create_app(config: SimulatorConfig) -> web.Application:
    """The simulator as an aiohttp application; `app["state"]` is its SimulatorState."""
    state = SimulatorState(config)
    client = CallbackClient(state)
    events = EventDispatcher(state, client)
    state.events = events
    app = web.Application(client_max_size=MAX_BODY_BYTES)
    app[STATE_KEY] = state
    app[EVENTS_KEY] = events
    with warnings.catch_warnings():
        # The documented string key, kept for callers that use it.
        warnings.simplefilter("ignore")
        app["state"] = state
    register(app, state, ControlAPI(state, client, events))

    async def on_startup(_: web.Application) -> None:
        await events.start()

    async def on_shutdown(_: web.Application) -> None:
        state.release_holds()

    async def on_cleanup(_: web.Application) -> None:
        state.release_holds()
        await events.stop()
        await client.close()

    app.on_startup.append(on_startup)
    app.on_shutdown.append(on_shutdown)
    app.on_cleanup.append(on_cleanup)
    return app


@dataclass
class RunningSimulator:
    """A simulator serving on a local port inside the current event loop."""

    url: str
    state: SimulatorState
    app: web.Application
    runner: web.AppRunner

    async def stop(self) -> None:
        """Release held requests and shut the server down."""
        self.state.release_holds()
        await self.runner.cleanup()


async def start_simulator(config: SimulatorConfig, host: str = "127.0.0.1", port: int = 0) -> RunningSimulator:
    """Serve the simulator on `host:port` (0 = a free port) in this event loop."""
    app = create_app(config)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=SHUTDOWN_TIMEOUT_S)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    sockets = runner.addresses
    bound_port = sockets[0][1] if sockets else port
    url = f"http://{host}:{bound_port}"
    return RunningSimulator(url=url, state=app[STATE_KEY], app=app, runner=runner)


def run(host: str, port: int, config: SimulatorConfig) -> None:
    """Serve until interrupted (the `qiyun simulator` command)."""

    def announce(_: str) -> None:
        print(f"WeChat simulator on http://{host}:{port}/  (control API under /_sim/)", flush=True)

    web.run_app(
        create_app(config),
        host=host,
        port=port,
        shutdown_timeout=SHUTDOWN_TIMEOUT_S,
        access_log=None,
        print=announce,
    )
