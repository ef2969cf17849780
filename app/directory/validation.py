"""What staff type into an entry, and the rules it must meet: lengths, links, and the fields
each kind needs (`REQUIRED`). Messages are Chinese, name the field, and say what to do.

Links: a web link must be http(s) with a host (a `javascript:` or relative link would be
unsafe or broken in the chat and the pages); a mini-program jump needs both the appid
(`wx` + 16 hex digits, as WeChat issues them) and a page path.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict

from app.directory.errors import DirectoryError
from app.directory.models import DirectoryCategory, DirectoryKind, UtilityType
from app.enterprise.reference import District

__all__ = ["FIELD_LABELS", "REQUIRED", "EntryInput", "check_input"]


class EntryInput(BaseModel):
    """Every field staff edit (types only; rules in `check_input`)."""

    model_config = ConfigDict(str_strip_whitespace=True)

    kind: DirectoryKind
    title: str = ""
    category: DirectoryCategory | None = None
    utility_type: UtilityType | None = None
    summary: str = ""
    body: str = ""
    eligibility: str = ""
    steps: str = ""
    materials: str = ""
    fees: str = ""
    time_limit: str = ""
    organisation_id: int | None = None
    platform_name: str = ""
    district: District | None = None
    url: str = ""
    miniprogram_appid: str = ""
    miniprogram_path: str = ""
    contact: str = ""
    address: str = ""
    hours: str = ""
    sort_order: int = 0


FIELD_LABELS: dict[str, str] = {
    "kind": "类型",
    "title": "名称",
    "category": "服务类别",
    "utility_type": "接入类型",
    "summary": "简介",
    "body": "详细介绍",
    "eligibility": "服务对象",
    "steps": "办理流程",
    "materials": "申请材料",
    "fees": "收费标准",
    "time_limit": "办理时限",
    "organisation_id": "提供部门",
    "platform_name": "服务平台",
    "district": "所在区",
    "url": "网址",
    "miniprogram_appid": "小程序 AppID",
    "miniprogram_path": "小程序页面路径",
    "contact": "联系方式",
    "address": "地址",
    "hours": "服务时间",
    "sort_order": "排序",
}

LIMITS: dict[str, int] = {
    "title": 200, "summary": 500, "body": 20_000, "eligibility": 2000, "steps": 4000, "materials": 4000,
    "fees": 200, "time_limit": 200, "platform_name": 100, "url": 1024, "miniprogram_path": 300,
    "contact": 200, "address": 300, "hours": 200,
}

# kind -> fields it must have (besides the title). "provider": a department or a platform
# name; "reach": some way to get there (web link, mini-program, contact or address);
# "link": a web link or a mini-program page (what an entrance is for).
REQUIRED: dict[DirectoryKind, tuple[str, ...]] = {
    DirectoryKind.resource: ("category", "summary", "provider", "reach"),
    DirectoryKind.entrance: ("summary", "eligibility", "steps", "link"),
    DirectoryKind.park: ("district", "summary", "address"),
    DirectoryKind.utility_guide: ("utility_type", "steps", "materials", "time_limit"),
}

_REQUIRED_TEXT: dict[str, str] = {
    "provider": "提供部门或服务平台（至少填一项）",
    "reach": "网址、小程序页面、联系方式或地址（至少填一项）",
    "link": "网址或小程序页面（一站式入口必须能直接进入办理）",
}

_APPID = re.compile(r"^wx[0-9a-f]{16}$")
_MAX_SORT = 1_000_000


def _missing(data: EntryInput, name: str) -> bool:
    if name == "provider":
        return data.organisation_id is None and not data.platform_name
    if name == "reach":
        return not (data.url or data.miniprogram_appid or data.contact or data.address)
    if name == "link":
        return not (data.url or data.miniprogram_appid)
    value = getattr(data, name)
    return value is None or value == ""


def _check_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or any(c.isspace() for c in url):
        raise DirectoryError(
            f"网址只能是以 http:// 或 https:// 开头的完整网址（不含空格），而不是「{url[:60]}」", field="url"
        )


def check_input(data: EntryInput) -> EntryInput:
    """`data` normalised (fields a kind does not use cleared), or DirectoryError naming the first problem."""
    if not data.title:
        raise DirectoryError("名称不能为空", field="title")
    for name, limit in LIMITS.items():
        value = getattr(data, name)
        if len(value) > limit:
            raise DirectoryError(f"{FIELD_LABELS[name]}过长：{len(value)}个字符，最多{limit}个", field=name)
    if not -_MAX_SORT <= data.sort_order <= _MAX_SORT:
        raise DirectoryError(f"排序应为 -{_MAX_SORT} 到 {_MAX_SORT} 之间的整数", field="sort_order")
    # A kind's irrelevant facets are dropped, so e.g. a park never carries a utility type.
    updates: dict[str, object] = {}
    if data.kind is not DirectoryKind.utility_guide:
        updates["utility_type"] = None
    if data.kind in (DirectoryKind.park, DirectoryKind.utility_guide):
        updates["category"] = None
    data = data.model_copy(update=updates)
    missing = [name for name in REQUIRED[data.kind] if _missing(data, name)]
    if missing:
        names = "、".join(_REQUIRED_TEXT.get(name) or FIELD_LABELS[name] for name in missing)
        raise DirectoryError(f"{data.kind.label}需要填写：{names}", field=missing[0] if missing[0] in FIELD_LABELS else None)
    if data.url:
        _check_url(data.url)
    appid, path = data.miniprogram_appid, data.miniprogram_path
    if appid and not _APPID.match(appid):
        raise DirectoryError(f"小程序 AppID 格式不正确：应为 wx 加 16 位十六进制字符，而不是「{appid[:40]}」",
                             field="miniprogram_appid")
    if path and not appid:
        raise DirectoryError("填写了小程序页面路径，请同时填写小程序 AppID", field="miniprogram_appid")
    if appid and not path:
        raise DirectoryError("填写了小程序 AppID，请同时填写要打开的页面路径（如 pages/index/index）", field="miniprogram_path")
    if path and (path.startswith(("http:", "https:", "//")) or any(c.isspace() for c in path)):
        raise DirectoryError("小程序页面路径应形如 pages/index/index?id=1，不是网址，且不含空格", field="miniprogram_path")
    return data.model_copy(update={"miniprogram_path": path.lstrip("/")})
