"""The headline figures on a small hand-built year: every number checked against the rows
that make it, for the city, a district and a department, and against the period before.

The period is the third quarter of 2026 (1 July – 30 September), compared with the second;
"now" is 10 October 2026, 12:00 Shanghai time.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from app.activity.models import Activity, ActivityKind, ActivitySignup, ActivityStatus, SignupStatus
from app.appeal.errors import AppealError
from app.appeal.models import Appeal, AppealChannel, AppealStatus, CloseReason, Satisfaction
from app.engagement.models import Engagement, EngagementStatus, ProviderRating
from app.enterprise.reference import District
from app.identity.models import EnterpriseBinding, Follower, WeChatUser
from app.organisation.models import Organisation
from app.policy.models import Policy, PolicyStatus, SupportType
from app.provider.models import Provider, ProviderEvent, ProviderProduct, ProviderStatus, ServiceCategory
from app.push.models import CampaignStatus, PushCampaign
from app.reporting import refresh
from app.reporting.figures import PeriodFigures, period_figures
from app.reporting.scope import scope_for_organisation
from app.staff.models import StaffRole
from app.survey.models import Disposition, Survey, SurveySample, SurveyStatus
from tests.admin.support import make_staff, seed_organisations
from tests.identity.factories import make_enterprise

SH = ZoneInfo("Asia/Shanghai")
Q3 = {"period_start": date(2026, 7, 1), "period_end": date(2026, 9, 30)}
NOW = datetime(2026, 10, 10, 12, 0, tzinfo=SH)
_serial = itertools.count(1)


def at(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=SH)


async def make_appeal(orgs: dict[str, Organisation], *, lead: str | None, owner: str, created: datetime,
                      **columns) -> Appeal:
    values = {
        "number": f"SQ2026{next(_serial):08d}", "channel": AppealChannel.miniprogram, "category": "technology",
        "title": "测试诉求", "description": "测试诉求的描述", "status": AppealStatus.dispatched,
        "owner_organisation": orgs[owner], "lead_organisation": orgs[lead] if lead else None, "created_at": created,
    }
    return await Appeal.create(**(values | columns))


def closed(month: int, day: int) -> dict:
    """A closed appeal's columns: accepted, dispatched, answered and replied on time, resolved and 满意."""
    return {
        "status": AppealStatus.closed, "accepted_at": at(month, day, 11), "accept_due_at": at(month, day + 1, 23),
        "dispatched_at": at(month, day, 12), "respond_due_at": at(month, day + 2, 23),
        "first_response_at": at(month, day + 1), "resolve_due_at": at(month, day + 5, 23),
        "replied_at": at(month, day + 3), "closed_at": at(month, day + 4), "close_reason": CloseReason.resolved,
        "resolved": True, "satisfaction": Satisfaction.satisfied,
    }


@dataclass
class Year:
    orgs: dict[str, Organisation]
    survey: Survey


