"""Push deliveries summed by day agree with the deliveries themselves, per scope, and an
incremental refresh follows a delivery from sent to delivered without counting it twice."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from app.demo import demo_organisations
from app.enterprise.reference import District
from app.organisation.models import Organisation
from app.organisation.service import upsert_organisations
from app.push.models import CampaignStatus, DeliveryStatus, PushCampaign, PushDelivery
from app.reporting.delivery_summary import delivery_figures
from app.reporting.refresh import refresh_summaries
from app.reporting.scope import CITY, scope_for_organisation
from app.staff.models import StaffRole
from tests.admin.support import make_staff
from tests.identity.factories import make_enterprise
from tests.push.factories import bound_follower, make_follower

pytestmark = pytest.mark.usefixtures("db")

NOW = datetime(2026, 10, 20, 4, 0, tzinfo=timezone.utc)  # 12:00 in Shanghai
OCTOBER = {"period_start": date(2026, 10, 1), "period_end": date(2026, 10, 31)}


async def deliveries(campaign: PushCampaign, followers, statuses, *, at: datetime) -> list[PushDelivery]:
    made = []
    for follower, status in zip(followers, statuses, strict=True):
        made.append(await PushDelivery.create(
            campaign=campaign, follower=follower, openid=follower.openid, status=status,
            sent_at=at if status in (DeliveryStatus.sent, DeliveryStatus.delivered) else None,
            finished_at=None if status is DeliveryStatus.sent else at,
        ))
    return made


async def test_the_summary_counts_each_final_delivery_once_by_scope(settings):
    await upsert_organisations(demo_organisations())
    keji = await Organisation.get(code="city.science-tech")
    editor = await make_staff("tuisong", StaffRole.policy_editor, keji.code)
    pudong_firm = await make_enterprise()
    pudong = [await bound_follower(pudong_firm) for _ in range(3)]
    elsewhere = [await make_follower() for _ in range(3)]
    ours = await PushCampaign.create(title="研发补贴", template_name="policy_push", status=CampaignStatus.completed,
                                     created_by=editor)
    theirs = await PushCampaign.create(title="其他", template_name="policy_push", status=CampaignStatus.completed)
    october_9 = datetime(2026, 10, 9, 2, tzinfo=timezone.utc)
    await deliveries(ours, pudong, [DeliveryStatus.delivered, DeliveryStatus.failed, DeliveryStatus.sent], at=october_9)
    await deliveries(theirs, elsewhere, [DeliveryStatus.delivered, DeliveryStatus.skipped, DeliveryStatus.queued],
                     at=october_9)
    await deliveries(theirs, pudong, [DeliveryStatus.delivered] * 3, at=datetime(2026, 9, 29, 2, tzinfo=timezone.utc))
    await refresh_summaries(settings=settings, full=True, now=NOW)

    city = await delivery_figures(**OCTOBER, scope=CITY)
    assert (city.campaigns, city.sent, city.delivered, city.failed, city.skipped) == (2, 3, 2, 1, 1)
    assert [(day, sent, failed) for day, sent, failed in city.by_day if sent or failed] == [(date(2026, 10, 9), 3, 1)]
    district = await delivery_figures(**OCTOBER, scope=await scope_for_organisation(
        (await Organisation.get(code=f"district.{District.pudong.value}")).id))
    assert (district.sent, district.delivered, district.failed, district.skipped) == (2, 1, 1, 0)
    department = await delivery_figures(**OCTOBER, scope=await scope_for_organisation(keji.id))
    assert (department.campaigns, department.sent, department.failed) == (1, 2, 1)
    september = await delivery_figures(period_start=date(2026, 9, 1), period_end=date(2026, 9, 30), scope=CITY)
    assert (september.sent, september.delivered) == (3, 3)


async def test_a_sent_delivery_confirmed_the_next_day_moves_rather_than_doubles(settings):
    follower = await make_follower()
    campaign = await PushCampaign.create(title="推送", template_name="policy_push", status=CampaignStatus.running)
    late_evening = datetime(2026, 10, 19, 15, 59, tzinfo=timezone.utc)  # 23:59 in Shanghai
    [delivery] = await deliveries(campaign, [follower], [DeliveryStatus.sent], at=late_evening)
    await refresh_summaries(settings=settings, full=True, now=late_evening + timedelta(seconds=30))

    delivery.status = DeliveryStatus.delivered
    delivery.finished_at = late_evening + timedelta(minutes=2)  # 00:01 the next day
    await delivery.save()
    result = await refresh_summaries(settings=settings, now=late_evening + timedelta(minutes=5))
    assert not result.full

    figures = await delivery_figures(**OCTOBER, scope=CITY)
    assert (figures.sent, figures.delivered) == (1, 1)
    assert [(day, sent) for day, sent, _ in figures.by_day if sent] == [(date(2026, 10, 20), 1)]
