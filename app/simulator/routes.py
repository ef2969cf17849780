"""Every URL the simulator serves, registered in one place."""

from __future__ import annotations

from aiohttp import web

from app.simulator import api_menu, api_message, api_oauth, api_qrcode, api_token, api_user, api_wxa
from app.simulator.control import ControlAPI
from app.simulator.page import follower_page
from app.simulator.pipeline import Route, make_handler, not_implemented_handler
from app.simulator.state import SimulatorState

__all__ = ["WECHAT_ROUTES", "register"]

WECHAT_ROUTES: list[Route] = [
    *api_token.ROUTES,
    *api_message.ROUTES,
    *api_menu.ROUTES,
    *api_qrcode.ROUTES,
    *api_user.ROUTES,
    *api_wxa.ROUTES,
    *api_oauth.ROUTES,
]
_WECHAT_PREFIXES = ("/cgi-bin", "/sns", "/wxa")


def register(app: web.Application, state: SimulatorState, control: ControlAPI) -> None:
    """Add the WeChat API, the control API and the follower page to `app`."""
    router = app.router
    for route in WECHAT_ROUTES:
        # Both methods reach the handler: WeChat answers GET on a POST API with 43002.
        router.add_route("*", route.path, make_handler(state, route))
    for method, path, handler in control.routes():
        router.add_route(method, path, handler)
    router.add_get("/", follower_page)
    unknown = not_implemented_handler(state)
    for prefix in _WECHAT_PREFIXES:
        router.add_route("*", prefix + "/{tail:.*}", unknown)
