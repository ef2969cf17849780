"""The 12345 hotline: its tickets become appeals, and the appeal's progress goes back to it.

The hotline's platform and Qiyun talk server to server (transport: `partner_api.hotline`;
integrators' guide: docs/partner-api.md). This module holds the rules of that exchange:

* **Signing.** Both directions sign the same way: hex HMAC-SHA256 with the shared secret
  `HOTLINE_SECRET` over `"{timestamp}\\n{nonce}\\n{sha256 hex of the body}"`
  (`signature`). The receiver checks the clock skew and remembers the nonce; the transport
  does that for incoming tickets, the hotline for our status callbacks.
* **Field mapping** (`ticket_to_draft`). A ticket is mapped onto an `AppealDraft` with
  channel `hotline_12345` and `external_id` = the hotline's ticket number, which is what
  makes intake idempotent: the same ticket number always returns the appeal filed first
  (`app.appeal.service.submit_appeal`), whatever the rest of the body says. The caller has
  no WeChat account, so the contact preference is the phone. Structural faults (a missing
  ticket number or content, a wrong type, an over-long value, a malformed URL or date) are
  all reported at once (`TicketInvalid`), with the hotline's field names, so the
  integrator can fix a whole mapping in one round.
* **Lenient where a person took it down.** The category, the district and the credit code
  were typed by an operator during a call. The hotline classifies by its own catalogue: we
  accept our code, our Chinese label, or a term found in `CATEGORY_TERMS`; anything else
  is filed as `other` (其他诉求) for the dispatcher to classify. An unknown district or an
  invalid credit code is left out. Each is reported as a warning in the answer, never a
  refusal: a ticket must not bounce because two catalogues differ or a digit was misheard.
* **Attachments** are kept as links (the hotline's own storage), not copied; they come
  from a government system, so no content check is asked for them.
* **Content check.** The text goes through WeChat's check (v1, no openid) when the
  transport passes `check_text`; risky text is filed `held` for review, never refused.
* **What is not stored.** `created_at` (the time of the call) is validated but not kept:
  deadlines run from our receipt. The hotline's own category name is replaced by ours.
* **Status back.** Every step the hotline should know about queues an outbox row
  "appeal.hotline_sync" in the step's own transaction (the appeal service does that);
  `deliver_status` POSTs it to `HOTLINE_CALLBACK_URL`, signed. A non-2xx answer or a
  network failure raises `HotlineUnavailable`, so the outbox retries with back-off; the
  hotline orders notices by `event.id` (a retried notice may arrive after a newer one), and
  `status` always carries the appeal's status at the time of sending.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import math
import secrets
import time
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo

import aiohttp

from app.appeal.categories import CATEGORIES
from app.appeal.errors import AppealError, AppealNotFound
from app.appeal.models import (
    Appeal,
    AppealChannel,
    AppealEvent,
    AppealStatus,
    CloseReason,
    ContactPreference,
    Satisfaction,
)
from app.appeal.service import (
    DESCRIPTION_LIMIT,
    DESCRIPTION_MIN,
    MAX_ATTACHMENTS,
    AppealDraft,
    IncomingFile,
    TextChecker,
    confirm,
    submit_appeal,
)
from app.appeal.workflow import TRANSITIONS
from app.config import Settings
from app.enterprise import credit_code as credit_codes
from app.enterprise.reference import District
from app.organisation.models import Organisation
from app.outbox.delivery import RetryLater, outbox_handler
from app.outbox.models import OutboxMessage

__all__ = [
    "CATEGORY_TERMS",
    "HOTLINE_STATES",
    "SIGNATURE_HEADERS",
    "FieldProblem",
    "HotlineUnavailable",
    "TicketDraft",
    "TicketInvalid",
    "TicketReceipt",
    "body_digest",
    "deliver_status",
    "find_ticket",
    "hotline_sync",
    "map_category",
    "public_timeline",
    "receive_ticket",
    "signature",
    "signed_headers",
    "status_payload",
    "sync_payload",
    "ticket_status",
    "ticket_to_draft",
]

logger = logging.getLogger("qiyun.appeal.hotline")
_SHANGHAI = ZoneInfo("Asia/Shanghai")

SIGNATURE_HEADERS = ("X-Qiyun-Timestamp", "X-Qiyun-Nonce", "X-Qiyun-Signature")
CALLBACK_TIMEOUT_SECONDS = 10.0
TICKET_NO_LIMIT = 64


# -- signing ------------------------------------------------------------------------------


def body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def signature(secret: str, timestamp: str, nonce: str, body: bytes) -> str:
    """hex HMAC-SHA256(secret, "{timestamp}\\n{nonce}\\n{sha256 hex of body}"), both directions."""
    message = f"{timestamp}\n{nonce}\n{body_digest(body)}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signed_headers(secret: str, body: bytes, *, now: float | None = None) -> dict[str, str]:
    """The three headers that sign `body` now, with a fresh nonce."""
    timestamp = str(int(time.time() if now is None else now))
    nonce = secrets.token_hex(16)
    return {
        "X-Qiyun-Timestamp": timestamp,
        "X-Qiyun-Nonce": nonce,
        "X-Qiyun-Signature": signature(secret, timestamp, nonce, body),
    }


# -- ticket -> appeal ------------------------------------------------------------------------


CATEGORY_TERMS: tuple[tuple[str, str], ...] = (
    # (term found in the hotline's category name, our category). First match wins, so the
    # more specific terms come first. 12345 catalogues name departments and topics alike.
    ("知识产权", "ip"), ("专利", "ip"), ("商标", "ip"), ("版权", "ip"),
    ("拖欠", "rights"), ("账款", "rights"), ("权益", "rights"), ("执法", "rights"), ("维权", "rights"),
    ("融资", "financing"), ("贷款", "financing"), ("担保", "financing"), ("金融", "financing"),
    ("退税", "tax"), ("发票", "tax"), ("纳税", "tax"), ("税", "tax"),
    ("高新", "technology"), ("科技", "technology"), ("研发", "technology"), ("创新", "technology"),
    ("人才", "talent"), ("落户", "talent"), ("社保", "talent"), ("用工", "talent"), ("劳动", "talent"),
    ("人社", "talent"), ("就业", "talent"),
    ("营业执照", "licence"), ("证照", "licence"), ("许可", "licence"), ("准入", "licence"),
    ("登记", "licence"), ("开办", "licence"), ("市场监管", "licence"),
    ("施工", "construction"), ("规划", "construction"), ("用地", "construction"), ("建设", "construction"),
    ("竣工", "construction"),
    ("用电", "utilities"), ("供电", "utilities"), ("电力", "utilities"), ("供水", "utilities"),
    ("用水", "utilities"), ("燃气", "utilities"), ("用气", "utilities"), ("通信", "utilities"),
    ("宽带", "utilities"), ("水电", "utilities"),
    ("外贸", "trade"), ("通关", "trade"), ("海关", "trade"), ("进出口", "trade"), ("跨境", "trade"),
    ("环评", "environment"), ("排污", "environment"), ("环保", "environment"), ("生态", "environment"),
    ("环境", "environment"),
    ("补贴", "policy"), ("兑现", "policy"), ("扶持", "policy"), ("政策", "policy"),
)


def map_category(value: str) -> str:
    """Our category for the hotline's: our code, our label, a known term, else `other`."""
    text = unicodedata.normalize("NFKC", value or "").strip()
    if not text:
        return "other"
    if text.lower() in CATEGORIES:
        return text.lower()
    for category in CATEGORIES.values():
        if text == category.label:
            return category.code
    for term, code in CATEGORY_TERMS:
        if term in text:
            return code
    return "other"


