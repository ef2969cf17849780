"""Binding a person to an enterprise: verification against the register and the limits on guessing."""

from __future__ import annotations

import asyncio

import pytest

from app.enterprise.reference import BindingRole
from app.identity import binding as binding_service
from app.identity.binding import (
    ENTERPRISE_FAILURE_LIMIT,
    USER_FAILURE_LIMIT,
    bind_enterprise,
    names_match,
    revoke_binding,
)
from app.identity.errors import BindingError
from app.identity.models import EnterpriseBinding, WeChatUser

from .factories import make_credit_code, make_enterprise, with_wrong_check_char


async def _bind(user, enterprise_or_code, name, redis, role=BindingRole.legal_representative):
    code = enterprise_or_code if isinstance(enterprise_or_code, str) else enterprise_or_code.credit_code
    return await bind_enterprise(user=user, credit_code=code, legal_representative=name, role=role, redis=redis)


async def _refused(coro) -> BindingError:
    with pytest.raises(BindingError) as caught:
        await coro
    return caught.value


async def test_the_legal_representatives_name_binds(db, redis) -> None:
    user = await WeChatUser.create()
    enterprise = await make_enterprise(legal_representative="张三")

    binding = await _bind(user, enterprise, "张三", redis, role=BindingRole.contact)

    assert (binding.user_id, binding.enterprise_id, binding.role) == (user.id, enterprise.id, BindingRole.contact)
    assert binding.verified_by == "legal_representative_name"
    # A successful try does not use up any of the allowance.
    for key in await redis.keys("qiyun:binding:failures:*"):
        assert int(await redis.get(key)) == 0


async def test_credit_code_is_normalised_before_lookup(db, redis) -> None:
    user = await WeChatUser.create()
    enterprise = await make_enterprise()
    typed = " " + enterprise.credit_code.lower()[:9] + "\u3000" + enterprise.credit_code.lower()[9:] + " "

    binding = await _bind(user, typed, "张三", redis)

    assert binding.enterprise_id == enterprise.id


@pytest.mark.parametrize(
    ("given", "registered", "match"),
    [
        ("张 三", "张三", True),
        ("张三\u3000", "张三", True),
        ("阿卜杜•热合曼", "阿卜杜·热合曼", True),
        ("john smith", "JOHN SMITH", True),
        ("张四", "张三", False),
        ("", "张三", False),
    ],
)
def test_names_match(given: str, registered: str, match: bool) -> None:
    assert names_match(given, registered) is match


async def test_a_wrong_check_character_is_refused_without_counting(db, redis) -> None:
    user = await WeChatUser.create()
    enterprise = await make_enterprise()

    error = await _refused(_bind(user, with_wrong_check_char(enterprise.credit_code), "张三", redis))

    assert error.code == "invalid_credit_code"
    assert error.message  # the validator's Chinese reason
    assert not await redis.keys("qiyun:binding:failures:*")


async def test_an_unknown_enterprise_counts_against_the_person(db, redis) -> None:
    user = await WeChatUser.create()

    error = await _refused(_bind(user, make_credit_code(), "张三", redis))

    assert error.code == "enterprise_not_found"
    assert error.details["remaining_attempts"] == USER_FAILURE_LIMIT - 1


async def test_a_wrong_name_says_how_many_tries_are_left(db, redis) -> None:
    user = await WeChatUser.create()
    enterprise = await make_enterprise()

    first = await _refused(_bind(user, enterprise, "李四", redis))
    second = await _refused(_bind(user, enterprise, "王五", redis))

    assert first.code == second.code == "legal_representative_mismatch"
    assert first.details["remaining_attempts"] == USER_FAILURE_LIMIT - 1
    assert second.details["remaining_attempts"] == USER_FAILURE_LIMIT - 2
    assert f"{USER_FAILURE_LIMIT - 2}次" in second.message
    assert not await EnterpriseBinding.exists()


async def test_the_person_is_locked_out_after_the_limit_even_with_the_right_name(db, redis) -> None:
    user = await WeChatUser.create()
    enterprise = await make_enterprise()
    for _ in range(USER_FAILURE_LIMIT):
        await _refused(_bind(user, enterprise, "李四", redis))

    error = await _refused(_bind(user, enterprise, "张三", redis))

    assert error.code == "binding_locked"
    assert 0 < error.retry_after <= 24 * 3600
    assert not await EnterpriseBinding.exists()


async def test_the_enterprise_is_locked_after_failures_from_many_people(db, redis) -> None:
    enterprise = await make_enterprise()
    for _ in range(ENTERPRISE_FAILURE_LIMIT):
        await _refused(_bind(await WeChatUser.create(), enterprise, "李四", redis))

    error = await _refused(_bind(await WeChatUser.create(), enterprise, "张三", redis))

    assert error.code == "binding_locked"
    assert "该企业" in error.message


async def test_parallel_wrong_guesses_cannot_exceed_the_limit(db, redis) -> None:
    user = await WeChatUser.create()
    enterprise = await make_enterprise()

    results = await asyncio.gather(
        *[_bind(user, enterprise, f"猜{i}", redis) for i in range(USER_FAILURE_LIMIT * 2)], return_exceptions=True
    )

    codes = [result.code for result in results]
    assert codes.count("legal_representative_mismatch") == USER_FAILURE_LIMIT
    assert codes.count("binding_locked") == USER_FAILURE_LIMIT


async def test_one_person_binds_several_enterprises_but_each_once(db, redis) -> None:
    user = await WeChatUser.create()
    first, second = await make_enterprise(), await make_enterprise(name="第二家公司", legal_representative="李四")

    await _bind(user, first, "张三", redis)
    await _bind(user, second, "李四", redis)
    again = await _refused(_bind(user, first, "张三", redis))

    assert again.code == "already_bound"
    assert await EnterpriseBinding.filter(user_id=user.id).count() == 2


async def test_revoked_bindings_can_be_bound_again(db, redis) -> None:
    user = await WeChatUser.create()
    enterprise = await make_enterprise()
    binding = await _bind(user, enterprise, "张三", redis)

    await revoke_binding(user=user, binding_id=binding.id)
    again = await _bind(user, enterprise, "张三", redis, role=BindingRole.contact)

    assert again.id == binding.id
    assert again.revoked_at is None and again.role == BindingRole.contact


async def test_nobody_revokes_someone_elses_binding(db, redis) -> None:
    owner, stranger = await WeChatUser.create(), await WeChatUser.create()
    binding = await _bind(owner, await make_enterprise(), "张三", redis)

    error = await _refused(revoke_binding(user=stranger, binding_id=binding.id))

    assert error.code == "binding_not_found"
    assert (await EnterpriseBinding.get(id=binding.id)).revoked_at is None


def test_the_limits_are_the_documented_ones() -> None:
    assert binding_service.USER_FAILURE_LIMIT == 5
    assert binding_service.ENTERPRISE_FAILURE_LIMIT == 5
    assert binding_service.FAILURE_WINDOW.total_seconds() == 24 * 3600
