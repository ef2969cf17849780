"""Object-level permissions: only bound people act for an enterprise."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.enterprise.reference import BindingRole
from app.identity.errors import AccessDenied, BindingError
from app.identity.models import EnterpriseBinding, WeChatUser
from app.identity.permissions import get_own_binding, require_binding

from .factories import make_enterprise


async def _binding(user, enterprise, role=BindingRole.contact, revoked=False):
    return await EnterpriseBinding.create(
        user=user,
        enterprise=enterprise,
        role=role,
        verified_by="legal_representative_name",
        revoked_at=datetime.now(UTC) if revoked else None,
    )


async def test_a_bound_person_gets_their_binding_with_the_enterprise(db) -> None:
    user, enterprise = await WeChatUser.create(), await make_enterprise()
    await _binding(user, enterprise)

    binding = await require_binding(user=user, enterprise_id=enterprise.id)

    assert binding.enterprise.name == enterprise.name


async def test_strangers_and_revoked_bindings_are_denied(db) -> None:
    owner, stranger, former = await WeChatUser.create(), await WeChatUser.create(), await WeChatUser.create()
    enterprise = await make_enterprise()
    await _binding(owner, enterprise)
    await _binding(former, enterprise, revoked=True)

    for user in (stranger, former):
        with pytest.raises(AccessDenied) as caught:
            await require_binding(user=user, enterprise_id=enterprise.id)
        assert caught.value.code == "enterprise_access_denied"


async def test_a_role_can_be_required(db) -> None:
    user, enterprise = await WeChatUser.create(), await make_enterprise()
    await _binding(user, enterprise, role=BindingRole.contact)

    with pytest.raises(AccessDenied) as caught:
        await require_binding(user=user, enterprise_id=enterprise.id, roles=[BindingRole.legal_representative])

    assert caught.value.code == "binding_role_insufficient"
    assert "法定代表人" in caught.value.message


async def test_someone_elses_binding_is_not_found(db) -> None:
    owner, stranger = await WeChatUser.create(), await WeChatUser.create()
    binding = await _binding(owner, await make_enterprise())

    assert (await get_own_binding(user=owner, binding_id=binding.id)).id == binding.id
    with pytest.raises(BindingError) as caught:
        await get_own_binding(user=stranger, binding_id=binding.id)
    assert caught.value.code == "binding_not_found"