@dataclass(frozen=True)
class FieldProblem:
    field: str
    code: str
    message: str
    """English, for the integrator."""
    message_zh: str


class TicketInvalid(Exception):
    """The ticket cannot be filed as it is; `problems` lists every field at fault (HTTP 422)."""

    status = 422

    def __init__(self, problems: Sequence[FieldProblem]) -> None:
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in problems))
        self.problems = list(problems)


# The appeal service's field names, as the hotline calls them (its errors name the ticket's field).
_SERVICE_FIELDS = {
    "description": "content", "contact_phone": "caller_phone", "external_id": "ticket_no",
    "enterprise_id": "credit_code", "category": "category", "title": "title", "attachments": "attachments",
}


class _Reader:
    """Reads a ticket's fields, collecting every problem instead of stopping at the first."""

    def __init__(self, ticket: Mapping[str, Any]) -> None:
        self.ticket = ticket
        self.problems: list[FieldProblem] = []
        self.warnings: list[FieldProblem] = []

    def problem(self, field: str, code: str, message: str, message_zh: str) -> None:
        self.problems.append(FieldProblem(field, code, message, message_zh))

    def warn(self, field: str, code: str, message: str, message_zh: str) -> None:
        self.warnings.append(FieldProblem(field, code, message, message_zh))

    def text(self, field: str, *, required: bool = False, limit: int | None = None, integer_ok: bool = False) -> str:
        """A string field; `integer_ok` also takes a JSON integer (ticket and phone numbers)."""
        value = self.ticket.get(field)
        if value is None or value == "":
            if required:
                self.problem(field, "required", "is required", "必填")
            return ""
        if isinstance(value, bool) or not isinstance(value, (str, int) if integer_ok else str):
            self.problem(field, "not_a_string", "must be a string", "必须是字符串")
            return ""
        text = unicodedata.normalize("NFKC", str(value)).strip()
        if required and not text:
            self.problem(field, "required", "is required", "必填")
        if limit is not None and len(text) > limit:
            self.problem(field, "too_long", f"must be at most {limit} characters", f"不能超过 {limit} 个字符")
        return text

    def number(self, field: str, low: float, high: float) -> float | None:
        value = self.ticket.get(field)
        if value is None or value == "":
            return None
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = math.nan
        if isinstance(value, bool) or not math.isfinite(number) or not low <= number <= high:
            self.problem(field, "invalid_number", f"must be a number between {low:g} and {high:g}",
                         f"必须是 {low:g} 到 {high:g} 之间的数字")
            return None
        return number


