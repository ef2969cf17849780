"""The one JSON error envelope of the mini-program API, and the catalogue of error codes.

Every error under /mp/v1 — ours, a domain rule's, Sanic's 404/405/413, a crash — leaves
as `{"error": {"code": "stable_snake_case", "message": "中文说明", "details": {...}}}` with
the matching HTTP status, so the mini-program has one code path for failures: branch on
`code` (stable), show `message` (Chinese, for people), read `details` when needed.
Tracebacks never leave the server; a 500 carries the request id to quote to support.

`ERRORS` is the catalogue: code -> (status, default message). Domain errors (e.g.
`app.identity.errors.IdentityError`, registered with `register_domain_error`) carry a
`code`, their own Chinese `message`, `details` and optionally `retry_after`; the
catalogue gives their HTTP status, and the OpenAPI document lists each endpoint's codes
from it.
"""

from __future__ import annotations

import json as jsonlib
import logging
from dataclasses import dataclass
from functools import partial
from typing import Any

from sanic import Request
from sanic.exceptions import SanicException
from sanic.response import HTTPResponse
from sanic.response import json as json_response

from app.identity.errors import IdentityError
from app.wechat import WeChatAPIError

__all__ = [
    "ERRORS",
    "ApiError",
    "ErrorInfo",
    "dumps",
    "error_response",
    "register_domain_error",
    "render_exception",
]

logger = logging.getLogger("qiyun.mp")

dumps = partial(jsonlib.dumps, ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True)
class ErrorInfo:
    status: int
    message: str


