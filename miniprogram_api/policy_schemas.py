"""Request and response models of the policy endpoints (search, detail, favourites, matches)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from app.enterprise.reference import District
from app.policy.display import amount_text, application_state, support_label
from app.policy.models import Policy, SupportType

_QUERY = ConfigDict(extra="ignore", str_strip_whitespace=True)


class PolicySearchQuery(BaseModel):
    model_config = _QUERY

    q: str = Field(default="", max_length=50, title="关键词", description="如：研发补贴；不传则按发布时间列出全部")
    support_type: SupportType | None = Field(default=None, title="支持方式")
    district: District | None = Field(default=None, title="适用区", description="行政区划代码，如 310115（浦东新区）")
    organisation_id: int | None = Field(default=None, title="发文部门", ge=1)
    open_now: bool = Field(default=False, title="只看申报中")
    cursor: str | None = Field(default=None, max_length=200, title="分页游标")
    limit: int = Field(default=20, ge=1, le=50, title="每页条数")


class ApplicationStateOut(BaseModel):
    code: str = Field(description="open 申报中 / upcoming 未开始 / closed 已截止 / rolling 常年受理 / expired 已失效")
    label: str


class PolicySummaryOut(BaseModel):
    id: int
    title: str
    title_html: str = Field(description="HTML 转义后的标题，关键词以 <em> 标出")
    doc_number: str = Field(description="文号")
    support_type: str
    support_type_label: str
    amount: str = Field(description="支持额度，如“最高200万元”；未注明时为空")
    publish_date: date | None
    apply_end: date | None = Field(description="申报截止日期")
    state: ApplicationStateOut
    snippet_html: str = Field(default="", description="命中片段（HTML 转义，关键词以 <em> 标出）")
    favourite: bool = Field(description="当前用户是否已收藏")

    @classmethod
    def build(
        cls, policy: Policy, *, today: date, favourite: bool, snippet_html: str = "", title_html: str | None = None
    ) -> PolicySummaryOut:
        state = application_state(policy, today=today)
        from html import escape

        return cls(
            id=policy.id,
            title=policy.title,
            title_html=title_html if title_html is not None else escape(policy.title),
            doc_number=policy.doc_number,
            support_type=str(policy.support_type.value if hasattr(policy.support_type, "value") else policy.support_type),
            support_type_label=support_label(policy),
            amount=amount_text(policy),
            publish_date=policy.publish_date,
            apply_end=policy.apply_end,
            state=ApplicationStateOut(code=state.code, label=state.label),
            snippet_html=snippet_html,
            favourite=favourite,
        )


class PolicySearchOut(BaseModel):
    items: list[PolicySummaryOut]
    total: int = Field(description="命中总数")
    next_cursor: str | None = Field(description="下一页的游标；为 null 表示没有更多了")
    suggestion: str | None = Field(description="没有结果时的建议")


class AttachmentOut(BaseModel):
    filename: str
    url: str


class EnterpriseFitOut(BaseModel):
    enterprise_id: int
    enterprise_name: str
    fits: bool = Field(description="该企业是否符合本政策的适用条件")
    reasons: list[str] = Field(description="符合的条件，如“注册区：浦东新区”")


class PolicyDetailOut(PolicySummaryOut):
    summary: str
    body: str = Field(description="政策原文（纯文本，段落以换行分隔）")
    issuers: list[str] = Field(description="发文单位")
    effective_date: date | None
    expiry_date: date | None
    apply_start: date | None
    apply_where: str = Field(description="申报地点或方式")
    contact: str = Field(description="咨询电话")
    attachments: list[AttachmentOut]
    fits: list[EnterpriseFitOut] = Field(description="当前用户绑定的各企业是否符合")


class MatchedPolicyOut(BaseModel):
    policy: PolicySummaryOut
    enterprise_id: int
    enterprise_name: str
    reasons: list[str]


class MatchedPoliciesOut(BaseModel):
    bound: bool = Field(description="是否已绑定企业；未绑定时无法匹配")
    items: list[MatchedPolicyOut]


class FavouriteOut(BaseModel):
    id: int = Field(description="收藏编号（分页游标用）")
    policy: PolicySummaryOut
