"""Directory entries for tests: valid input per kind, created through the service."""

from __future__ import annotations

from typing import Any

from app.directory.models import DirectoryCategory, DirectoryEntry, DirectoryKind, UtilityType
from app.directory.service import create_entry
from app.directory.validation import EntryInput
from app.enterprise.reference import District

DEFAULTS: dict[DirectoryKind, dict[str, Any]] = {
    DirectoryKind.resource: {
        "title": "上海研发公共服务平台", "category": DirectoryCategory.rnd, "summary": "大型科学仪器共享与检测服务",
        "platform_name": "上海研发公共服务平台管理中心", "url": "https://www.sgst.cn/",
    },
    DirectoryKind.entrance: {
        "title": "科技创新券申领", "category": DirectoryCategory.rnd, "summary": "科技型中小企业申领创新券",
        "eligibility": "在本市注册的科技型中小企业", "steps": "登录一网通办\n填写申请\n等待审核",
        "url": "https://zwdt.sh.gov.cn/",
    },
    DirectoryKind.park: {
        "title": "张江科学城", "district": District.pudong, "summary": "集成电路、生物医药、人工智能产业集聚区",
        "address": "浦东新区张江路",
    },
    DirectoryKind.utility_guide: {
        "title": "低压小微企业用电接入", "utility_type": UtilityType.power, "steps": "线上申请\n现场勘查\n装表接电",
        "materials": "营业执照\n用电地址权属证明", "time_limit": "无外线工程的不超过5个工作日",
    },
}


def entry_input(kind: DirectoryKind = DirectoryKind.resource, **fields: Any) -> EntryInput:
    return EntryInput(kind=kind, **{**DEFAULTS[kind], **fields})


async def make_entry(
    kind: DirectoryKind = DirectoryKind.resource, *, publish: bool = True, staff=None, **fields: Any
) -> DirectoryEntry:
    """An entry created (and by default published) by the system through the service."""
    return await create_entry(staff=staff, data=entry_input(kind, **fields), publish=publish)
