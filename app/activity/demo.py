"""Demo schedule (排片表) for the coming weeks: policy briefings, 专精特新 training, roadshows and
IP diagnostics at 市中小企业服务中心 and district service centres, some with sign-ups and one
full with a waiting list. Idempotent: activities are recognised by title, people by openid,
and sign-ups by (activity, person), so running it twice changes nothing."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from app.activity import service
from app.activity.models import Activity, ActivityKind, ActivitySignup, ActivityStatus, SignupChannel
from app.activity.service import SHANGHAI
from app.identity.models import Follower, WeChatUser
from app.organisation.models import Organisation

__all__ = ["seed_demo_activities"]

# (days from today, start hour, hours, kind, title, place, capacity, audience, organiser code or name, sign-ups)
_SCHEDULE = (
    (2, 14, 2, ActivityKind.briefing, "年度惠企政策集中宣讲会", "市中小企业服务中心三楼报告厅", 120,
     "全市中小企业负责人、财务负责人", "social.sme-association", 46),
    (3, 9, 6, ActivityKind.training, "专精特新企业培育专题培训（第一期）", "市中小企业服务中心二楼培训室", 30,
     "拟申报市级专精特新的中小企业", "social.sme-association", 42),
    (5, 14, 3, ActivityKind.roadshow, "科技型中小企业投融资路演", "浦东新区企业服务中心路演厅", 20,
     "有融资需求的科技型中小企业", "district.310115.service-centre", 12),
    (7, 9, 3, ActivityKind.diagnostic, "知识产权诊断服务日", "徐汇区企业服务中心一楼服务大厅", 15,
     "有专利布局、商标保护需求的企业", "district.310104.service-centre", 6),
    (9, 14, 2, ActivityKind.lecture, "数字化转型与智能制造讲座", "市中小企业服务中心三楼报告厅", 80,
     "制造业中小企业", "social.sme-association", 18),
    (12, 14, 2, ActivityKind.briefing, "研发费用加计扣除政策解读", "闵行区企业服务中心会议室", 50,
     "科技型企业财务人员", "district.310112.service-centre", 9),
    (14, 9, 6, ActivityKind.training, "专精特新企业培育专题培训（第二期）", "市中小企业服务中心二楼培训室", 30,
     "拟申报市级专精特新的中小企业", "social.sme-association", 0),
    (16, 14, 3, ActivityKind.diagnostic, "企业知识产权风险诊断（上门预约）", "静安区企业服务中心", 10,
     "高新技术企业", "上海市知识产权服务中心", 0),
)
_NAMES = "王芳 李娜 张伟 刘洋 陈静 杨磊 赵敏 黄强 周婷 吴斌 徐丽 孙杰 胡琳 朱勇 高燕 林涛 何欣 郭亮 马骏 罗琴".split()


async def _people(count: int, rng: random.Random) -> list[WeChatUser]:
    people = []
    for n in range(count):
        openid = f"demo-activity-{n:03d}"
        follower = await Follower.get_or_none(openid=openid)
        if follower is None or follower.user_id is None:
            user = await WeChatUser.create(phone=f"139{rng.randrange(10**8):08d}")
            follower = await Follower.create(openid=openid, user=user, subscribe_scene="ADD_SCENE_QR_CODE")
        people.append(await WeChatUser.get(id=follower.user_id))
    return people


async def seed_demo_activities(*, seed: int) -> int:
    """Create the demo schedule; returns how many activities were created this run."""
    rng = random.Random(seed)
    today = service.now_local().date()
    people = await _people(max(row[-1] for row in _SCHEDULE), rng)
    created = 0
    for days, hour, hours, kind, title, place, capacity, audience, organiser, signups in _SCHEDULE:
        activity = await Activity.get_or_none(title=title)
        if activity is None:
            starts = datetime.combine(today + timedelta(days=days), time(hour), tzinfo=SHANGHAI)
            organisation = await Organisation.get_or_none(code=organiser)
            activity = await Activity.create(
                title=title, kind=kind, starts_at=starts, ends_at=starts + timedelta(hours=hours), place=place,
                capacity=capacity, audience=audience, status=ActivityStatus.published,
                organiser_id=organisation.id if organisation else None,
                organiser_name="" if organisation else (organiser if "." not in organiser else "市中小企业服务中心"),
                signup_deadline=starts - timedelta(hours=12), published_at=service.now_local(),
                description=f"{audience}请于活动开始前报名。活动免费，名额有限，额满后进入候补名单。",
            )
            created += 1
        for number, person in enumerate(people[:signups]):
            if await ActivitySignup.filter(activity_id=activity.id, user_id=person.id).exists():
                continue
            channel = SignupChannel.miniprogram if number % 3 else SignupChannel.chat
            await service.sign_up(activity_id=activity.id, user=person, channel=channel,
                                  contact_name=_NAMES[number % len(_NAMES)] + ("" if number < len(_NAMES) else str(number)))
    return created
