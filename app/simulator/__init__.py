"""The WeChat simulator: a local server that plays WeChat's part over real HTTP.

It serves the WeChat API endpoints Qiyun calls with WeChat's paths, response
shapes and error codes; injects latency and faults; records every call with exact
per-openid message counters; pushes signed (and encrypted) messages and events to
the project's callback; and serves a follower chat page at `/`. The project's
tests replace WeChat only through it.
"""

from app.simulator.app import RunningSimulator, create_app, run, start_simulator
from app.simulator.config import SimulatorConfig
from app.simulator.state import SimulatorState

__all__ = ["RunningSimulator", "SimulatorConfig", "SimulatorState", "create_app", "run", "start_simulator"]