ERRORS: dict[str, ErrorInfo] = {
    # transport and conventions
    "bad_request": ErrorInfo(400, "请求格式有误"),
    "malformed_json": ErrorInfo(400, "请求体不是有效的 JSON"),
    "invalid_cursor": ErrorInfo(400, "分页参数无效，请从第一页重新加载"),
    "invalid_idempotency_key": ErrorInfo(400, "Idempotency-Key 请求头格式不正确"),
    "unauthenticated": ErrorInfo(401, "请先登录"),
    "session_expired": ErrorInfo(401, "登录已失效，请重新登录"),
    "forbidden": ErrorInfo(403, "无权进行此操作"),
    "not_found": ErrorInfo(404, "请求的资源不存在"),
    "method_not_allowed": ErrorInfo(405, "不支持该请求方法"),
    "request_timeout": ErrorInfo(408, "请求超时，请重试"),
    "idempotency_request_in_progress": ErrorInfo(409, "相同的请求正在处理中，请稍后再试"),
    "payload_too_large": ErrorInfo(413, "请求内容过大"),
    "unsupported_media_type": ErrorInfo(415, "不支持的请求内容类型"),
    "validation_failed": ErrorInfo(422, "请求参数有误"),
    "idempotency_key_reused": ErrorInfo(422, "该 Idempotency-Key 已用于另一个不同的请求"),
    "rate_limited": ErrorInfo(429, "请求过于频繁，请稍后再试"),
    "internal_error": ErrorInfo(500, "服务器开小差了，请稍后再试"),
    "wechat_error": ErrorInfo(502, "微信服务返回异常，请稍后再试"),
    "wechat_unavailable": ErrorInfo(503, "微信服务暂时不可用，请稍后再试"),
    "service_unavailable": ErrorInfo(503, "服务暂时不可用，请稍后再试"),
    # identity (app.identity)
    "login_code_invalid": ErrorInfo(400, "登录凭证无效或已被使用，请重新登录"),
    "phone_code_invalid": ErrorInfo(400, "手机号授权码无效或已过期，请重新授权"),
    "login_blocked": ErrorInfo(403, "该微信账号存在安全风险，暂时无法登录"),
    "wechat_rate_limited": ErrorInfo(429, "操作过于频繁，请稍后再试"),
    # enterprise binding (app.identity.binding / permissions)
    "invalid_credit_code": ErrorInfo(422, "统一社会信用代码格式不正确"),
    "enterprise_not_found": ErrorInfo(422, "企业库中未找到该统一社会信用代码对应的企业"),
    "legal_representative_mismatch": ErrorInfo(422, "法定代表人姓名与企业登记信息不一致"),
    "binding_locked": ErrorInfo(429, "验证失败次数过多，请稍后再试"),
    "already_bound": ErrorInfo(409, "您已绑定该企业"),
    "binding_not_found": ErrorInfo(404, "未找到该企业绑定记录"),
    "enterprise_access_denied": ErrorInfo(403, "您尚未绑定该企业，无权查看或办理该企业的事项"),
    "binding_role_insufficient": ErrorInfo(403, "您在该企业的身份无权办理此事项"),
    # policies (app.policy)
    "policy_not_found": ErrorInfo(404, "该政策不存在或已下线"),
    "not_following": ErrorInfo(409, "政策推送通过“企业服务云”公众号发送，请先关注公众号后再设置。"),
    # appeals (app.appeal; statuses as AppealError.status says)
    "appeal_not_found": ErrorInfo(404, "未找到该诉求"),
    "appeal_conflict": ErrorInfo(409, "该诉求刚刚已被他人处理，请刷新后重试"),
    "appeal_refused": ErrorInfo(400, "暂时无法办理该诉求操作"),
    "wrong_state": ErrorInfo(400, "诉求当前状态下不能进行此操作"),
    "note_required": ErrorInfo(400, "请填写说明"),
    "note_too_long": ErrorInfo(400, "内容过长"),
    "invalid_category": ErrorInfo(400, "请选择诉求类别"),
    "description_too_short": ErrorInfo(400, "请把诉求描述清楚"),
    "description_too_long": ErrorInfo(400, "诉求描述过长"),
    "title_too_long": ErrorInfo(400, "诉求标题过长"),
    "invalid_phone": ErrorInfo(400, "联系电话格式不正确"),
    "too_many_files": ErrorInfo(400, "上传的图片或文件过多"),
    "empty_file": ErrorInfo(400, "上传的文件是空的"),
    "file_too_large": ErrorInfo(400, "文件过大"),
    "file_type_not_allowed": ErrorInfo(400, "不支持该文件类型"),
    "invalid_satisfaction": ErrorInfo(400, "请选择满意度"),
    "invalid_status_filter": ErrorInfo(400, "状态筛选只能是 open 或 closed"),
    # providers (app.provider; statuses as ProviderError.status says)
    "provider_refused": ErrorInfo(400, "暂时无法办理该服务机构事项"),
    "provider_not_found": ErrorInfo(404, "未找到该服务机构"),
    "product_not_found": ErrorInfo(404, "该服务产品不存在或已下架"),
    "provider_conflict": ErrorInfo(409, "该记录刚刚已被他人处理，请刷新后重试"),
    "provider_exists": ErrorInfo(409, "该统一社会信用代码已有入驻申请"),
    "reason_required": ErrorInfo(400, "请填写原因"),
    "reason_too_long": ErrorInfo(400, "说明过长"),
    "unknown_action": ErrorInfo(400, "未知的操作"),
    "invalid_name": ErrorInfo(400, "请填写机构名称"),
    "invalid_provider_category": ErrorInfo(400, "请选择服务类别"),
    "invalid_description": ErrorInfo(400, "请介绍机构的服务内容"),
    "invalid_district": ErrorInfo(400, "所在区不正确"),
    "invalid_address": ErrorInfo(400, "地址过长"),
    "invalid_contact": ErrorInfo(400, "请填写联系人"),
    "invalid_credentials": ErrorInfo(400, "资质信息有误"),
    "credential_expired": ErrorInfo(400, "资质已过期"),
    "invalid_invite_code": ErrorInfo(400, "邀请码无效"),
    "already_member": ErrorInfo(409, "您已是该服务机构的成员"),
    "invalid_product": ErrorInfo(400, "服务产品信息有误"),
    "invalid_price": ErrorInfo(400, "价格有误"),
    "too_many_products": ErrorInfo(400, "在售的服务产品过多"),
    "content_risky": ErrorInfo(400, "提交的内容未通过微信内容安全检测，请修改后重新提交"),
    "invalid_complaint": ErrorInfo(400, "请把投诉事由写清楚"),
    "complaint_pending": ErrorInfo(409, "投诉正在核实中"),
    "engagement_not_found": ErrorInfo(404, "未找到该服务订单"),
    # engagements and ratings (app.engagement)
    "engagement_open": ErrorInfo(409, "贵企业已委托该服务，订单尚未结束"),
    "engagement_conflict": ErrorInfo(409, "该服务订单刚刚已被他人处理，请刷新后重试"),
    "provider_unavailable": ErrorInfo(400, "该服务机构暂不接受委托"),
    "product_unavailable": ErrorInfo(400, "该服务产品已下架"),
    "own_provider": ErrorInfo(400, "不能委托或评价本企业自己的服务机构"),
    "not_completed": ErrorInfo(400, "服务完成后才能评价"),
    "already_rated": ErrorInfo(409, "该服务已评价"),
    "invalid_score": ErrorInfo(400, "请打 1–5 分"),
    "invalid_dimension": ErrorInfo(400, "未知的评价维度"),
    "dimensions_required": ErrorInfo(400, "请为每个维度打分"),
    "comment_too_long": ErrorInfo(400, "评语过长"),
    # activities (app.activity; statuses as ActivityError.status says)
    "activity_refused": ErrorInfo(400, "暂时无法办理该活动事项"),
    "activity_not_found": ErrorInfo(404, "未找到该活动"),
    "signup_not_found": ErrorInfo(404, "未找到该报名记录"),
    "signup_closed": ErrorInfo(409, "该活动当前不能报名"),
    "name_too_long": ErrorInfo(400, "姓名过长"),
    "already_cancelled": ErrorInfo(409, "该报名已取消"),
    "already_checked_in": ErrorInfo(409, "已签到的报名不能取消"),
    "activity_closed": ErrorInfo(409, "活动已取消或已结束，报名不能再变更"),
    "already_started": ErrorInfo(409, "活动已开始"),
    "signup_conflict": ErrorInfo(409, "该报名刚刚已变更，请刷新后重试"),
    # surveys (app.survey.answering; SurveyError)
    "survey_refused": ErrorInfo(400, "暂时无法办理该问卷事项"),
    "survey_not_found": ErrorInfo(404, "未找到该问卷"),
    "questionnaire_missing": ErrorInfo(409, "该问卷还没有发布题目"),
    "not_invited": ErrorInfo(403, "您的企业不在本次调查的邀请名单中"),
    "survey_not_open": ErrorInfo(409, "该问卷当前不在填写时间内"),
    "opted_out": ErrorInfo(409, "您已选择不参加本次调查"),
    "ineligible": ErrorInfo(403, "您的企业不在本次调查范围内，无需填写"),
    "answer_invalid": ErrorInfo(422, "答案不符合题目要求"),
    "already_submitted": ErrorInfo(409, "问卷已提交，不能再修改"),
}

