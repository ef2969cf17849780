"""Test data for identity and binding tests: valid credit codes, enterprises, people.

Credit codes are computed with both check characters of GB 32100-2015 (the organisation
code's, GB 11714, and the credit code's own), so any validator of the standard accepts them.
"""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

from app.enterprise.models import Enterprise
from app.enterprise.reference import District, LifecycleStage, Ownership, SizeClass
from app.identity.models import Follower, WeChatUser

CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_serial = itertools.count(10_000_001)


def credit_check_char(first17: str) -> str:
    total = sum(CREDIT_CHARS.index(char) * weight for char, weight in zip(first17, _CREDIT_WEIGHTS, strict=True))
    return CREDIT_CHARS[(31 - total % 31) % 31]


def org_check_char(body8: str) -> str:
    total = sum(int(char, 36) * weight for char, weight in zip(body8, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def make_credit_code(serial: int | None = None) -> str:
    """A valid credit code of an enterprise registered in Pudong."""
    body = f"{serial if serial is not None else next(_serial):08d}"[-8:]
    first17 = "91310115" + body + org_check_char(body)
    return first17 + credit_check_char(first17)


def with_wrong_check_char(code: str) -> str:
    wrong = next(char for char in CREDIT_CHARS if char != code[-1])
    return code[:-1] + wrong


async def make_enterprise(
    *, name: str = "上海测试科技有限公司", legal_representative: str = "张三", credit_code: str | None = None
) -> Enterprise:
    return await Enterprise.create(
        credit_code=credit_code or make_credit_code(),
        name=name,
        legal_representative=legal_representative,
        district=District.pudong,
        industry_section="I",
        industry_division="65",
        size_class=SizeClass.small,
        ownership=Ownership.private,
        registered_capital=Decimal("500.00"),
        established_on=date(2019, 5, 20),
        lifecycle_stage=LifecycleStage.growth,
        tags=["高新技术企业"],
        address="上海市浦东新区张江路1号",
    )


async def make_follower(
    *, openid: str, unionid: str | None, with_user: bool = True, user_unionid: str | None = None
) -> Follower:
    """An official-account follower, as the follower flow records one."""
    user = await WeChatUser.create(unionid=user_unionid) if with_user else None
    return await Follower.create(openid=openid, unionid=unionid, user=user)
