"""Summary tables behind dashboards and reports, and the reports that were generated.

`AppealDailyStat` and `DeliveryDailyStat` are *derived* data: rebuilt from the appeals and
push deliveries by `app.reporting.refresh`, never edited by hand, safe to truncate (a full
refresh rebuilds them). Every measure of `app.appeal.measures` is counted on exactly one day
per appeal (the day of the step it measures), so a period's figures are the sums of its days'
rows. `SummaryState` records how far each summary has been brought up to date.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from app.enterprise.reference import LabelledEnum


class AppealDailyStat(Model):
    """One day × attributed organisation × owning organisation, for one grouping.

    The same appeals are summed three times, once per `grouping`: "o" rows are keyed by the
    organisations only (district NULL, category empty) and serve the league table, the totals
    and trends; "d" rows add the district, "c" rows the category. Keeping the groupings apart
    keeps each query's rows few (a year of a large city: tens of thousands of "o" rows, not the
    million-odd a day × organisation × district × category cube would hold).

    `organisation_id` is the organisation the appeal is attributed to (as in
    `app.appeal.measures`: the lead at reply time; None: not dispatched); `owner_organisation_id`
    the organisation whose intake it is (a dispatcher's scope). Both are plain integers, not
    foreign keys: the table is rebuilt wholesale and must not block deleting an organisation.
    """

    id = fields.BigIntField(primary_key=True)
    grouping = fields.CharField(max_length=1, description="o: organisations only, d: by district, c: by category")
    day = fields.DateField()
    organisation_id = fields.IntField(null=True)
    owner_organisation_id = fields.IntField(null=True)
    district = fields.CharField(max_length=6, null=True)
    category = fields.CharField(max_length=32, default="")
    received = fields.IntField(default=0)
    accepted = fields.IntField(default=0)
    declined = fields.IntField(default=0)
    dispatched = fields.IntField(default=0)
    replied = fields.IntField(default=0)
    closed = fields.IntField(default=0)
    merged = fields.IntField(default=0)
    response_den = fields.IntField(default=0)
    response_num = fields.IntField(default=0)
    on_time_den = fields.IntField(default=0)
    on_time_num = fields.IntField(default=0)
    resolution_den = fields.IntField(default=0)
    resolution_num = fields.IntField(default=0)
    satisfaction_den = fields.IntField(default=0)
    satisfaction_num = fields.IntField(default=0)
    reopen_den = fields.IntField(default=0)
    reopen_num = fields.IntField(default=0)
    accept_n = fields.IntField(default=0)
    accept_days = fields.FloatField(default=0.0, description="summed working days from submission to acceptance")
    respond_n = fields.IntField(default=0)
    respond_days = fields.FloatField(default=0.0, description="summed working days from dispatch to first response")
    close_n = fields.IntField(default=0)
    close_days = fields.FloatField(default=0.0, description="summed working days from submission to closure")

    class Meta:
        table = "report_appeal_daily"
        indexes = (("grouping", "day"),)


class DeliveryDailyStat(Model):
    """One day × campaign × recipient district: what the push deliveries came to.

    A delivery is counted on the day it reached its final state (`finished_at`, Shanghai
    time); `creator_organisation_id` is the organisation of the staff member who created the
    campaign (a department's scope), `district` the district of the recipient's bound
    enterprise at refresh time (None: no binding).
    """

    id = fields.BigIntField(primary_key=True)
    day = fields.DateField()
    campaign_id = fields.IntField()
    creator_organisation_id = fields.IntField(null=True)
    district = fields.CharField(max_length=6, null=True)
    sent = fields.IntField(default=0, description="accepted by WeChat (sent or delivered)")
    delivered = fields.IntField(default=0, description="confirmed by TEMPLATESENDJOBFINISH")
    failed = fields.IntField(default=0)
    skipped = fields.IntField(default=0)

    class Meta:
        table = "report_delivery_daily"
        indexes = (("day", "district"), ("day", "creator_organisation_id"), ("campaign_id",))


class SummaryState(Model):
    """How far one summary table has been brought up to date (`name`: appeal, delivery)."""

    name = fields.CharField(max_length=32, primary_key=True)
    refreshed_at = fields.DatetimeField(null=True, description="when the last refresh finished")
    watermark = fields.DatetimeField(null=True, description="source rows changed before this are included")
    rebuilt_at = fields.DatetimeField(null=True, description="when the last full rebuild finished")
    last_seconds = fields.FloatField(default=0.0, description="how long the last refresh took")

    class Meta:
        table = "report_summary_state"


class WorkingDayIndex(Model):
    """The working calendar as a table, so SQL can count working days.

    `before` is the number of working days from the calendar's origin to the start of `day`;
    the working time at a moment t on day d is `before(d) + working(d) × fraction of d elapsed`,
    and working days between two moments is the difference (`WorkingCalendar.working_days_between`).
    """

    day = fields.DateField(primary_key=True)
    working = fields.BooleanField()
    before = fields.FloatField()

    class Meta:
        table = "report_working_day"


class ReportKind(LabelledEnum):
    quarterly = "quarterly", "企业服务动态（季度）"
    custom = "custom", "企业服务动态（自定义统计期）"


class ReportStatus(LabelledEnum):
    queued = "queued", "排队中"
    running = "running", "生成中"
    ready = "ready", "已生成"
    failed = "failed", "生成失败"


class Report(Model):
    """A generated 企业服务动态: its period, scope, files and who asked for it."""

    id = fields.IntField(primary_key=True)
    kind = fields.CharEnumField(ReportKind, max_length=16, default=ReportKind.quarterly)
    title = fields.CharField(max_length=200)
    period_start = fields.DateField()
    period_end = fields.DateField()
    scope_organisation = fields.ForeignKeyField(
        "qiyun.Organisation", related_name="reports", null=True, on_delete=fields.RESTRICT,
        description="whose report (None: the whole city)",
    )
    scope_label = fields.CharField(max_length=100, default="")
    status = fields.CharEnumField(ReportStatus, max_length=16, default=ReportStatus.queued)
    requested_by = fields.ForeignKeyField(
        "qiyun.Staff", related_name="reports", null=True, on_delete=fields.SET_NULL,
        description="None: generated by the schedule",
    )
    figures = fields.JSONField(default=dict, description="the headline figures as generated")
    html_key = fields.CharField(max_length=300, default="")
    pdf_key = fields.CharField(max_length=300, default="")
    xlsx_key = fields.CharField(max_length=300, default="")
    error = fields.TextField(default="")
    attempts = fields.IntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)
    started_at = fields.DatetimeField(null=True)
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "report"
        indexes = (("status", "created_at"), ("period_start", "period_end"))


__all__ = [
    "AppealDailyStat",
    "DeliveryDailyStat",
    "Report",
    "ReportKind",
    "ReportStatus",
    "SummaryState",
    "WorkingDayIndex",
]
