"""Web-page OAuth2 (网页授权): code -> openid, as the H5 pages' `snsapi_base` sign-in needs.

Codes come from the control API (`POST /_sim/oauth_codes {appid, openid}`), standing in
for the follower's tap through WeChat's authorize page; they are single-use, 5 minutes.
"""

from __future__ import annotations

from typing import Any

from app.simulator.api_wxa import check_code_exchange
from app.simulator.errors import WxError
from app.simulator.pipeline import Call, Route

__all__ = ["ROUTES"]


async def oauth2_access_token(call: Call) -> dict[str, Any]:
    appid, code = check_code_exchange(call, code_param="code")
    result = call.state.oauth_codes.redeem(code, appid, call.now)
    if isinstance(result, int):
        raise WxError(result)
    return {
        "access_token": "web_" + call.state.random_hex(24),
        "expires_in": 7200,
        "refresh_token": "refresh_" + call.state.random_hex(24),
        "openid": result["openid"],
        "scope": result.get("scope", "snsapi_base"),
        "is_snapshotuser": 0,
    }


ROUTES = [Route("/sns/oauth2/access_token", oauth2_access_token, protected=False)]
