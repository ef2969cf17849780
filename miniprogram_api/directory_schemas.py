"""Request and response models of the public service directory endpoints."""

from __future__ import annotations

import html
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from app.directory import display
from app.directory.models import DirectoryCategory, DirectoryEntry, DirectoryKind, UtilityType
from app.enterprise.reference import District
from miniprogram_api.policy_schemas import PolicySearchOut

_QUERY = ConfigDict(extra="ignore", str_strip_whitespace=True)


class DirectoryListQuery(BaseModel):
    model_config = _QUERY

    kind: DirectoryKind | None = Field(default=None, title="类型",
                                       description="resource 公共服务资源 / entrance 一站式入口 / park 园区信息 / utility_guide 水电气接入指南")
    category: DirectoryCategory | None = Field(default=None, title="服务类别")
    district: District | None = Field(default=None, title="所在区",
                                      description="行政区划代码，如 310115（浦东新区）；也包含全市通用的条目")
    utility_type: UtilityType | None = Field(default=None, title="接入类型", description="water 用水 / power 用电 / gas 用气")
    cursor: str | None = Field(default=None, max_length=200, title="分页游标")
    limit: int = Field(default=20, ge=1, le=50, title="每页条数")


class DirectorySearchQuery(DirectoryListQuery):
    q: str = Field(min_length=1, max_length=50, title="关键词", description="如：人才公寓、用电接入、知识产权")


class DistrictQuery(BaseModel):
    model_config = _QUERY

    district: District | None = Field(default=None, title="所在区", description="行政区划代码；不传则为全市")


class MiniProgramLinkOut(BaseModel):
    appid: str
    path: str = Field(description="页面路径，用 wx.navigateToMiniProgram 打开")


class DirectoryEntrySummaryOut(BaseModel):
    id: int
    kind: str
    kind_label: str
    category: str | None
    category_label: str
    utility_type: str | None
    utility_label: str
    title: str
    title_html: str = Field(description="HTML 转义后的标题，搜索时关键词以 <em> 标出")
    summary: str
    snippet_html: str = Field(default="", description="搜索命中片段（HTML 转义，关键词以 <em> 标出）")
    district: str | None = Field(description="行政区划代码；null 表示全市")
    district_label: str
    provider: str = Field(description="提供部门或服务平台")
    url: str = Field(description="办理或了解详情的网址；可能为空")
    miniprogram: MiniProgramLinkOut | None = Field(description="可跳转的小程序页面；可能为 null")

    @classmethod
    def build(cls, entry: DirectoryEntry, *, title_html: str | None = None, snippet_html: str = "") -> DirectoryEntrySummaryOut:
        return cls(
            id=entry.id,
            kind=str(getattr(entry.kind, "value", entry.kind)),
            kind_label=display.kind_label(entry),
            category=str(getattr(entry.category, "value", entry.category)) if entry.category else None,
            category_label=display.category_label(entry),
            utility_type=str(getattr(entry.utility_type, "value", entry.utility_type)) if entry.utility_type else None,
            utility_label=display.utility_label(entry),
            title=entry.title,
            title_html=title_html if title_html is not None else html.escape(entry.title),
            summary=entry.summary,
            snippet_html=snippet_html,
            district=str(getattr(entry.district, "value", entry.district)) if entry.district else None,
            district_label=display.district_label(entry),
            provider=display.provider_name(entry),
            url=entry.url,
            miniprogram=MiniProgramLinkOut(appid=entry.miniprogram_appid, path=entry.miniprogram_path)
            if entry.miniprogram_appid else None,
        )


class DirectoryEntryOut(DirectoryEntrySummaryOut):
    body: str = Field(description="详细介绍（纯文本，段落以换行分隔）")
    eligibility: str = Field(description="服务对象：谁可以使用")
    steps: list[str] = Field(description="办理流程，每项一步")
    materials: list[str] = Field(description="申请材料，每项一种")
    fees: str = Field(description="收费标准")
    time_limit: str = Field(description="办理时限")
    contact: str = Field(description="联系方式")
    address: str
    hours: str = Field(description="服务时间")
    updated_at: datetime

    @classmethod
    def detail(cls, entry: DirectoryEntry) -> DirectoryEntryOut:
        return cls(
            **DirectoryEntrySummaryOut.build(entry).model_dump(),
            body=entry.body,
            eligibility=entry.eligibility,
            steps=display.lines(entry.steps),
            materials=display.lines(entry.materials),
            fees=entry.fees,
            time_limit=entry.time_limit,
            contact=entry.contact,
            address=entry.address,
            hours=entry.hours,
            updated_at=entry.updated_at,
        )


class DirectoryPageOut(BaseModel):
    items: list[DirectoryEntrySummaryOut]
    total: int = Field(description="符合条件的总数")
    next_cursor: str | None = Field(description="下一页的游标；为 null 表示没有更多了")


class OptionOut(BaseModel):
    code: str
    label: str


class DirectoryCatalogueOut(BaseModel):
    kinds: list[OptionOut]
    categories: list[OptionOut]
    utility_types: list[OptionOut]
    districts: list[OptionOut]


class DirectoryItemsOut(BaseModel):
    items: list[DirectoryEntrySummaryOut]


class UtilityGroupOut(BaseModel):
    utility_type: str
    utility_label: str
    items: list[DirectoryEntryOut] = Field(description="该区的指南；该区没有专门指南时为全市通用指南")


class UtilityGuidesOut(BaseModel):
    district: str | None
    district_label: str
    groups: list[UtilityGroupOut]


class PolicySearchWithServicesOut(PolicySearchOut):
    """The policy search answer, with matching public services next to the policies."""

    services: list[DirectoryEntrySummaryOut] = Field(
        default_factory=list, description="相关公共服务（仅第一页、有关键词时返回，最多几条）"
    )