@dataclass(frozen=True)
class TicketDraft:
    draft: AppealDraft
    warnings: list[FieldProblem]
    """Values taken leniently (an unknown category or district, a mistyped credit code)."""


def ticket_to_draft(ticket: Any) -> TicketDraft:
    """The appeal draft for a hotline ticket (the documented field mapping), or TicketInvalid.

    Structural faults (a missing ticket number or content, a wrong type, an over-long value,
    a malformed URL or date) refuse the ticket; values a person may have mis-heard on the
    phone (category, district, credit code) are filed leniently and reported as warnings."""
    if not isinstance(ticket, Mapping):
        raise TicketInvalid([FieldProblem("body", "not_an_object", "the body must be a JSON object",
                                          "请求体必须是 JSON 对象")])
    read = _Reader(ticket)
    ticket_no = read.text("ticket_no", required=True, limit=TICKET_NO_LIMIT, integer_ok=True)
    if ticket_no and any(unicodedata.category(ch).startswith("C") for ch in ticket_no):
        read.problem("ticket_no", "invalid", "must not contain control characters", "不能包含控制字符")
    content = read.text("content", required=True, limit=DESCRIPTION_LIMIT)
    if content and len(content) < DESCRIPTION_MIN:
        read.problem("content", "too_short", f"must be at least {DESCRIPTION_MIN} characters",
                     f"请把诉求描述清楚（至少 {DESCRIPTION_MIN} 个字）")
    title = read.text("title")
    if len(title) > 60:
        title = title[:59] + "…"  # a hotline summary is not refused for its length
    hotline_category = read.text("category")
    category = map_category(hotline_category)
    if hotline_category and category == "other" and hotline_category not in ("other", CATEGORIES["other"].label):
        read.warn("category", "unknown_category", "unknown category: filed as other (其他诉求)",
                  "无法对应的诉求类别，已归入「其他诉求」")
    caller_name = read.text("caller_name", limit=50)
    caller_phone = read.text("caller_phone", limit=20, integer_ok=True)
    enterprise_name = read.text("enterprise_name", limit=200)
    credit_code = credit_codes.normalise(read.text("credit_code"))
    if credit_code and not credit_codes.is_valid(credit_code):
        # Often taken down over the phone: a typo must not bounce the ticket.
        read.warn("credit_code", "invalid_credit_code",
                  "not a valid unified social credit code; kept out of the enterprise match",
                  "统一社会信用代码校验不通过，未用于匹配企业")
        credit_code = ""
    district = None
    district_text = read.text("district")
    if district_text:
        try:
            district = District.from_label_or_code(district_text)
        except ValueError:
            read.warn("district", "unknown_district",
                      "unknown district (give a GB/T 2260 code such as 310115 or a name such as 浦东新区); "
                      "filed without a district",
                      "无法识别的行政区（请填写区划代码如 310115 或区名如 浦东新区），已按未填写处理")
    address = read.text("address", limit=200)
    latitude = read.number("latitude", -90, 90)
    longitude = read.number("longitude", -180, 180)
    created_at = read.text("created_at")
    if created_at:
        try:
            parsed = datetime.fromisoformat(created_at.replace("Z", "+00:00"))
            if parsed.tzinfo is None:
                raise ValueError(created_at)
        except ValueError:
            read.problem("created_at", "invalid_datetime", "must be an ISO-8601 date-time with a time zone",
                         "必须是带时区的 ISO-8601 时间，如 2024-05-01T09:30:00+08:00")
    files = _attachments(read)
    if read.problems:
        raise TicketInvalid(read.problems)
    draft = AppealDraft(
        channel=AppealChannel.hotline_12345,
        category=category,
        description=content,
        title=title,
        enterprise_name=enterprise_name,
        credit_code=credit_code,
        contact_name=caller_name,
        contact_phone=caller_phone,
        contact_preference=ContactPreference.phone if caller_phone else ContactPreference.none,
        district=district,
        address=address,
        latitude=latitude,
        longitude=longitude,
        external_id=ticket_no,
        source_client="12345热线",
        files=files,
    )
    return TicketDraft(draft, read.warnings)


