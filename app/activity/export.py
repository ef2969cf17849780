"""The attendance list of one activity as XLSX (签到表): who signed up, for which enterprise,
their status and check-in time. Phone numbers are masked: the file travels by e-mail and
USB stick, and the desk identifies people by name and ticket anyway."""

from __future__ import annotations

import io
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.styles import Font

from app.activity.models import SignupChannel, SignupStatus
from app.activity.queries import organiser_label, signups_of, when_text
from app.activity.service import SHANGHAI, get_activity
from app.identity.service import mask_phone

__all__ = ["HEADERS", "Exported", "export_attendance"]

HEADERS = ("序号", "姓名", "手机号", "企业", "报名渠道", "状态", "候补名次", "报名时间", "签到时间")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Exported:
    content: bytes
    filename: str
    media_type: str = XLSX


def _time(moment) -> str:
    return f"{moment.astimezone(SHANGHAI):%Y-%m-%d %H:%M}" if moment else ""


async def export_attendance(*, activity_id: int) -> Exported:
    activity = await get_activity(activity_id=activity_id, include_drafts=True)
    rows = await signups_of(activity_id=activity_id)
    book = Workbook()
    sheet = book.active
    sheet.title = "签到表"
    sheet.append([activity.title])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([f"时间：{when_text(activity)}　地点：{activity.place}　主办：{organiser_label(activity)}"])
    sheet.append(list(HEADERS))
    for cell in sheet[3]:
        cell.font = Font(bold=True)
    for number, signup in enumerate(rows, 1):
        enterprise = signup.enterprise.name if signup.enterprise_id is not None and signup.enterprise else ""
        sheet.append([
            number, signup.contact_name, mask_phone(signup.contact_phone), enterprise,
            SignupChannel(signup.channel).label, SignupStatus(signup.status).label, signup.waitlist_position or "",
            _time(signup.signed_up_at or signup.created_at), _time(signup.checked_in_at),
        ])
    for column, width in zip("ABCDEFGHI", (6, 12, 15, 32, 12, 8, 8, 17, 17), strict=True):
        sheet.column_dimensions[column].width = width
    buffer = io.BytesIO()
    book.save(buffer)
    day = activity.starts_at.astimezone(SHANGHAI).strftime("%Y%m%d")
    return Exported(buffer.getvalue(), f"签到表-{day}-{activity.title[:30]}.xlsx")
