"""One person, several WeChat accounts: linking by unionid and merging duplicates."""

from __future__ import annotations

from app.enterprise.reference import BindingRole
from app.identity.linking import resolve_miniprogram_account
from app.identity.models import EnterpriseBinding, Follower, MiniProgramUser, WeChatUser

from .factories import make_enterprise, make_follower


async def test_a_new_account_gets_a_new_person(db) -> None:
    account = await resolve_miniprogram_account(openid="mp-1", unionid=None)

    assert account.user.unionid is None
    assert await WeChatUser.all().count() == 1
    assert account.last_login_at is not None


async def test_signing_in_again_keeps_the_same_account_and_person(db) -> None:
    first = await resolve_miniprogram_account(openid="mp-1", unionid="u-1")
    second = await resolve_miniprogram_account(openid="mp-1", unionid="u-1")

    assert (second.id, second.user_id) == (first.id, first.user_id)
    assert await WeChatUser.all().count() == 1


async def test_an_account_joins_the_follower_with_the_same_unionid(db) -> None:
    follower = await make_follower(openid="oa-1", unionid="u-1", user_unionid="u-1")

    account = await resolve_miniprogram_account(openid="mp-1", unionid="u-1")

    assert account.user_id == follower.user_id
    assert await WeChatUser.all().count() == 1


async def test_a_follower_person_without_unionid_is_adopted_and_given_it(db) -> None:
    follower = await make_follower(openid="oa-1", unionid="u-1", user_unionid=None)

    account = await resolve_miniprogram_account(openid="mp-1", unionid="u-1")

    assert account.user_id == follower.user_id
    assert (await WeChatUser.get(id=follower.user_id)).unionid == "u-1"


async def test_an_unlinked_follower_is_attached_to_the_person(db) -> None:
    follower = await make_follower(openid="oa-1", unionid="u-1", with_user=False)

    account = await resolve_miniprogram_account(openid="mp-1", unionid="u-1")

    await follower.refresh_from_db()
    assert follower.user_id == account.user_id


async def test_duplicates_are_merged_when_the_unionid_turns_up(db) -> None:
    # The mini-program account existed before WeChat returned a unionid ...
    early = await resolve_miniprogram_account(openid="mp-1", unionid=None)
    duplicate = early.user
    duplicate.phone = "13812341234"
    await duplicate.save()
    shared, only_mine = await make_enterprise(), await make_enterprise(name="另一家公司")
    await EnterpriseBinding.create(user=duplicate, enterprise=shared, role=BindingRole.contact, verified_by="t")
    await EnterpriseBinding.create(user=duplicate, enterprise=only_mine, role=BindingRole.contact, verified_by="t")
    # ... and the same person follows the official account under another WeChatUser.
    follower = await make_follower(openid="oa-1", unionid="u-1", user_unionid=None)
    person = await WeChatUser.get(id=follower.user_id)
    await EnterpriseBinding.create(user=person, enterprise=shared, role=BindingRole.legal_representative, verified_by="t")

    account = await resolve_miniprogram_account(openid="mp-1", unionid="u-1")

    assert account.user_id == person.id
    assert not await WeChatUser.filter(id=duplicate.id).exists()
    await person.refresh_from_db()
    assert person.unionid == "u-1"
    assert person.phone == "13812341234"
    bindings = await EnterpriseBinding.filter(user_id=person.id).order_by("enterprise_id")
    assert [(b.enterprise_id, b.role) for b in bindings] == [
        (shared.id, BindingRole.legal_representative),
        (only_mine.id, BindingRole.contact),
    ]
    assert (await MiniProgramUser.get(openid="mp-1")).unionid == "u-1"


async def test_people_with_different_unionids_are_never_merged(db) -> None:
    other = await WeChatUser.create(unionid="u-other")
    await Follower.create(openid="oa-1", unionid="u-1", user=other)

    account = await resolve_miniprogram_account(openid="mp-1", unionid="u-1")

    assert account.user_id != other.id
    assert await WeChatUser.filter(id=other.id, unionid="u-other").exists()
