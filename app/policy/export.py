"""The 惠企政策清单: the list of enterprise-support policies as an XLSX workbook.

Departments and districts publish such lists periodically ("2025年上半年市科委惠企政策清单"),
so the export is chosen by period (publish date, inclusive) and department (issuing
organisation, including the organisations under it: a district government's list includes
its service centre's policies). It lists what enterprises can see: published policies and
those that have expired since (marked 已失效); drafts, policies in review and withdrawn ones
are not policies of the city.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from io import BytesIO

from app.organisation.models import Organisation
from app.policy.lifecycle import PUBLIC_STATUSES
from app.policy.models import Policy, PolicyStatus, SupportType
from app.policy.service import shanghai_today
from app.policy.targeting import Targeting, describe_targeting

__all__ = [
    "EXPORT_COLUMNS",
    "ExportSelection",
    "PolicyListExport",
    "amount_text",
    "export_filename",
    "export_policy_list",
    "select_policies",
    "window_text",
]

EXPORT_COLUMNS: tuple[tuple[str, int], ...] = (
    ("序号", 6),
    ("政策名称", 40),
    ("文号", 22),
    ("发文单位", 26),
    ("发布日期", 12),
    ("生效日期", 12),
    ("失效日期", 12),
    ("支持方式", 10),
    ("支持金额", 16),
    ("申报时间", 24),
    ("申报地点", 28),
    ("联系方式", 18),
    ("适用对象", 36),
    ("状态", 8),
    ("政策摘要", 60),
)
"""(header, column width in characters)."""

TITLE = "惠企政策清单"


@dataclass(frozen=True)
class ExportSelection:
    start: date | None
    end: date | None
    organisation: Organisation | None
    policies: list[Policy]


@dataclass(frozen=True)
class PolicyListExport:
    filename: str
    content: bytes
    """XLSX"""
    count: int
    media_type: str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def select_policies(
    *, start: date | None = None, end: date | None = None, organisation_id: int | None = None
) -> ExportSelection:
    """The policies of the list: public ones published in [start, end], issued by the organisation
    or one under it; oldest first. A policy without a publish date is in no period."""
    query = Policy.filter(status__in=[status.value for status in PUBLIC_STATUSES])
    if start is not None:
        query = query.filter(publish_date__gte=start)
    if end is not None:
        query = query.filter(publish_date__lte=end)
    if start is not None or end is not None:
        query = query.filter(publish_date__isnull=False)
    organisation = None
    if organisation_id is not None:
        organisation = await Organisation.get(id=organisation_id)
        query = query.filter(issuing_organisations__id__in=sorted(await _subtree(organisation.id)))
    policies = await query.distinct().order_by("publish_date", "id").prefetch_related("issuing_organisations")
    return ExportSelection(start=start, end=end, organisation=organisation, policies=list(policies))


async def export_policy_list(
    *,
    start: date | None = None,
    end: date | None = None,
    organisation_id: int | None = None,
    today: date | None = None,
) -> PolicyListExport:
    """The 惠企政策清单 workbook: a title row, a line saying what it covers, a frozen header with
    filters, one row per policy; with a file name saying what it covers."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    today = today or shanghai_today()
    selection = await select_policies(start=start, end=end, organisation_id=organisation_id)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = TITLE
    width = len(EXPORT_COLUMNS)
    last_column = get_column_letter(width)

    sheet.append([_title(selection)])
    sheet.merge_cells(f"A1:{last_column}1")
    sheet["A1"].font = Font(size=16, bold=True)
    sheet["A1"].alignment = Alignment(horizontal="center", vertical="center")
    sheet.row_dimensions[1].height = 30

    sheet.append([_scope_line(selection, today)])
    sheet.merge_cells(f"A2:{last_column}2")
    sheet["A2"].alignment = Alignment(horizontal="left", vertical="center")
    sheet["A2"].font = Font(size=10, color="555555")

    sheet.append([header for header, _ in EXPORT_COLUMNS])
    thin = Side(style="thin", color="999999")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    for cell in sheet[3]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = border

    wrap = Alignment(vertical="top", wrap_text=True)
    for number, policy in enumerate(selection.policies, start=1):
        sheet.append(_row(number, policy, today))
        for cell in sheet[sheet.max_row]:
            cell.alignment = wrap
            cell.border = border
        for column in (5, 6, 7):
            sheet.cell(row=sheet.max_row, column=column).number_format = "yyyy-mm-dd"

    for index, (_, column_width) in enumerate(EXPORT_COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column_width
    sheet.freeze_panes = "C4"  # header rows and the number and title columns stay in view
    sheet.auto_filter.ref = f"A3:{last_column}{max(sheet.max_row, 3)}"
    sheet.print_title_rows = "3:3"
    sheet.page_setup.orientation = "landscape"

    buffer = BytesIO()
    workbook.save(buffer)
    return PolicyListExport(filename=export_filename(selection), content=buffer.getvalue(), count=len(selection.policies))


def export_filename(selection: ExportSelection) -> str:
    """A file name that says what the list covers, e.g. 惠企政策清单_市科委_2025-01-01至2025-06-30.xlsx."""
    parts = [TITLE]
    if selection.organisation is not None:
        parts.append(selection.organisation.short_name or selection.organisation.name)
    if selection.start or selection.end:
        parts.append(f"{_day(selection.start) or '最早'}至{_day(selection.end) or '今'}")
    return "_".join(parts) + ".xlsx"


def _title(selection: ExportSelection) -> str:
    prefix = selection.organisation.name if selection.organisation is not None else "上海市"
    return f"{prefix}{TITLE}"


def _scope_line(selection: ExportSelection, today: date) -> str:
    if selection.start or selection.end:
        period = f"发布日期：{_chinese_day(selection.start) or '不限'} 至 {_chinese_day(selection.end) or '不限'}"
    else:
        period = "发布日期：不限"
    department = f"发文单位：{selection.organisation.name}（含下属单位）" if selection.organisation else "发文单位：全部"
    return f"{period}　{department}　共{len(selection.policies)}项　导出日期：{_chinese_day(today)}"


def _row(number: int, policy: Policy, today: date) -> list[object]:
    issuers = "、".join(org.name for org in sorted(policy.issuing_organisations, key=lambda org: org.id))
    try:
        targeting = "；".join(describe_targeting(Targeting.from_stored(policy.targeting)))
    except ValueError:
        targeting = ""
    return [
        number,
        policy.title,
        policy.doc_number,
        issuers,
        policy.publish_date,
        policy.effective_date,
        policy.expiry_date,
        SupportType(policy.support_type).label,
        amount_text(policy.amount_min, policy.amount_max),
        window_text(policy.apply_start, policy.apply_end),
        policy.apply_where,
        policy.contact,
        targeting,
        _status(policy, today),
        policy.summary,
    ]


def _status(policy: Policy, today: date) -> str:
    expired = PolicyStatus(policy.status) is PolicyStatus.expired or (
        policy.expiry_date is not None and policy.expiry_date < today
    )
    return "已失效" if expired else "有效"


def amount_text(low: Decimal | None, high: Decimal | None) -> str:
    """"5–50万元", "最高50万元", "不低于5万元", "" (no amount: not every policy is money)."""

    def wan(amount: Decimal) -> str:
        return f"{Decimal(amount).normalize():f}"

    if low is not None and high is not None:
        return f"{wan(low)}万元" if low == high else f"{wan(low)}–{wan(high)}万元"
    if high is not None:
        return f"最高{wan(high)}万元"
    if low is not None:
        return f"不低于{wan(low)}万元"
    return ""


def window_text(start: date | None, end: date | None) -> str:
    if start is None and end is None:
        return "常年受理"
    if start is None:
        return f"截至{_day(end)}"
    if end is None:
        return f"{_day(start)}起"
    return f"{_day(start)}至{_day(end)}"


def _day(value: date | None) -> str:
    return value.isoformat() if value is not None else ""


def _chinese_day(value: date | None) -> str:
    return f"{value.year}年{value.month}月{value.day}日" if value is not None else ""


async def _subtree(root_id: int) -> set[int]:
    rows = await Organisation.all().values_list("id", "parent_id")
    children: dict[int | None, list[int]] = {}
    for organisation_id, parent_id in rows:
        children.setdefault(parent_id, []).append(organisation_id)
    found, stack = set(), [root_id]
    while stack:
        current = stack.pop()
        if current not in found:
            found.add(current)
            stack.extend(children.get(current, ()))
    return found
