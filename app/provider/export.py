"""Professional service providers as XLSX: the admin's provider list (status tab, category,
keyword — `app.provider.queries.applications`, the page's own query) and one provider's
ratings as its profile lists them (`queries.ratings_for_staff`: flagged outliers first).

The contact phone is a `phone` column (masked unless `app.exports.may_unmask`); a credit code
names a business, not a person, and is written in full. Rating enterprises are named in
full: staff see them so on the profile (the public pages mask them).
"""

from __future__ import annotations

from app.exports import ROW_CAP, Column, Export, export_list, register_export, today_text
from app.provider import queries
from app.provider.errors import ProviderNotFound
from app.provider.models import ProviderStatus, ServiceCategory
from app.staff.models import Staff

__all__ = ["PROVIDER_COLUMNS", "RATING_COLUMNS", "export_providers", "export_ratings"]

register_export("providers", "服务机构列表")
register_export("ratings", "服务机构评价")

PROVIDER_COLUMNS: tuple[Column, ...] = (
    Column("机构", 32), Column("统一社会信用代码", 22), Column("类别", 14), Column("状态", 10),
    Column("综合评分", 10), Column("评价数", 8, "number"), Column("完成率", 10), Column("区", 10),
    Column("联系人", 10), Column("联系电话", 15, "phone"), Column("提交时间", 17, "datetime"),
    Column("入驻时间", 17, "datetime"),
)
RATING_COLUMNS: tuple[Column, ...] = (
    Column("评价时间", 17, "datetime"), Column("企业", 30), Column("总体评分", 8, "number"), Column("分项评分", 36),
    Column("评语", 40), Column("评语审核", 10), Column("计入评分", 8), Column("异常提示", 30), Column("排除原因", 24),
    Column("服务订单", 10),
)


async def export_providers(*, staff: Staff, status: ProviderStatus | None, category: str, keyword: str) -> Export:
    """The provider list with the page's filters, in the page's order."""
    query = await queries.applications(status=status, category=category, keyword=keyword)
    providers = await query.limit(ROW_CAP + 1)
    rows = []
    for p in providers:
        reputation = queries.reputation_of(p)
        rows.append([p.name, p.credit_code, ServiceCategory(p.category).label, ProviderStatus(p.status).label,
                     reputation.score_text, p.rating_count, reputation.completion_text, p.district, p.contact_name,
                     p.contact_phone, p.submitted_at or p.created_at, p.admitted_at])
    label = f"-{status.label}" if status else ""
    return await export_list(
        staff=staff, kind="providers", filters={"status": status, "category": category, "q": keyword},
        filename=f"服务机构{label}-{today_text()}.xlsx", fallback="providers.xlsx", sheet_title="服务机构",
        columns=PROVIDER_COLUMNS, rows=rows,
    )


async def export_ratings(*, staff: Staff, provider_id: int) -> Export:
    """Every rating of one provider as its profile lists them (ProviderNotFound if none)."""
    provider = await queries.staff_provider(provider_id=provider_id)
    if provider is None:
        raise ProviderNotFound()
    views = await queries.ratings_for_staff(provider_id=provider_id, limit=ROW_CAP + 1)
    rows = []
    for view in views:
        r = view.rating
        dimensions = "，".join(f"{k} {v}" for k, v in (r.dimensions or {}).items())
        counts = "是" if r.counts else ("否（已排除）" if r.excluded_reason else "否（评语审核中）")
        rows.append([r.created_at, view.enterprise_name, r.overall, dimensions, view.comment,
                     r.comment_check if view.comment else "", counts, view.flags, view.excluded_reason,
                     r.engagement_id])
    return await export_list(
        staff=staff, kind="ratings", filters={"provider_id": provider_id},
        filename=f"服务评价-{provider.name[:30]}-{today_text()}.xlsx", fallback=f"provider-{provider_id}-ratings.xlsx",
        sheet_title="服务评价", columns=RATING_COLUMNS, rows=rows, target_type="provider", target_id=provider_id,
    )
