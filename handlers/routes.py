"""The official account's HTTP surface: the callback and the H5 pages (and the mini-program's
message push, WeChat's other server-to-server door, which shares the callback's defences).

Every URL of the official account is declared here, in one table.
"""

from sanic import Blueprint, Request, Sanic
from sanic.response import HTTPResponse, text

from handlers import callback, delivery, miniprogram_push
from handlers.h5 import activities, appeals, directory, engagements, oauth, pages, policies, providers, surveys

bp = Blueprint("wechat")

bp.add_route(callback.verify, "/wechat/callback", methods=["GET"], name="callback_verify")
# Streamed so an oversized body is refused at the cap instead of buffered first.
bp.add_route(callback.receive, "/wechat/callback", methods=["POST"], name="callback_receive", stream=True)
# The mini-program's message push (its own token and key): WeChat's verdicts on media checks.
bp.add_route(miniprogram_push.verify, "/wechat/miniprogram", methods=["GET"], name="miniprogram_push_verify")
bp.add_route(
    miniprogram_push.receive, "/wechat/miniprogram", methods=["POST"], name="miniprogram_push_receive", stream=True
)
bp.add_route(oauth.start, "/h5/oauth/start", methods=["GET"], name="h5_oauth_start")
bp.add_route(oauth.callback, "/h5/oauth/callback", methods=["GET"], name="h5_oauth_callback")
bp.add_route(pages.index, "/h5/", methods=["GET"], name="h5_index")
bp.add_route(policies.policy_list, "/h5/policies", methods=["GET"], name="h5_policy_list")
bp.add_route(policies.policy_detail, "/h5/policies/<policy_id:int>", methods=["GET"], name="h5_policy_detail")
bp.add_route(appeals.appeal_list, "/h5/appeals", methods=["GET"], name="h5_appeal_list")
bp.add_route(appeals.appeal_detail, "/h5/appeals/<appeal_id:int>", methods=["GET"], name="h5_appeal_detail")
bp.add_route(
    appeals.appeal_supplement, "/h5/appeals/<appeal_id:int>/supplement", methods=["POST"], name="h5_appeal_supplement"
)
bp.add_route(appeals.appeal_confirm, "/h5/appeals/<appeal_id:int>/confirm", methods=["POST"], name="h5_appeal_confirm")
providers.register(bp)
engagements.register(bp)
directory.register(bp)
activities.register(bp)
surveys.register(bp)


@bp.on_request
async def _refuse_nul(request: Request) -> HTTPResponse | None:
    """An H5 page's query or form with a NUL character is refused (400): nobody types one,
    and PostgreSQL cannot store one in text (it would be a 500 there). The callbacks stream
    their bodies and check them themselves."""
    if not request.path.startswith("/h5/"):
        return None
    fields = [*request.args.values()]
    if request.method == "POST" and request.form:
        fields += request.form.values()
    if any("\x00" in value for values in fields for value in values):
        return text("请求中含有无效字符", status=400)
    return None


@bp.listener("before_server_start")
async def _configure_reply_fallback(app: Sanic) -> None:
    # A late reply that can no longer go as a customer-service message goes as the
    # `reply_ready` template message, when TEMPLATE_REPLY_READY is configured.
    delivery.set_reply_fallback(delivery.template_reply_fallback(app.ctx.settings))


@bp.listener("before_server_stop")
async def _finish_late_replies(app: Sanic) -> None:
    await callback.drain_late_replies(app)
