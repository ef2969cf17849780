"""Open311 GeoReport v2: appeals as service requests, for any 311/12345 tool.

The transport is `partner_api.open311` (paths under /open311/v2/, JSON and XML); the
integrators' guide is docs/partner-api.md. This module maps between the two models:

* **Services** are our appeal categories (`app.appeal.categories`): service_code = the
  category code, service_name = its Chinese label, group 企业诉求, type realtime (the
  service_request_id is returned at once; no tokens). Every service has the same
  attributes (`ATTRIBUTES`), all optional: `external_id`, `enterprise_name`,
  `credit_code`, `district`, `title`.
* **A request** becomes an appeal with channel `open311` and `source_client` = the name of
  the API key that filed it. service_request_id is the appeal number (SQyyyymmddNNNNNN).
* **Idempotency.** GeoReport v2 has none; a client that may resend (after a timeout, say)
  passes its own id as `attribute[external_id]`. It is stored per client as
  `<client>:<external_id>` (the appeal's `external_id`, unique per channel), so the same
  client resending the same id gets the same service_request_id back, and two clients
  cannot collide. Without it every POST files a new appeal.
* **Status** is `open` until the appeal is declined or closed, then `closed`;
  `status_notes` is the latest event the enterprise may see (never an internal note);
  `agency_responsible` is the lead organisation (null before dispatch); `expected_datetime`
  is the resolution deadline (null before dispatch); `updated_datetime` is the close time
  once closed.
* **Privacy.** Enterprise appeals are not public, so reading needs an API key too, and a
  client reads only the requests it filed itself, unless its name is listed in
  `OPEN311_READ_ALL_CLIENTS` (e.g. the city's own 12345 platform). A request it may not
  read is answered exactly like one that does not exist.
* **Limits** as the specification sets them: queries default to the last 90 days, a date
  range may not exceed 90 days, at most 1,000 records; descriptions at most 4,000 characters.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from tortoise.queryset import QuerySet

from app.appeal.categories import CATEGORIES, deadlines_for
from app.appeal.errors import AppealError
from app.appeal.models import Appeal, AppealAttachment, AppealChannel, AppealEvent, AppealStatus, ContactPreference
from app.appeal.service import AppealDraft, IncomingFile, TextChecker, submit_appeal
from app.appeal.workflow import OPEN_STATUSES, TERMINAL_STATUSES, TRANSITIONS
from app.config import Settings
from app.db import db_time
from app.enterprise import credit_code as credit_codes
from app.enterprise.reference import District
from app.organisation.models import Organisation

__all__ = [
    "ATTRIBUTES",
    "MAX_RANGE",
    "MAX_RECORDS",
    "SPECIFICATION",
    "Open311Error",
    "RequestQuery",
    "create_request",
    "discovery",
    "find_requests",
    "get_request",
    "request_records",
    "service_definition",
    "services",
]

_SHANGHAI = ZoneInfo("Asia/Shanghai")
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2024-06-01T00:00:00+08:00"
"""When this API's shape last changed (discovery's `changeset`)."""
MAX_RANGE = timedelta(days=90)
MAX_RECORDS = 1000
DESCRIPTION_LIMIT = 4000
EXTERNAL_ID_LIMIT = 64
GROUP = "企业诉求"


class Open311Error(Exception):
    """A request the API refuses: rendered as `[{"code": status, "description": ...}]`."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


# -- discovery, services, service definitions -------------------------------------------------


def discovery(*, settings: Settings) -> dict[str, Any]:
    base = settings.public_base_url.rstrip("/") + "/open311/v2"
    return {
        "changeset": CHANGESET,
        "contact": "企云平台 — 企业服务协调办公室",
        "key_service": "API keys are issued by the platform operator (OPEN311_API_KEYS); see docs/partner-api.md",
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": base,
                "changeset": CHANGESET,
                "type": "production" if settings.is_production else "test",
                "formats": ["application/json", "text/xml"],
            }
        ],
    }


def services() -> list[dict[str, Any]]:
    """Every appeal category as a service, in display order."""
    return [
        {
            "service_code": category.code,
            "service_name": category.label,
            "description": category.hint,
            "metadata": True,
            "type": "realtime",
            "keywords": category.open311_keywords or category.hint.replace("、", ","),
            "group": GROUP,
        }
        for category in CATEGORIES.values()
    ]


