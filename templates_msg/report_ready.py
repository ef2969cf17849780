"""报告生成: a 《企业服务动态》 report (quarterly or for a chosen period) is ready to read.

Official-account template message to a staff member's own WeChat (`Staff.follower`): to the
person who asked for the report, or, for a scheduled report, to every active staff member
who may read it (`report.view` over its scope). Staff follow the account and must be reached
without asking for grants, as with appeal_assigned. Opens the report's page in the admin panel
(status, the report inline, PDF / XLSX / HTML downloads).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from templates_msg.base import Channel, Field, MessageKind
from templates_msg.registry import template_message

__all__ = ["ReportReadyContext"]


@template_message(
    name="report_ready",
    title="报告生成通知",
    kind=MessageKind.template,
    channel=Channel.official_account,
    fields=(
        Field("thing1", "报告名称", "title"),
        Field("thing2", "统计范围", "scope_label", fallback="全市"),
        Field("thing3", "统计期", "period_label"),
        Field("time4", "生成时间", "finished_at"),
    ),
    url=lambda c: f"/admin/reports/{c.report_id}",
    example={
        "report_id": 1,
        "title": "上海市企业服务动态",
        "scope_label": "浦东新区",
        "period_label": "2026年第三季度",
        "finished_at": "2026-10-01T02:35:00+08:00",
    },
    description=(
        "工作人员本人的微信（已绑定账号并关注公众号）：本人申请生成的报告，或定时生成、"
        "其有权查看的报告已生成；公众号模板消息，无需订阅授权。点击打开管理后台的报告页面。"
    ),
)
class ReportReadyContext(BaseModel):
    """A generated report, told to one staff member."""

    report_id: int
    title: str
    scope_label: str = ""
    period_label: str
    finished_at: datetime
