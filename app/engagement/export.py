"""Engagements (服务订单) as XLSX: the admin's list with its filters (`queries.staff_query`,
the page's own query), newest first, with the rating where the enterprise gave one — the
ratings of every provider in one file, beside the order they rate.

The requesting person's verified phone is a `phone` column (masked unless
`app.exports.may_unmask`); the enterprise's credit code is not personal and is written in full.
"""

from __future__ import annotations

from app.engagement import queries
from app.engagement.models import EngagementStatus, ProviderRating
from app.exports import ROW_CAP, Column, Export, export_list, register_export, today_text
from app.staff.models import Staff

__all__ = ["COLUMNS", "export_engagements"]

register_export("engagements", "服务订单列表")

COLUMNS: tuple[Column, ...] = (
    Column("编号", 8), Column("服务产品", 30), Column("服务机构", 30), Column("委托企业", 30),
    Column("统一社会信用代码", 22), Column("委托人手机号", 15, "phone"), Column("状态", 10),
    Column("评价（星）", 10, "number"), Column("评语", 36), Column("委托时间", 17, "datetime"),
    Column("完成时间", 17, "datetime"),
)


async def export_engagements(*, staff: Staff, filters: queries.StaffFilters, chunk: int = 2000) -> Export:
    """Every engagement the list shows for these filters (newest first, like the page)."""
    query = queries.staff_query(filters).select_related("provider", "product", "enterprise", "requested_by")

    async def rows():
        for start in range(0, ROW_CAP + 1, chunk):
            part = await query.order_by("-id").offset(start).limit(chunk)
            ratings = {r.engagement_id: r for r in await ProviderRating.filter(
                engagement_id__in=[e.id for e in part] or [-1])}
            for e in part:
                rating = ratings.get(e.id)
                user = e.requested_by if e.requested_by_id is not None else None
                yield [e.id, e.product.name, e.provider.name, e.enterprise.name, e.enterprise.credit_code,
                       user.phone if user else "", EngagementStatus(e.status).label,
                       rating.overall if rating else "", rating.comment if rating else "", e.requested_at,
                       e.completed_at]
            if len(part) < chunk:
                return

    return await export_list(
        staff=staff, kind="engagements", filters=filters.params(), filename=f"服务订单-{today_text()}.xlsx",
        fallback="engagements.xlsx", sheet_title="服务订单", columns=COLUMNS, rows=rows(),
    )