ATTRIBUTES: tuple[dict[str, Any], ...] = (
    {
        "variable": True, "code": "external_id", "datatype": "string", "required": False, "order": 1,
        "datatype_description": f"1-{EXTERNAL_ID_LIMIT - 1} characters, unique among your requests",
        "description": "您系统中的工单号：重复提交同一工单号将返回同一诉求编号（幂等）",
    },
    {
        "variable": True, "code": "enterprise_name", "datatype": "string", "required": False, "order": 2,
        "datatype_description": "at most 200 characters", "description": "企业名称",
    },
    {
        "variable": True, "code": "credit_code", "datatype": "string", "required": False, "order": 3,
        "datatype_description": "18-character unified social credit code (GB 32100)",
        "description": "统一社会信用代码（用于关联企业档案）",
    },
    {
        "variable": True, "code": "district", "datatype": "singlevaluelist", "required": False, "order": 4,
        "datatype_description": "GB/T 2260 code", "description": "所在行政区",
        "values": [{"key": district.value, "name": district.label} for district in District],
    },
    {
        "variable": True, "code": "title", "datatype": "string", "required": False, "order": 5,
        "datatype_description": "at most 60 characters; default: the first line of the description",
        "description": "诉求标题",
    },
)


def service_definition(*, service_code: str) -> dict[str, Any]:
    if service_code not in CATEGORIES:
        raise Open311Error(404, f"service_code: no service {service_code!r}")
    return {"service_code": service_code, "attributes": [dict(attribute) for attribute in ATTRIBUTES]}


# -- filing a request ------------------------------------------------------------------------------


_ATTRIBUTE = re.compile(r"^attribute\[([A-Za-z0-9_]+)\](\[\])?$")
# The appeal service's field names, as this API calls them.
_FIELDS = {
    "description": "description", "contact_phone": "phone", "title": "attribute[title]",
    "external_id": "attribute[external_id]", "attachments": "media_url", "category": "service_code",
    "enterprise_id": "attribute[credit_code]",
}


def _text(fields: Mapping[str, str], name: str) -> str:
    return unicodedata.normalize("NFKC", fields.get(name) or "").strip()


def _has_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def _coordinate(fields: Mapping[str, str], name: str, low: float, high: float) -> float | None:
    raw = _text(fields, name)
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or not low <= value <= high:
        raise Open311Error(400, f"{name}: must be a number between {low:g} and {high:g} (WGS84)")
    return value


@dataclass(frozen=True)
class Filed:
    appeal: Appeal
    created: bool
    service_notice: str


