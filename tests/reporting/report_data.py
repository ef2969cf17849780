"""A small dataset for the report tests: two quarters of hand-built closed appeals.

    organisation        Q1 2025 (Jan–Mar)   Q2 2025 (Apr–Jun)
    市科委               5 bad               5 good   (score 0 -> 100)
    市税务局             5 good              3 good, 2 bad
    浦东新区企服中心     —                   4 good, owned by 浦东新区 (three about 厂房租金补贴: a common issue)

A *good* appeal is signed for and replied on time, closed resolved and 满意; a *bad* one late,
unresolved, 不满意 — so every rate and score is known by hand.
"""

from __future__ import annotations

import itertools
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from app.appeal.models import Appeal, AppealChannel, AppealStatus, CloseReason, Satisfaction
from app.demo import demo_organisations
from app.organisation.models import Organisation
from app.organisation.service import upsert_organisations
from app.reporting.refresh import refresh_summaries

SH = ZoneInfo("Asia/Shanghai")
Q2 = {"period_start": date(2025, 4, 1), "period_end": date(2025, 6, 30)}
NOW = datetime(2025, 7, 10, 12, 0, tzinfo=SH)
KEJI, SHUIWU, CENTRE, PUDONG = "city.science-tech", "city.taxation", "district.310115.service-centre", "district.310115"
RENT = ("厂房租金补贴申请一直没有审核结果", "厂房租金补贴申请审核进度查询", "厂房租金补贴申请材料审核太慢")
_numbers = itertools.count(1)


def at(month: int, day: int, hour: int = 9) -> datetime:
    return datetime(2025, month, day, hour, tzinfo=SH)


def due(month: int, day: int) -> datetime:
    return datetime.combine(date(2025, month, day), time.max, tzinfo=SH)


async def closed(orgs: dict[str, Organisation], lead: str, *, good: bool, month: int, owner: str = "city.coordination",
                 title: str = "", description: str = "") -> Appeal:
    number = next(_numbers)
    return await Appeal.create(
        number=f"SQ2025{month:02d}01{number:06d}", channel=AppealChannel.miniprogram, category="technology",
        title=title or f"测试诉求{number}号：关于第{number}项事务的咨询",
        description=description or f"第{number}项测试诉求的描述，编号{number}，无共同主题{number * 7919}",
        status=AppealStatus.closed, district="310115",
        owner_organisation=orgs[owner], lead_organisation=orgs[lead],
        created_at=at(month, 3), accepted_at=at(month, 3, 10), accept_due_at=due(month, 4),
        dispatched_at=at(month, 3, 11), respond_due_at=due(month, 5),
        first_response_at=at(month, 4) if good else at(month, 10), resolve_due_at=due(month, 20),
        replied_at=at(month, 10) if good else at(month, 25), closed_at=at(month, 26),
        close_reason=CloseReason.resolved if good else CloseReason.unresolved, resolved=good,
        satisfaction=Satisfaction.satisfied if good else Satisfaction.dissatisfied,
    )


async def seed_two_quarters(settings) -> dict[str, Organisation]:
    await upsert_organisations(demo_organisations())
    orgs = {org.code: org for org in await Organisation.all()}
    for _ in range(5):
        await closed(orgs, KEJI, good=False, month=2)
        await closed(orgs, SHUIWU, good=True, month=2)
        await closed(orgs, KEJI, good=True, month=5)
    for n in range(5):
        await closed(orgs, SHUIWU, good=n < 3, month=5)
    for n in range(4):
        title = RENT[n] if n < 3 else ""
        await closed(orgs, CENTRE, good=True, month=5, owner=PUDONG, title=title,
                     description=f"{title}，企业希望尽快拿到厂房租金补贴" if title else "")
    await refresh_summaries(settings=settings, full=True, now=NOW)
    return orgs