def _attachments(read: _Reader) -> list[IncomingFile]:
    value = read.ticket.get("attachments")
    if value in (None, ""):
        return []
    if not isinstance(value, list):
        read.problem("attachments", "not_a_list", "must be a list of URLs", "必须是链接列表")
        return []
    if len(value) > MAX_ATTACHMENTS:
        read.problem("attachments", "too_many", f"at most {MAX_ATTACHMENTS} attachments",
                     f"附件最多 {MAX_ATTACHMENTS} 个")
        return []
    files = []
    for index, item in enumerate(value):
        url, name = (item.get("url"), item.get("name")) if isinstance(item, Mapping) else (item, None)
        field = f"attachments[{index}]"
        if not isinstance(url, str) or not url.startswith(("https://", "http://")) or len(url) > 290:
            read.problem(field, "invalid_url", "must be an http(s) URL of at most 290 characters",
                         "必须是 http(s) 链接，且不超过 290 个字符")
            continue
        if not isinstance(name, str) or not name.strip():
            name = unquote(urlsplit(url).path.rsplit("/", 1)[-1]) or "attachment"
        files.append(IncomingFile(url=url, filename=name.strip()[:200]))
    return files


@dataclass(frozen=True)
class TicketReceipt:
    appeal: Appeal
    created: bool
    """False: the ticket number was filed before, and that appeal is returned unchanged."""
    warnings: list[FieldProblem]


async def receive_ticket(*, ticket: Any, settings: Settings, check_text: TextChecker | None = None) -> TicketReceipt:
    """File a hotline ticket as an appeal, or return the appeal already filed for its number.

    `check_text` is WeChat's text check (v1: the caller has no openid); held content is
    filed as `held` for the review queue, never refused.
    """
    mapped = ticket_to_draft(ticket)
    try:
        result = await submit_appeal(draft=mapped.draft, settings=settings, check_text=check_text)
        return TicketReceipt(result.appeal, result.created, mapped.warnings if result.created else [])
    except AppealError as exc:
        if exc.status != 400:
            raise
        field = _SERVICE_FIELDS.get(exc.field or "", exc.field or "body")
        raise TicketInvalid([FieldProblem(field, exc.code, _english(exc.code, exc.message), exc.message)]) from None


def _english(code: str, message_zh: str) -> str:
    return {
        "description_too_short": "is too short (at least 5 characters)",
        "description_too_long": "is too long (at most 4000 characters)",
        "invalid_phone": "must be 7-15 digits",
        "title_too_long": "is too long (at most 60 characters)",
        "too_many_files": f"at most {MAX_ATTACHMENTS} attachments",
        "invalid_external_id": "must be 1-64 characters",
    }.get(code, message_zh)


# -- the appeal as the hotline sees it --------------------------------------------------------