# Sanic's own exceptions (routing, body size, parsing) by status.
_STATUS_CODES: dict[int, str] = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    408: "request_timeout",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


_DOMAIN_ERRORS: list[type[Exception]] = [IdentityError]


def register_domain_error(cls: type[Exception]) -> type[Exception]:
    """Let a domain's error class (with `code`, `message`, `details`, `retry_after`) be
    rendered as the envelope; its codes must be in `ERRORS`."""
    if cls not in _DOMAIN_ERRORS:
        _DOMAIN_ERRORS.append(cls)
    return cls


class ApiError(SanicException):
    """Raise anywhere under /mp/v1 to answer with the envelope.

    `ApiError("not_found")` takes status and message from the catalogue; pass
    `message`/`status` to override, `details` for structured facts, `headers` for e.g.
    `Retry-After`. It is a `SanicException` with the right status, so even if it escaped
    the blueprint's handler it would not turn into a 500.
    """

    def __init__(
        self,
        code: str,
        message: str | None = None,
        *,
        status: int | None = None,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        info = ERRORS.get(code)
        if info is None and status is None:
            raise ValueError(f"unknown error code {code!r}: add it to miniprogram_api.errors.ERRORS")
        self.code = code
        self.status = status or info.status  # type: ignore[union-attr]
        self.message = message or (info.message if info else code)
        self.details = dict(details or {})
        super().__init__(self.message, status_code=self.status, quiet=True, headers=dict(headers or {}))


def error_response(
    code: str,
    message: str,
    *,
    status: int,
    details: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> HTTPResponse:
    """The envelope itself."""
    body = {"error": {"code": code, "message": message, "details": details or {}}}
    response = json_response(body, status=status, dumps=dumps)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def render_exception(request: Request, exc: BaseException) -> HTTPResponse:
    """Any exception raised while serving /mp/v1, as the envelope."""
    if isinstance(exc, ApiError):
        return error_response(exc.code, exc.message, status=exc.status, details=exc.details, headers=exc.headers)
    if isinstance(exc, tuple(_DOMAIN_ERRORS)):
        return _domain_error(exc)
    if isinstance(exc, SanicException) and int(getattr(exc, "status_code", 500) or 500) < 500:
        return _sanic_error(exc)
    if isinstance(exc, WeChatAPIError):
        # A WeChat failure a service did not translate: say so, without WeChat's text.
        logger.error("unhandled WeChat error on %s: %r", request.path, exc)
        code = "wechat_unavailable" if exc.retryable else "wechat_error"
        return error_response(code, ERRORS[code].message, status=ERRORS[code].status)
    if _is_outage(exc):
        # The database or Redis is unreachable: a 503 the mini-program can retry, not a bug's 500.
        logger.error(
            "dependency unavailable on %s %s: %s: %s",
            getattr(request, "method", "?"), getattr(request, "path", "?"), type(exc).__name__, exc,
        )
        info = ERRORS["service_unavailable"]
        return error_response(
            "service_unavailable", info.message, status=info.status, headers={"Retry-After": str(OUTAGE_RETRY_AFTER_S)}
        )
    request_id = getattr(request.ctx, "request_id", None) if request else None
    logger.error(
        "unhandled error on %s %s",
        getattr(request, "method", "?"),
        getattr(request, "path", "?"),
        exc_info=(type(exc), exc, exc.__traceback__),
    )
    info = ERRORS["internal_error"]
    return error_response(
        "internal_error", info.message, status=info.status, details={"request_id": request_id} if request_id else {}
    )


OUTAGE_RETRY_AFTER_S = 5


def _is_outage(exc: BaseException) -> bool:
    """Whether `exc` (or what caused it) is a refused or dropped connection to the database or
    Redis: OSError covers a refused connect; redis and asyncpg have their own classes."""
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError
    from tortoise.exceptions import DBConnectionError

    kinds: tuple[type[BaseException], ...] = (OSError, DBConnectionError, RedisConnectionError, RedisTimeoutError)
    try:
        from asyncpg.exceptions import ConnectionDoesNotExistError, InterfaceError

        kinds += (ConnectionDoesNotExistError, InterfaceError)
    except ImportError:  # the embedded backend does not need asyncpg
        pass
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, kinds):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def _domain_error(exc: Any) -> HTTPResponse:
    code = str(exc.code)
    info = ERRORS.get(code)
    if info is None:
        logger.warning("domain error code %r is not in the catalogue; answering with its class's status", code)
    # A code missing from the catalogue keeps the status its error class states, if any.
    status = info.status if info else int(getattr(exc, "status", None) or 422)
    retry_after = getattr(exc, "retry_after", None)
    headers = {"Retry-After": str(retry_after)} if retry_after else None
    details = dict(getattr(exc, "details", None) or {})
    if getattr(exc, "field", None):
        details.setdefault("field", exc.field)  # the form input at fault (AppealError)
    return error_response(code, str(exc.message), status=status, details=details, headers=headers)


def _sanic_error(exc: SanicException) -> HTTPResponse:
    status = int(exc.status_code)
    code = _STATUS_CODES.get(status, "bad_request")
    headers: dict[str, str] = {}
    for name, value in (getattr(exc, "headers", None) or {}).items():
        headers[name] = value
    message = ERRORS[code].message
    if code == "bad_request" and "json" in str(exc).lower():
        code, message = "malformed_json", ERRORS["malformed_json"].message
    return error_response(code, message, status=status, headers=headers)
