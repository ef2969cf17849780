"""Appeals (企业诉求) in the mini-program: file one with photos, follow it, add information,
confirm and rate the answer.

Every step is the appeal service's (`app.appeal.service`) and every page the read side's
(`app.appeal.queries`); these routes read the request, call one of them, render.

* **Uploads.** Submissions and supplements are `multipart/form-data` with up to 9 files in
  `photos` (`miniprogram_api.uploads`: the server's 1 MiB body cap is lifted for these two
  routes only, to 9 × UPLOAD_MAX_BYTES + 1 MiB). Type (by the file's bytes) and size are
  checked by `app.appeal.storage`.
* **Idempotency.** `Idempotency-Key` replays the first answer for 24 h, like every POST
  here; the key also goes to the service (scoped to the account), so even after the replay
  record expires the same key returns the appeal filed with it (200) instead of a second.
* **Who sees what.** The person who filed an appeal and anyone bound to its enterprise;
  for anyone else it does not exist (404 `appeal_not_found`).
* **Content checks** (`app.appeal.checks`): the text is checked by WeChat before the appeal
  is written (held for review if WeChat doubts it, never dropped); photos are submitted to
  WeChat's asynchronous media check by the outbox after commit.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from sanic import Request
from sanic.response import HTTPResponse

from app.appeal import queries
from app.appeal import service as appeal_service
from app.appeal.checks import TextCheck
from app.appeal.errors import AppealError
from app.appeal.models import AppealChannel
from app.appeal.service import MAX_ATTACHMENTS, AppealDraft, IncomingFile
from app.identity.permissions import require_binding
from miniprogram_api.appeal_schemas import (
    AppealDetailOut,
    AppealForm,
    AppealListOut,
    AppealListQuery,
    AppealSummaryOut,
    CategoriesOut,
    CategoryOut,
    ConfirmRequest,
    SupplementForm,
)
from miniprogram_api.auth import authenticated, current_user, principal
from miniprogram_api.blueprint import bp
from miniprogram_api.errors import ApiError, register_domain_error
from miniprogram_api.idempotency import HEADER as IDEMPOTENCY_HEADER
from miniprogram_api.idempotency import idempotent
from miniprogram_api.pagination import decode_cursor, encode_cursor
from miniprogram_api.responses import ok
from miniprogram_api.spec import describe
from miniprogram_api.uploads import Upload, validate_form
from miniprogram_api.validation import validate_body, validate_query

register_domain_error(AppealError)

logger = logging.getLogger("qiyun.mp")

TAGS = ["诉求"]
MAX_PAGE = 500
_SUBMIT_ERRORS = [
    "invalid_category",
    "description_too_short",
    "description_too_long",
    "title_too_long",
    "invalid_phone",
    "empty_file",
    "file_too_large",
    "file_type_not_allowed",
    "enterprise_access_denied",
]
_STEP_ERRORS = ["appeal_not_found", "wrong_state", "note_required", "note_too_long", "appeal_conflict", "forbidden"]


def _settings(request: Request) -> Any:
    return request.app.ctx.resources.settings


def _files(uploads: list[Upload]) -> list[IncomingFile]:
    return [IncomingFile(data=upload.data, filename=upload.filename) for upload in uploads]


@bp.get("/appeal-categories")
@describe("诉求类别（含说明与办结时限）", response=CategoriesOut, tags=TAGS)
@authenticated
async def appeal_categories(request: Request) -> HTTPResponse:
    views = queries.categories(settings=_settings(request))
    return ok(CategoriesOut(items=[CategoryOut.build(view) for view in views]))


@bp.post("/appeals", stream=True)
@describe(
    "提交诉求（multipart/form-data，可附最多 9 张图片）",
    response=AppealSummaryOut,
    status=201,
    tags=TAGS,
    description="返回 201 与新诉求；以同一 Idempotency-Key 重复提交返回首次的结果。文字与图片经微信内容安全检测，"
    "需人工审核的诉求状态为“待内容审核”，审核通过后进入受理。",
    errors=_SUBMIT_ERRORS,
)
@authenticated
@validate_form(AppealForm, files="photos", max_files=MAX_ATTACHMENTS)
@idempotent
async def submit_appeal(request: Request, form: AppealForm, files: list[Upload]) -> HTTPResponse:
    who = principal(request)
    user = who.user
    enterprise_id = None
    if form.enterprise_id is not None:
        binding = await require_binding(user=user, enterprise_id=form.enterprise_id)  # 403 unless bound
        enterprise_id = binding.enterprise_id
    draft = AppealDraft(
        channel=AppealChannel.miniprogram,
        category=form.category,
        description=form.description,
        title=form.title,
        user=user,
        enterprise_id=enterprise_id,
        enterprise_name=form.enterprise_name,
        contact_name=form.contact_name,
        contact_phone=form.contact_phone,
        contact_preference=form.contact_preference,
        idempotency_key=_service_key(request, account_id=who.account.id),
        files=_files(files),
    )
    settings = _settings(request)
    result = await appeal_service.submit_appeal(
        draft=draft, settings=settings, check_text=TextCheck(request.app.ctx.resources.miniprogram)
    )
    location = request.app.url_for("miniprogram.appeal", appeal_id=result.appeal.id)
    return ok(
        AppealSummaryOut.build(queries.summarise(result.appeal)),
        status=201 if result.created else 200,
        headers={"Location": location},
    )


@bp.get("/appeals")
@describe("我的诉求（分页；可按 进行中/已结束 筛选）", response=AppealListOut, tags=TAGS)
@authenticated
@validate_query(AppealListQuery)
async def list_appeals(request: Request, query: AppealListQuery) -> HTTPResponse:
    page = _page(query.cursor)
    found = await queries.list_for_user(user=current_user(request), status=query.status, page=page, per_page=query.limit)
    return ok(
        AppealListOut(
            items=[AppealSummaryOut.build(item) for item in found.items],
            total=found.total,
            next_cursor=encode_cursor(page + 1) if found.has_next and page < MAX_PAGE else None,
        )
    )


@bp.get("/appeals/<appeal_id:int>", name="appeal")
@describe("诉求详情：办理过程、附件与我可进行的操作", response=AppealDetailOut, tags=TAGS, errors=["appeal_not_found"])
@authenticated
async def appeal_detail(request: Request, appeal_id: int) -> HTTPResponse:
    detail = await queries.detail_for_user(user=current_user(request), appeal_id=appeal_id, settings=_settings(request))
    return ok(AppealDetailOut.from_detail(detail))


@bp.post("/appeals/<appeal_id:int>/supplement", stream=True)
@describe(
    "补充材料（文字，可附最多 9 张图片）",
    response=AppealDetailOut,
    tags=TAGS,
    description="办理中的诉求（答复前）均可补充；承办单位请企业补充材料时也用此接口。",
    errors=[*_STEP_ERRORS, "empty_file", "file_too_large", "file_type_not_allowed"],
)
@authenticated
@validate_form(SupplementForm, files="photos", max_files=MAX_ATTACHMENTS)
@idempotent
async def supplement_appeal(request: Request, appeal_id: int, form: SupplementForm, files: list[Upload]) -> HTTPResponse:
    user = current_user(request)
    settings = _settings(request)
    await appeal_service.supplement(appeal_id=appeal_id, user=user, text=form.text, settings=settings, files=_files(files))
    detail = await queries.detail_for_user(user=user, appeal_id=appeal_id, settings=settings)
    return ok(AppealDetailOut.from_detail(detail))


@bp.post("/appeals/<appeal_id:int>/confirm")
@describe(
    "确认答复并评价（好差评五级）",
    response=AppealSummaryOut,
    tags=TAGS,
    description="resolved=true：诉求办结并记录满意度。resolved=false：须说明未解决的问题，诉求重新受理分派（可重办 1 次）；"
    "重办次数用完后以“未解决”办结。返回诉求的新状态。",
    errors=[*_STEP_ERRORS, "invalid_satisfaction"],
)
@authenticated
@idempotent
@validate_body(ConfirmRequest)
async def confirm_appeal(request: Request, appeal_id: int, body: ConfirmRequest) -> HTTPResponse:
    appeal = await appeal_service.confirm(
        appeal_id=appeal_id,
        user=current_user(request),
        resolved=body.resolved,
        satisfaction=body.satisfaction,
        comment=body.comment,
        settings=_settings(request),
    )
    return ok(AppealSummaryOut.build(queries.summarise(appeal)))


def _page(cursor: str | None) -> int:
    if not cursor:
        return 1
    value = decode_cursor(cursor)
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_PAGE + 1:
        raise ApiError("invalid_cursor")
    return value


def _service_key(request: Request, *, account_id: int) -> str | None:
    """The Idempotency-Key as the service keeps it: scoped to the account (keys are only
    unique per client) and hashed to a fixed length."""
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if not key:
        return None
    return f"mp:{account_id}:{hashlib.sha256(key.encode()).hexdigest()}"