HOTLINE_STATES: dict[AppealStatus, tuple[str, str]] = {
    AppealStatus.submitted: ("pending", "待受理"),
    AppealStatus.held: ("pending", "待受理"),
    AppealStatus.accepted: ("accepted", "已受理"),
    AppealStatus.declined: ("rejected", "不予受理"),
    AppealStatus.dispatched: ("dispatched", "已派单"),
    AppealStatus.in_progress: ("processing", "办理中"),
    AppealStatus.replied: ("replied", "已答复"),
    AppealStatus.closed: ("closed", "已办结"),
}
"""Our status -> the hotline's work-order state (code, label); several of ours share one."""

_ACTION_LABELS = {"submit": "提交诉求", **{action: t.label for action, t in TRANSITIONS.items()}}


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(_SHANGHAI).isoformat(timespec="seconds") if moment else None


def _labelled(value: Any, enum: type) -> dict[str, str] | None:
    if value is None:
        return None
    member = enum(value)
    return {"code": member.value, "label": member.label}


def _event_out(event: AppealEvent) -> dict[str, Any]:
    payload = event.payload or {}
    to_status = AppealStatus(event.to_status) if event.to_status else None
    return {
        "id": event.id,
        "action": event.action,
        "label": _ACTION_LABELS.get(event.action, event.action),
        "status": to_status.value if to_status else None,
        "status_label": to_status.label if to_status else None,
        "text": "" if event.internal else event.text,
        "organisation": payload.get("lead") if isinstance(payload, dict) else None,
        "at": _iso(event.created_at),
    }


async def public_timeline(appeal: Appeal) -> list[AppealEvent]:
    """The events the enterprise (and so the hotline) may see, oldest first."""
    return await AppealEvent.filter(appeal_id=appeal.id, internal=False).order_by("created_at", "id")


async def status_payload(appeal: Appeal) -> dict[str, Any]:
    """What both the status query and the callback say about the appeal now."""
    status = AppealStatus(appeal.status)
    state, state_label = HOTLINE_STATES[status]
    lead = await Organisation.filter(id=appeal.lead_organisation_id).first() if appeal.lead_organisation_id else None
    reply = (
        await AppealEvent.filter(appeal_id=appeal.id, action="reply", internal=False).order_by("-created_at", "-id").first()
    )
    satisfaction = _labelled(appeal.satisfaction, Satisfaction)
    return {
        "ticket_no": appeal.external_id,
        "appeal_number": appeal.number,
        "status": status.value,
        "status_label": status.label,
        "hotline_status": state,
        "hotline_status_label": state_label,
        "category": appeal.category,
        "category_label": CATEGORIES[appeal.category].label if appeal.category in CATEGORIES else appeal.category,
        "lead_organisation": lead.name if lead else None,
        "decline_reason": appeal.decline_reason or None,
        "reply": {"text": reply.text, "at": _iso(reply.created_at)} if reply else None,
        "resolved": appeal.resolved,
        "satisfaction": satisfaction,
        "satisfaction_comment": appeal.satisfaction_comment or None,
        "close_reason": _labelled(appeal.close_reason, CloseReason),
        "accept_due_at": _iso(appeal.accept_due_at),
        "resolve_due_at": _iso(appeal.resolve_due_at),
        "closed_at": _iso(appeal.closed_at),
        "updated_at": _iso(appeal.updated_at),
    }


async def find_ticket(*, ticket_no: str) -> Appeal:
    """The appeal filed for a hotline ticket number; AppealNotFound if there is none."""
    ticket_no = unicodedata.normalize("NFKC", ticket_no or "").strip()
    appeal = await Appeal.filter(channel=AppealChannel.hotline_12345, external_id=ticket_no).first() if ticket_no else None
    if appeal is None:
        raise AppealNotFound("未找到该热线工单对应的诉求")
    return appeal


async def ticket_status(*, ticket_no: str) -> dict[str, Any]:
    """The status query's answer: the status, its hotline state, the public timeline, the
    reply and the enterprise's satisfaction."""
    appeal = await find_ticket(ticket_no=ticket_no)
    answer = await status_payload(appeal)
    answer["timeline"] = [_event_out(event) for event in await public_timeline(appeal)]
    return answer


# -- 回访: the hotline's follow-up call ------------------------------------------------------

_TRUE = {True, "true", "1", "yes", "是", "已解决"}
_FALSE = {False, "false", "0", "no", "否", "未解决"}


