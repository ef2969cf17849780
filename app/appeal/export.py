"""The appeal queue as XLSX: the rows of one tab of `/admin/appeals`, with its filters, as
the person may see them — the same columns as the page, plus the contact (masked unless
`app.exports.may_unmask`) and the enterprise's credit code (not personal data).

The caller (the queue's route) chooses the appeals with the queue's own query, so the file
and the page cannot disagree about scope or filters; this module only turns them into rows.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Callable, Mapping
from datetime import datetime
from typing import Any

from app.appeal.calendar import WorkingCalendar
from app.appeal.categories import CATEGORIES
from app.appeal.deadlines import LEVEL_LABELS, OverdueAppeal
from app.appeal.deadlines import deadline_badge as shared_deadline_badge
from app.appeal.models import Appeal, AppealStatus
from app.config import Settings
from app.exports import Column, Export, export_list, register_export, today_text
from app.staff.models import Staff

__all__ = ["COLUMNS", "SUPERVISION_COLUMNS", "export_appeals"]

register_export("appeals", "企业诉求列表")

COLUMNS: tuple[Column, ...] = (
    Column("编号", 18), Column("标题", 36), Column("类别", 14), Column("区", 10), Column("渠道", 12),
    Column("企业", 30), Column("统一社会信用代码", 22), Column("联系人", 10), Column("联系电话", 15, "phone"),
    Column("状态", 10), Column("标记", 12), Column("承办单位", 22), Column("期限", 18),
    Column("提交时间", 17, "datetime"), Column("办结期限", 17, "datetime"), Column("答复时间", 17, "datetime"),
)
SUPERVISION_COLUMNS: tuple[Column, ...] = (Column("超期环节", 12), Column("督办等级", 10), Column("已发督办", 12))


def _category(code: str) -> str:
    category = CATEGORIES.get(code)
    return category.label if category else code


def _row(appeal: Appeal, *, now: datetime, settings: Settings, calendar: WorkingCalendar,
         flag_label: Callable[[str], str], overdue: OverdueAppeal | None, supervision: bool) -> list[Any]:
    state, text = shared_deadline_badge(appeal, now, settings=settings, calendar=calendar)
    lead = appeal.lead_organisation if appeal.lead_organisation_id is not None else None
    enterprise = appeal.enterprise if appeal.enterprise_id is not None else None
    row: list[Any] = [
        appeal.number, appeal.title, _category(appeal.category), appeal.district, appeal.channel,
        appeal.enterprise_name or (enterprise.name if enterprise else ""), enterprise.credit_code if enterprise else "",
        appeal.contact_name, appeal.contact_phone, AppealStatus(appeal.status).label, flag_label(appeal.flag or ""),
        (lead.short_name or lead.name) if lead else "", text if state in ("overdue", "due_soon") else "",
        appeal.created_at, appeal.resolve_due_at, appeal.replied_at,
    ]
    if supervision:
        if overdue is not None:
            sent = overdue.supervised_level
            row += [f"{overdue.stage_label}超期", overdue.level_label,
                    LEVEL_LABELS[sent] if sent is not None else "尚未发出督办"]
        else:
            row += ["", "", ""]
    return row


async def export_appeals(
    *,
    staff: Staff,
    appeals: AsyncIterable[tuple[Appeal, OverdueAppeal | None]],
    tab_label: str,
    supervision: bool,
    filters: Mapping[str, Any],
    now: datetime,
    settings: Settings,
    flag_label: Callable[[str], str] = lambda code: "",
) -> Export:
    """The workbook of one tab (appeals with lead_organisation and enterprise loaded, in the
    page's order); on the supervision tab, three more columns say what is overdue."""

    calendar = WorkingCalendar.from_settings(settings)  # once, not per row

    async def rows():
        async for appeal, overdue in appeals:
            yield _row(appeal, now=now, settings=settings, calendar=calendar, flag_label=flag_label, overdue=overdue,
                       supervision=supervision)

    return await export_list(
        staff=staff, kind="appeals", filters=filters, filename=f"企业诉求-{tab_label}-{today_text()}.xlsx",
        fallback="appeals.xlsx", sheet_title=tab_label, columns=COLUMNS + (SUPERVISION_COLUMNS if supervision else ()),
        rows=rows(),
    )