@pytest.fixture
async def year(db, settings) -> Year:
    orgs = await seed_organisations()
    keji, centre, xuhui_centre = "city.science-tech", "district.310115.service-centre", "district.310104.service-centre"
    # Appeals: Q3 — keji 2 (one closed), Pudong's centre 1 (Pudong's intake), Xuhui's centre 1; Q2 — keji 1 closed.
    await make_appeal(orgs, lead=keji, owner="city.coordination", created=at(7, 6), district="310104", **closed(7, 6))
    await make_appeal(orgs, lead=keji, owner="city.coordination", created=at(8, 3), district="310115")
    await make_appeal(orgs, lead=centre, owner="district.310115", created=at(8, 10), district="310115")
    await make_appeal(orgs, lead=xuhui_centre, owner="district.310104", created=at(9, 1), district="310104")
    await make_appeal(orgs, lead=keji, owner="city.coordination", created=at(5, 4), district="310104",
                      **closed(5, 4) | {"satisfaction": Satisfaction.dissatisfied})

    # Followers: two followed in Q3 (one of them left again in Q3), one in Q2.
    for n, (followed, left) in enumerate([(at(7, 2), None), (at(8, 2), at(9, 2)), (at(4, 2), None)]):
        await Follower.create(openid=f"o-figures-{n}", subscribed=left is None, subscribed_at=followed,
                              unsubscribed_at=left)
    # Bindings: a Pudong enterprise bound in Q3; a Xuhui enterprise bound in Q2 and revoked in Q3.
    pudong_firm = await make_enterprise(name="上海浦东看板测试有限公司")
    xuhui_firm = await make_enterprise(name="上海徐汇看板测试有限公司")
    xuhui_firm.district = District.xuhui
    await xuhui_firm.save()
    for firm, made, revoked in ((pudong_firm, at(8, 8), None), (xuhui_firm, at(5, 8), at(9, 9))):
        user = await WeChatUser.create()
        await EnterpriseBinding.create(user=user, enterprise=firm, role="legal_representative", verified_by="test",
                                       created_at=made, revoked_at=revoked)

    # Policies: 市科委's published in August (in force); the office's from May expired in August.
    await Policy.create(title="科技型中小企业研发补贴", support_type=SupportType.subsidy, status=PolicyStatus.published,
                        publish_date=date(2026, 8, 1), organisation=orgs[keji])
    await Policy.create(title="旧的场地补贴", support_type=SupportType.premises, status=PolicyStatus.expired,
                        publish_date=date(2026, 5, 1), expiry_date=date(2026, 8, 31),
                        organisation=orgs["city.coordination"])
    keji_staff = await make_staff("keji-editor", StaffRole.department_handler, keji)
    await PushCampaign.create(title="研发补贴推送", template_name="policy_update", status=CampaignStatus.completed,
                              started_at=at(8, 2), created_by=keji_staff)
    await PushCampaign.create(title="上季度推送", template_name="policy_update", status=CampaignStatus.completed,
                              started_at=at(6, 2))

    # Providers: two serving (one warned in Q3), one suspended; ratings 4 and 5 in Q3, 2 in Q2.
    good = await Provider.create(name="好评知识产权", credit_code="91310000MA1FIG0001", category=ServiceCategory.ip,
                                 status=ProviderStatus.admitted, score=4.6, rating_count=2, ranked=False)
    warned = await Provider.create(name="预警法律服务", credit_code="91310000MA1FIG0002", category=ServiceCategory.legal,
                                   status=ProviderStatus.warned, score=2.8, rating_count=1)
    await Provider.create(name="暂停商务代理", credit_code="91310000MA1FIG0003", category=ServiceCategory.agency,
                          status=ProviderStatus.suspended)
    await ProviderEvent.create(provider=warned, action="warn", from_status=ProviderStatus.admitted,
                               to_status=ProviderStatus.warned, created_at=at(9, 3))
    product = await ProviderProduct.create(provider=good, name="专利申请代理")
    for overall, when in ((4, at(7, 20)), (5, at(8, 20)), (2, at(6, 20))):
        engagement = await Engagement.create(provider=good, product=product, enterprise=pudong_firm,
                                             status=EngagementStatus.completed, requested_at=when)
        await ProviderRating.create(engagement=engagement, provider=good, enterprise=pudong_firm, overall=overall,
                                    created_at=when)

    # Activities: Pudong's government held one in Q3 (3 signed up, 2 came, 1 cancelled); the office one in Q2.
    held = await Activity.create(title="浦东政策宣讲会", kind=ActivityKind.briefing, starts_at=at(9, 15, 14),
                                 ends_at=at(9, 15, 16), place="浦东企业服务中心", capacity=50,
                                 organiser=orgs["district.310115"], status=ActivityStatus.finished)
    earlier = await Activity.create(title="二季度讲座", kind=ActivityKind.lecture, starts_at=at(6, 15, 14),
                                    ends_at=at(6, 15, 16), place="市企业服务中心", capacity=50,
                                    organiser=orgs["city.coordination"], status=ActivityStatus.finished)
    for activity, statuses in ((held, ["checked_in", "checked_in", "confirmed", "cancelled"]), (earlier, ["checked_in"])):
        for status in statuses:
            user = await WeChatUser.create()
            await ActivitySignup.create(activity=activity, user=user, status=SignupStatus(status),
                                        ticket_code=f"T{next(_serial):08d}",
                                        checked_in_at=at(9, 15, 14) if status == "checked_in" else None)

    # A survey closed in Q3: four sampled (2 complete, 1 refusal, 1 unknown); all but the Xuhui firm in Pudong.
    survey = await Survey.create(title="2026年营商环境评估", status=SurveyStatus.closed, opened_at=at(7, 1),
                                 closed_at=at(8, 31))
    for firm, disposition in ((pudong_firm, Disposition.complete), (xuhui_firm, Disposition.complete),
                              (await make_enterprise(name="上海样本三有限公司"), Disposition.refusal),
                              (await make_enterprise(name="上海样本四有限公司"), Disposition.unknown)):
        await SurveySample.create(survey=survey, enterprise=firm, stratum="x", inclusion_probability=0.5,
                                  disposition=disposition)
    await Survey.create(title="草稿问卷", status=SurveyStatus.draft)

    await refresh.refresh_summaries(settings=settings, full=True, now=NOW)
    return Year(orgs=orgs, survey=survey)