async def record_follow_up(*, ticket_no: str, feedback: Any, settings: Settings) -> dict[str, Any]:
    """The verdict the hotline heard when it called the enterprise back (回访): resolved or
    not, the 好差评 level and a comment. It is the enterprise's confirmation by another
    channel: resolved closes the appeal, unresolved reopens it once (`service.confirm`).

    Body: {"resolved": true|false, "satisfaction": code or Chinese label (非常满意…非常不满意),
    "comment": "..."}. Answers the status payload; AppealError (422) for a bad body."""
    if not isinstance(feedback, Mapping):
        raise AppealError("回访结果必须是 JSON 对象", code="invalid_feedback")
    resolved = feedback.get("resolved")
    if resolved not in _TRUE | _FALSE:
        raise AppealError("resolved 必须是 true 或 false", code="invalid_resolved", field="resolved")
    level = str(feedback.get("satisfaction") or "").strip()
    try:
        satisfaction = Satisfaction.from_label_or_code(level)
    except ValueError:
        raise AppealError("satisfaction 必须是 非常满意/满意/基本满意/不满意/非常不满意 之一（或其代码）",
                          code="invalid_satisfaction", field="satisfaction") from None
    comment = feedback.get("comment") or ""
    if not isinstance(comment, str) or len(comment) > 1000:
        raise AppealError("comment 必须是不超过 1000 字的文字", code="invalid_comment", field="comment")
    appeal = await find_ticket(ticket_no=ticket_no)
    appeal = await confirm(appeal_id=appeal.id, user=None, resolved=resolved in _TRUE, satisfaction=satisfaction,
                           comment=comment, settings=settings, hotline_follow_up=True)
    return await status_payload(appeal)


# -- status back to the hotline (outbox topic "appeal.hotline_sync") --------------------------


class HotlineUnavailable(RetryLater):
    """The hotline did not take the notice (non-2xx or network failure): the outbox retries
    it with back-off (`app.outbox.delivery.RETRY_DELAYS`) and fails it after MAX_ATTEMPTS."""


async def sync_payload(*, appeal_id: int, event_id: int) -> dict[str, Any] | None:
    """The callback body for one timeline event; None if the appeal or event is gone."""
    appeal = await Appeal.filter(id=appeal_id).first()
    event = await AppealEvent.filter(id=event_id, appeal_id=appeal_id).first()
    if appeal is None or event is None:
        return None
    body = await status_payload(appeal)
    body["event"] = _event_out(event)
    body["sent_at"] = _iso(datetime.now(_SHANGHAI))
    return body


async def deliver_status(
    *, payload: Mapping[str, Any], settings: Settings, session: aiohttp.ClientSession | None = None,
) -> str:
    """POST one status notice to HOTLINE_CALLBACK_URL, signed; the outbox's result string.

    Raises HotlineUnavailable for a non-2xx answer or a network failure (the outbox retries).
    """
    url = settings.hotline_callback_url.strip()
    secret = settings.hotline_secret.get_secret_value()
    if not url or not secret:
        return "skipped:not_configured"
    body_json = await sync_payload(appeal_id=int(payload["appeal_id"]), event_id=int(payload["event_id"]))
    if body_json is None:
        return "skipped:appeal_gone"
    if body_json["ticket_no"] is None:
        return "skipped:no_ticket_no"
    body = json.dumps(body_json, ensure_ascii=False, separators=(",", ":")).encode()
    headers = {"Content-Type": "application/json; charset=utf-8", **signed_headers(secret, body)}
    owned = session is None
    session = session or aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=CALLBACK_TIMEOUT_SECONDS))
    try:
        async with session.post(url, data=body, headers=headers) as response:
            if not 200 <= response.status < 300:
                excerpt = (await response.text(errors="replace"))[:100]
                raise HotlineUnavailable(f"hotline answered HTTP {response.status}: {excerpt}")
            return f"sent:{response.status}"
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise HotlineUnavailable(f"hotline unreachable: {type(exc).__name__}: {exc}"[:200]) from exc
    finally:
        if owned:
            await session.close()


@outbox_handler("appeal.hotline_sync")
async def hotline_sync(message: OutboxMessage, resources: Any) -> str:
    """The outbox handler: one status notice per queued timeline event of a hotline appeal."""
    return await deliver_status(payload=message.payload, settings=resources.settings)
