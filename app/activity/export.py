"""The sign-ups of one activity as XLSX (签到表): who signed up, for which enterprise, their
status and check-in time, every sign-up the activity page lists. Written by the shared
list writer (`app.exports`): phone numbers masked unless the person may take them out
unmasked (`export.unmasked`, the city administrator) — the file travels by e-mail and USB
stick, and the desk identifies people by name and ticket anyway; every export is audited
(export.signups)."""

from __future__ import annotations

from app.activity.models import SignupChannel, SignupStatus
from app.activity.queries import organiser_label, signups_of, when_text
from app.activity.service import SHANGHAI, get_activity
from app.exports import Column, Export, export_list, register_export
from app.staff.models import Staff

__all__ = ["COLUMNS", "HEADERS", "export_attendance"]

register_export("signups", "活动报名签到表")

COLUMNS: tuple[Column, ...] = (
    Column("序号", 6, "number"), Column("姓名", 12), Column("手机号", 15, "phone"), Column("企业", 32),
    Column("报名渠道", 12), Column("状态", 8), Column("候补名次", 8), Column("报名时间", 17, "datetime"),
    Column("签到时间", 17, "datetime"),
)
HEADERS = tuple(column.header for column in COLUMNS)


async def export_attendance(*, activity_id: int, staff: Staff) -> Export:
    """The 签到表: a title line, a line with time, place and organiser, then one row per
    sign-up (ActivityNotFound if there is no such activity)."""
    activity = await get_activity(activity_id=activity_id, include_drafts=True)
    signups = await signups_of(activity_id=activity_id)
    rows = []
    for number, signup in enumerate(signups, 1):
        enterprise = signup.enterprise.name if signup.enterprise_id is not None and signup.enterprise else ""
        rows.append([
            number, signup.contact_name, signup.contact_phone, enterprise, SignupChannel(signup.channel).label,
            SignupStatus(signup.status).label, signup.waitlist_position or "", signup.signed_up_at or signup.created_at,
            signup.checked_in_at,
        ])
    day = activity.starts_at.astimezone(SHANGHAI).strftime("%Y%m%d")
    return await export_list(
        staff=staff, kind="signups", filters={"activity_id": activity_id},
        filename=f"签到表-{day}-{activity.title[:30]}.xlsx", fallback=f"activity-{activity_id}-attendance.xlsx",
        sheet_title="签到表", columns=COLUMNS, rows=rows, target_type="activity", target_id=activity_id,
        preamble=(activity.title, f"时间：{when_text(activity)}　地点：{activity.place}　主办：{organiser_label(activity)}"),
    )