async def figures_for(code: str | None, settings) -> PeriodFigures:
    scope = await scope_for_organisation(None if code is None else (await Organisation.get(code=code)).id)
    return await period_figures(scope=scope, **Q3, settings=settings, now=NOW, with_scores=False)


async def test_the_city_sees_everything_and_the_quarter_before(year, settings):
    figures = await figures_for(None, settings)
    assert (figures.previous_start, figures.previous_end) == (date(2026, 4, 1), date(2026, 6, 30))
    assert figures.appeals.received == 4 and figures.appeals_previous.received == 1
    assert figures.appeals.closed == 1 and figures.appeals_previous.closed == 1
    assert figures.appeals.satisfaction_rate == 1.0 and figures.appeals_previous.satisfaction_rate == 0.0
    assert figures.refreshed_at is not None

    assert (figures.followers.subscribed, figures.followers.unsubscribed, figures.followers.total_now) == (2, 1, 2)
    assert figures.followers.net_growth == 1
    assert (figures.followers.bindings_new, figures.followers.bindings_total) == (1, 1)  # the Xuhui one was revoked

    assert (figures.policies.published, figures.policies.in_force, figures.policies.campaigns) == (1, 1, 1)

    providers = figures.providers
    assert providers is not None
    assert (providers.active, providers.ratings, providers.warnings, providers.engagements) == (2, 2, 1, 2)
    assert providers.average_rating == pytest.approx(4.5)
    assert [name for name, _, _ in providers.top] == ["好评知识产权", "预警法律服务"]

    assert (figures.activities.held, figures.activities.signups, figures.activities.attended) == (1, 3, 2)
    assert figures.activities.attendance_rate == pytest.approx(2 / 3)

    [survey] = figures.surveys
    assert (survey.title, survey.sampled, survey.completed) == ("2026年营商环境评估", 4, 2)
    assert survey.response_rate == pytest.approx(0.5)  # RR1 = I / all eligible or unknown
    assert survey.overall_score is None  # with_scores=False


async def test_a_district_sees_its_own_appeals_bindings_activities_and_sample(year, settings):
    figures = await figures_for("district.310115", settings)
    assert figures.scope.district == District.pudong
    assert figures.appeals.received == 1 and figures.appeals_previous.received == 0  # not Xuhui's, not keji's
    assert (figures.followers.subscribed, figures.followers.total_now) == (0, 0)  # followers are the city's
    assert (figures.followers.bindings_new, figures.followers.bindings_total) == (1, 1)
    assert figures.providers is None
    assert (figures.activities.held, figures.activities.signups, figures.activities.attended) == (1, 3, 2)
    assert figures.policies.published == 0
    [survey] = figures.surveys
    assert (survey.sampled, survey.completed) == (3, 1)  # the three Pudong firms of the four sampled
    assert survey.response_rate == pytest.approx(1 / 3)

    xuhui = await figures_for("district.310104", settings)
    assert xuhui.appeals.received == 1
    assert (xuhui.followers.bindings_new, xuhui.followers.bindings_total) == (0, 0)
    assert xuhui.activities.held == 0


async def test_a_department_sees_its_own_appeals_and_policies(year, settings):
    figures = await figures_for("city.science-tech", settings)
    assert figures.scope.label in ("市科委", "上海市科学技术委员会")
    assert figures.appeals.received == 2 and figures.appeals_previous.received == 1
    assert (figures.policies.published, figures.policies.in_force, figures.policies.campaigns) == (1, 1, 1)
    assert (figures.followers.bindings_new, figures.followers.bindings_total) == (0, 0)
    assert figures.providers is None and figures.surveys == []
    assert figures.activities.held == 0


async def test_survey_scores_are_computed_only_when_asked(year, settings):
    scope = await scope_for_organisation(None)
    figures = await period_figures(scope=scope, **Q3, settings=settings, now=NOW, with_scores=True)
    [survey] = figures.surveys
    assert survey.overall_score is None and survey.dimensions == []  # no responses were submitted


async def test_a_reversed_period_is_refused_in_chinese(db, settings):
    scope = await scope_for_organisation(None)
    with pytest.raises(AppealError) as raised:
        await period_figures(scope=scope, period_start=date(2026, 9, 30), period_end=date(2026, 7, 1),
                             settings=settings)
    assert raised.value.message == "开始日期不能晚于结束日期"
