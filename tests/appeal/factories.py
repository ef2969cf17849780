"""Small builders for appeal tests: organisations, staff, an enterprise user, an appeal at any step."""

from __future__ import annotations

import itertools
import struct
import zlib
from typing import Any

from app.appeal import service
from app.appeal.models import Appeal, AppealChannel
from app.appeal.service import AppealDraft
from app.config import Settings
from app.demo import demo_organisations
from app.identity.models import EnterpriseBinding, Follower, WeChatUser
from app.organisation.models import Organisation
from app.organisation.service import upsert_organisations
from app.staff.models import Staff, StaffRole
from tests.admin.support import make_staff
from tests.identity.factories import make_enterprise

__all__ = ["Cast", "file_appeal", "make_cast", "make_enterprise_user", "png", "take_to"]

_openids = itertools.count(1)


async def make_enterprise_user(*, bound: bool = True, openid: str | None = None) -> WeChatUser:
    """A person who follows the official account and (by default) is bound to an enterprise."""
    user = await WeChatUser.create()
    await Follower.create(openid=openid or f"o-appeal-{next(_openids):06d}", user=user)
    if bound:
        enterprise = await make_enterprise(name=f"上海诉求测试{next(_openids)}有限公司")
        await EnterpriseBinding.create(user=user, enterprise=enterprise, role="legal_representative",
                                       verified_by="test")
    return user


class Cast:
    """The people of one appeal's story: the city dispatcher, two department handlers, a
    district administrator, and the enterprise user."""

    dispatcher: Staff
    keji: Staff
    shuiwu: Staff
    pudong: Staff
    user: WeChatUser
    orgs: dict[str, Organisation]


async def make_cast() -> Cast:
    await upsert_organisations(demo_organisations())
    cast = Cast()
    cast.orgs = {org.code: org for org in await Organisation.all()}
    cast.dispatcher = await make_staff("dispatcher", StaffRole.city_admin, "city.coordination")
    cast.keji = await make_staff("keji", StaffRole.department_handler, "city.science-tech")
    cast.shuiwu = await make_staff("shuiwu", StaffRole.department_handler, "city.taxation")
    cast.pudong = await make_staff("pudong", StaffRole.district_admin, "district.310115")
    cast.user = await make_enterprise_user()
    return cast


async def file_appeal(cast: Cast, settings: Settings, **overrides: Any) -> Appeal:
    binding = await EnterpriseBinding.filter(user_id=cast.user.id).first()
    values: dict[str, Any] = {
        "channel": AppealChannel.miniprogram,
        "category": "technology",
        "description": "高新技术企业认定材料已提交两个月，至今没有收到任何反馈，想了解办理进度。",
        "user": cast.user,
        "enterprise_id": binding.enterprise_id if binding else None,
        "contact_name": "张三",
        "contact_phone": "13812345678",
    }
    values.update(overrides)
    result = await service.submit_appeal(draft=AppealDraft(**values), settings=settings)
    return result.appeal


async def take_to(status: str, cast: Cast, settings: Settings, appeal: Appeal | None = None) -> Appeal:
    """An appeal walked through the loop up to `status` (accepted, dispatched, in_progress, replied)."""
    appeal = appeal or await file_appeal(cast, settings)
    steps = ["accepted", "dispatched", "in_progress", "replied"]
    done = steps.index(appeal.status) + 1 if appeal.status in steps else 0
    for reached in steps[done: steps.index(status) + 1]:
        if reached == "accepted":
            appeal = await service.accept(appeal_id=appeal.id, staff=cast.dispatcher)
        elif reached == "dispatched":
            appeal = await service.dispatch(appeal_id=appeal.id, staff=cast.dispatcher,
                                            lead_organisation_id=cast.orgs["city.science-tech"].id, settings=settings)
        elif reached == "in_progress":
            appeal = await service.start(appeal_id=appeal.id, staff=cast.keji)
        elif reached == "replied":
            appeal = await service.reply(appeal_id=appeal.id, staff=cast.keji, settings=settings,
                                         text="经核查，认定结果将于本月底公示，请留意市科委网站。")
    return appeal


def png(seed: int = 0) -> bytes:
    """A tiny valid PNG (1×1 pixel, colour from `seed`, so different seeds differ)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixel = zlib.compress(b"\x00" + bytes([seed % 256, 80, 160]))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixel) + chunk(b"IEND", b"")
