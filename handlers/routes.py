"""The official account's HTTP surface: the callback and the H5 pages.

Every URL of the official account is declared here, in one table.
"""

from sanic import Blueprint, Sanic

from handlers import callback, delivery
from handlers.h5 import oauth, pages, policies

bp = Blueprint("wechat")

bp.add_route(callback.verify, "/wechat/callback", methods=["GET"], name="callback_verify")
# Streamed so an oversized body is refused at the cap instead of buffered first.
bp.add_route(callback.receive, "/wechat/callback", methods=["POST"], name="callback_receive", stream=True)
bp.add_route(oauth.start, "/h5/oauth/start", methods=["GET"], name="h5_oauth_start")
bp.add_route(oauth.callback, "/h5/oauth/callback", methods=["GET"], name="h5_oauth_callback")
bp.add_route(pages.index, "/h5/", methods=["GET"], name="h5_index")
bp.add_route(policies.policy_list, "/h5/policies", methods=["GET"], name="h5_policy_list")
bp.add_route(policies.policy_detail, "/h5/policies/<policy_id:int>", methods=["GET"], name="h5_policy_detail")


@bp.listener("before_server_start")
async def _configure_reply_fallback(app: Sanic) -> None:
    # A late reply that can no longer go as a customer-service message goes as the
    # `reply_ready` template message, when TEMPLATE_REPLY_READY is configured.
    delivery.set_reply_fallback(delivery.template_reply_fallback(app.ctx.settings))


@bp.listener("before_server_stop")
async def _finish_late_replies(app: Sanic) -> None:
    await callback.drain_late_replies(app)