async def create_request(
    *, client: str, fields: Mapping[str, str], settings: Settings, check_text: TextChecker | None = None,
) -> Filed:
    """File a POST requests submission from API client `client` (form fields, first value of
    each); returns the appeal (the earlier one for a repeated `attribute[external_id]`)."""
    service_code = _text(fields, "service_code")
    if not service_code:
        raise Open311Error(400, "service_code: required")
    if service_code not in CATEGORIES:
        raise Open311Error(400, f"service_code: no service {service_code!r} (see services.json)")
    attributes = {}
    for key, value in fields.items():
        match = _ATTRIBUTE.match(key)
        if match:
            attributes[match.group(1)] = unicodedata.normalize("NFKC", value or "").strip()
        elif key.startswith("attribute"):
            raise Open311Error(400, f"{key}: attributes are sent as attribute[code]=value")
    unknown = sorted(set(attributes) - {a["code"] for a in ATTRIBUTES})
    if unknown:
        raise Open311Error(400, f"attribute[{unknown[0]}]: unknown attribute (see services/{service_code}.json)")

    latitude = _coordinate(fields, "lat", -90, 90)
    longitude = _coordinate(fields, "long", -180, 180)
    if (latitude is None) != (longitude is None):
        raise Open311Error(400, "lat, long: give both or neither")
    address = _text(fields, "address_string")
    address_id = _text(fields, "address_id")
    if latitude is None and not address and not address_id:
        raise Open311Error(400, "location: required (lat and long, address_string or address_id)")
    if not address and address_id:
        address = f"地址编号 {address_id}"
    if len(address) > 200:
        raise Open311Error(400, "address_string: at most 200 characters")

    description = _text(fields, "description")
    if not description:
        raise Open311Error(400, "description: required (what the enterprise asks for)")
    if len(description) > DESCRIPTION_LIMIT:
        raise Open311Error(400, f"description: at most {DESCRIPTION_LIMIT} characters")

    external_id = None
    if attributes.get("external_id"):
        external_id = f"{client}:{attributes['external_id']}"
        if len(external_id) > EXTERNAL_ID_LIMIT:
            raise Open311Error(400, f"attribute[external_id]: too long (with your client name {client!r} it must "
                                    f"fit in {EXTERNAL_ID_LIMIT} characters)")
    credit_code = credit_codes.normalise(attributes.get("credit_code", ""))
    if credit_code and not credit_codes.is_valid(credit_code):
        raise Open311Error(400, "attribute[credit_code]: not a valid unified social credit code (GB 32100)")
    district = None
    if attributes.get("district"):
        try:
            district = District.from_label_or_code(attributes["district"])
        except ValueError:
            raise Open311Error(400, "attribute[district]: not one of the listed values (GB/T 2260 codes)") from None
    enterprise_name = attributes.get("enterprise_name", "")
    if len(enterprise_name) > 200:
        raise Open311Error(400, "attribute[enterprise_name]: at most 200 characters")

    first, last = _text(fields, "first_name"), _text(fields, "last_name")
    name = f"{last}{first}" if _has_cjk(first + last) else f"{first} {last}".strip()
    phone = _text(fields, "phone")
    media_url = _text(fields, "media_url")
    if media_url and (not media_url.startswith(("https://", "http://")) or len(media_url) > 290):
        raise Open311Error(400, "media_url: must be an http(s) URL of at most 290 characters")

    draft = AppealDraft(
        channel=AppealChannel.open311,
        category=service_code,
        description=description,
        title=attributes.get("title", ""),
        enterprise_name=enterprise_name,
        credit_code=credit_code,
        contact_name=name[:50],
        contact_phone=phone,
        contact_preference=ContactPreference.phone if phone else ContactPreference.none,
        district=district,
        address=address,
        latitude=latitude,
        longitude=longitude,
        external_id=external_id,
        source_client=client,
        files=[IncomingFile(url=media_url, filename=media_url.rsplit("/", 1)[-1][:200] or "media")] if media_url else (),
    )
    try:
        result = await submit_appeal(draft=draft, settings=settings, check_text=check_text)
    except AppealError as exc:
        if exc.status != 400:
            raise
        raise Open311Error(400, f"{_FIELDS.get(exc.field or '', exc.field or 'request')}: {exc.message}") from None
    deadlines = deadlines_for(result.appeal.category, settings)
    notice = (f"诉求已登记，编号 {result.appeal.number}：{deadlines.accept} 个工作日内受理，"
              f"分派后 {deadlines.resolve} 个工作日内答复。")
    return Filed(result.appeal, result.created, notice)


# -- reading requests --------------------------------------------------------------------------------


def _visible(client: str, read_all: bool) -> QuerySet[Appeal]:
    if read_all:
        return Appeal.all()
    return Appeal.filter(channel=AppealChannel.open311, source_client=client)


def _when(value: str, name: str) -> datetime:
    try:
        # An unencoded "+08:00" in a query string arrives as " 08:00".
        text = re.sub(r" (\d{2}:?\d{2})$", r"+\1", value.strip()).replace("Z", "+00:00")
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise Open311Error(400, f"{name}: must be a W3C/ISO-8601 date-time with a time zone, e.g. 2024-05-01T00:00:00+08:00")
    return moment


@dataclass(frozen=True)
class RequestQuery:
    """GET requests' parameters, as sent (strings; empty = not given)."""

    service_request_id: str = ""
    service_code: str = ""
    start_date: str = ""
    end_date: str = ""
    status: str = ""


async def find_requests(*, client: str, read_all: bool, query: RequestQuery, now: datetime | None = None) -> list[Appeal]:
    """The requests `client` may read that match `query`, newest first, at most 1,000."""
    visible = _visible(client, read_all)
    if query.service_request_id.strip():
        numbers = [n.strip() for n in query.service_request_id.split(",") if n.strip()]
        if len(numbers) > MAX_RECORDS:
            raise Open311Error(400, f"service_request_id: at most {MAX_RECORDS} ids")
        # The specification: a list of ids overrides every other parameter.
        return await visible.filter(number__in=numbers).order_by("-created_at", "-id")
    now = now or datetime.now(timezone.utc)
    start = _when(query.start_date, "start_date") if query.start_date.strip() else None
    end = _when(query.end_date, "end_date") if query.end_date.strip() else None
    if start is None and end is None:
        end, start = now, now - MAX_RANGE
    elif start is None:
        start = end - MAX_RANGE
    elif end is None:
        end = min(now, start + MAX_RANGE)
    if end < start:
        raise Open311Error(400, "end_date: must not be before start_date")
    if end - start > MAX_RANGE:
        raise Open311Error(400, "start_date, end_date: the range may not exceed 90 days")
    # In the database's time zone: SQLite compares the stored text, which tortoise writes in it.
    selected = visible.filter(created_at__gte=db_time(start), created_at__lte=db_time(end))
    if query.service_code.strip():
        codes = [c.strip() for c in query.service_code.split(",") if c.strip()]
        unknown = [c for c in codes if c not in CATEGORIES]
        if unknown:
            raise Open311Error(400, f"service_code: no service {unknown[0]!r}")
        selected = selected.filter(category__in=codes)
    status = query.status.strip().lower()
    if status:
        wanted = set()
        for part in status.split(","):
            if part.strip() == "open":
                wanted |= OPEN_STATUSES
            elif part.strip() == "closed":
                wanted |= TERMINAL_STATUSES
            else:
                raise Open311Error(400, "status: must be open or closed")
        selected = selected.filter(status__in=sorted(wanted))
    return await selected.order_by("-created_at", "-id").limit(MAX_RECORDS)


