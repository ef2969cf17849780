"""Small factories for activity tests: organisations, a service manager, an activity, people."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any

from app.activity import service
from app.activity.models import Activity, ActivityKind, SignupChannel
from app.activity.service import ActivityInput, SignupResult
from app.identity.models import EnterpriseBinding, Follower, WeChatUser
from app.organisation.models import Organisation
from app.staff.models import Staff, StaffRole
from tests.admin.support import make_staff, seed_organisations
from tests.identity.factories import make_enterprise

__all__ = ["make_activity", "make_manager", "make_person", "sign_up"]

_numbers = itertools.count(1)


async def make_manager(username: str = "fuwu") -> Staff:
    """A service manager (activity.manage) of the city coordination office."""
    if not await Organisation.filter(code="city.coordination").exists():
        await seed_organisations()
    existing = await Staff.get_or_none(username=username)
    return existing or await make_staff(username, StaffRole.service_manager, "city.coordination")


def activity_input(**overrides: Any) -> ActivityInput:
    starts = overrides.pop("starts_at", None) or service.now_local().replace(second=0, microsecond=0) + timedelta(days=3)
    values: dict[str, Any] = {
        "title": "专精特新企业培育政策宣讲会", "kind": ActivityKind.briefing, "starts_at": starts,
        "ends_at": starts + timedelta(hours=2), "place": "市中小企业服务中心三楼报告厅", "capacity": 50,
        "audience": "拟申报专精特新的中小企业负责人", "organiser_name": "市中小企业服务中心",
    }
    values.update(overrides)
    return ActivityInput(**values)


async def make_activity(*, staff: Staff | None = None, publish: bool = True, **overrides: Any) -> Activity:
    staff = staff or await make_manager()
    activity = await service.create_activity(staff=staff, data=activity_input(**overrides))
    if publish:
        activity = await service.transition(staff=staff, activity_id=activity.id, action="publish")
    return activity


async def make_person(*, bound: bool = False, openid: str | None = None, phone: str = "13812345678") -> WeChatUser:
    """A person who follows the official account (and, if `bound`, acts for an enterprise)."""
    n = next(_numbers)
    user = await WeChatUser.create(phone=phone)
    await Follower.create(openid=openid or f"o-activity-{n:06d}", user=user)
    if bound:
        enterprise = await make_enterprise(name=f"上海活动测试{n}科技有限公司")
        await EnterpriseBinding.create(user=user, enterprise=enterprise, role="legal_representative", verified_by="test")
    return user


async def sign_up(activity: Activity, user: WeChatUser, *, name: str = "张三", **kwargs: Any) -> SignupResult:
    return await service.sign_up(activity_id=activity.id, user=user, channel=kwargs.pop("channel", SignupChannel.chat),
                                 contact_name=name, **kwargs)


def later(days: float) -> datetime:
    return service.now_local() + timedelta(days=days)