async def get_request(*, client: str, read_all: bool, service_request_id: str) -> Appeal:
    appeal = await _visible(client, read_all).filter(number=service_request_id.strip()).first()
    if appeal is None:
        raise Open311Error(404, f"service_request_id: no request {service_request_id!r}")
    return appeal


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(_SHANGHAI).isoformat(timespec="seconds") if moment else None


def _note(event: AppealEvent | None) -> str:
    if event is None:
        return ""
    label = {"submit": "已提交"}.get(event.action) or (TRANSITIONS[event.action].label if event.action in TRANSITIONS else event.action)
    lead = (event.payload or {}).get("lead") if isinstance(event.payload, dict) else None
    if lead and event.action in ("dispatch", "redispatch", "escalate"):
        label = f"{label}至{lead}"
    return f"{label}：{event.text}" if event.text else label


async def request_records(appeals: list[Appeal], *, settings: Settings, extensions: bool = False) -> list[dict[str, Any]]:
    """GeoReport v2 request records for `appeals` (a handful of queries whatever their number)."""
    from app.appeal.storage import signed_url

    ids = [appeal.id for appeal in appeals]
    if not ids:
        return []
    lead_ids = {appeal.lead_organisation_id for appeal in appeals if appeal.lead_organisation_id}
    leads = {org.id: org.name for org in await Organisation.filter(id__in=sorted(lead_ids))} if lead_ids else {}
    latest: dict[int, AppealEvent] = {}
    for event in await AppealEvent.filter(appeal_id__in=ids, internal=False).order_by("created_at", "id"):
        latest[event.appeal_id] = event
    media: dict[int, str] = {}
    for attachment in await AppealAttachment.filter(appeal_id__in=ids, check_result="pass").order_by("id"):
        if attachment.appeal_id in media:
            continue
        if attachment.storage_key.startswith("url:"):
            media[attachment.appeal_id] = attachment.storage_key[4:]
        elif not attachment.storage_key.startswith("wechat:"):
            media[attachment.appeal_id] = signed_url(attachment.id, settings=settings, absolute=True, ttl_seconds=86400)
    records = []
    for appeal in appeals:
        status = AppealStatus(appeal.status)
        closed = status in TERMINAL_STATUSES
        deadlines = deadlines_for(appeal.category, settings)
        record: dict[str, Any] = {
            "service_request_id": appeal.number,
            "status": "closed" if closed else "open",
            "status_notes": _note(latest.get(appeal.id)),
            "service_name": CATEGORIES[appeal.category].label if appeal.category in CATEGORIES else appeal.category,
            "service_code": appeal.category,
            "description": appeal.description,
            "agency_responsible": leads.get(appeal.lead_organisation_id),
            "service_notice": f"{deadlines.accept} 个工作日内受理，分派后 {deadlines.resolve} 个工作日内答复",
            "requested_datetime": _iso(appeal.created_at),
            "updated_datetime": _iso(appeal.closed_at if closed and appeal.closed_at else appeal.updated_at),
            "expected_datetime": _iso(appeal.resolve_due_at),
            "address": appeal.address or None,
            "address_id": None,
            "zipcode": None,
            "lat": appeal.latitude,
            "long": appeal.longitude,
            "media_url": media.get(appeal.id),
        }
        if extensions:
            record["extended_attributes"] = {
                "qiyun_status": status.value,
                "qiyun_status_label": status.label,
                "title": appeal.title,
                "resolved": appeal.resolved,
                "satisfaction": appeal.satisfaction.value if appeal.satisfaction else None,
                "satisfaction_label": appeal.satisfaction.label if appeal.satisfaction else None,
            }
        records.append(record)
    return records
