"""Linking WeChat accounts to one person (`WeChatUser`) by unionid, and merging duplicates.

openids differ per app, so the official account and the mini-program each see their own
openid; only the unionid (present when both apps are bound to one Open Platform
account) says two accounts are the same person. A person can therefore exist twice for
a while — a follower recorded before WeChat returned a unionid, a mini-program account
created before the binding — and must be merged into one `WeChatUser` when the unionid
turns up, without losing anything that points at either of them (bindings, appeals,
sign-ups ...). Everything here runs in one transaction and is retried on the unique
constraint races two concurrent first logins can hit.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from tortoise import Tortoise
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.models import Model
from tortoise.transactions import in_transaction

from app.identity.models import EnterpriseBinding, Follower, MiniProgramUser, WeChatUser

__all__ = ["link_follower_unionid", "merge_users", "resolve_miniprogram_account"]

logger = logging.getLogger("qiyun.identity")

_ATTEMPTS = 3


async def resolve_miniprogram_account(*, openid: str, unionid: str | None) -> MiniProgramUser:
    """The mini-program account of `openid`, created if new, linked to the person who owns
    `unionid` (an existing follower's `WeChatUser`), with duplicates merged. The account's
    `user` is loaded. `last_login_at` is set to now."""
    unionid = unionid or None
    for attempt in range(1, _ATTEMPTS + 1):
        try:
            async with in_transaction() as connection:
                account = await _resolve(openid=openid, unionid=unionid, connection=connection)
            await account.fetch_related("user")
            return account
        except IntegrityError:
            # Two first logins of the same person raced on a unique openid/unionid:
            # the other transaction won, so the next attempt finds its rows.
            if attempt == _ATTEMPTS:
                raise
    raise AssertionError("unreachable")


async def _resolve(*, openid: str, unionid: str | None, connection: BaseDBAsyncClient) -> MiniProgramUser:
    account = (
        await MiniProgramUser.filter(openid=openid).using_db(connection).select_for_update().first()
    )
    own_user = (
        await WeChatUser.filter(id=account.user_id).using_db(connection).select_for_update().first()
        if account
        else None
    )
    holder = None
    follower_users: list[WeChatUser] = []
    if unionid:
        holder = await WeChatUser.filter(unionid=unionid).using_db(connection).select_for_update().first()
        follower_user_ids = await (
            Follower.filter(unionid=unionid, user_id__isnull=False)
            .using_db(connection)
            .values_list("user_id", flat=True)
        )
        if follower_user_ids:
            follower_users = list(
                await WeChatUser.filter(id__in=set(follower_user_ids))
                .using_db(connection)
                .select_for_update()
                .order_by("id")
            )

    now = datetime.now(UTC)
    if own_user is not None and unionid and own_user.unionid not in (None, unionid):
        # WeChat never changes an openid's unionid; if the records disagree, a person
        # must look at it. Sign the account in as it is, link nothing.
        logger.error("identity conflict: mini-program account %s has another unionid on record", account.id)
        account.last_login_at = now
        await account.save(update_fields=["last_login_at"], using_db=connection)
        return account

    # Another unionid on a follower's person means another person: never merge them.
    compatible = [user for user in follower_users if user.unionid in (None, unionid)]
    for user in follower_users:
        if user not in compatible:
            logger.error("identity conflict: follower person %s has another unionid on record", user.id)

    # The survivor: whoever already holds the unionid, else the oldest follower's person,
    # else the account's own person, else someone new.
    survivor = holder or (compatible[0] if compatible else None) or own_user
    if survivor is None:
        survivor = await WeChatUser.create(unionid=unionid, using_db=connection)

    others = {user.id: user for user in [own_user, *compatible] if user is not None and user.id != survivor.id}
    for other in others.values():
        await merge_users(survivor=survivor, other=other, connection=connection)

    if unionid and survivor.unionid is None:
        survivor.unionid = unionid
        await survivor.save(update_fields=["unionid"], using_db=connection)

    if account is None:
        account = await MiniProgramUser.create(
            openid=openid, unionid=unionid, user_id=survivor.id, last_login_at=now, using_db=connection
        )
    else:
        account.user_id = survivor.id
        account.unionid = unionid or account.unionid
        account.last_login_at = now
        await account.save(update_fields=["user_id", "unionid", "last_login_at"], using_db=connection)

    if unionid:
        # Followers seen with this unionid but not yet linked to anyone join the person.
        await Follower.filter(unionid=unionid, user_id__isnull=True).using_db(connection).update(
            user_id=survivor.id
        )
    return account


async def link_follower_unionid(*, openid: str, unionid: str) -> Follower | None:
    """Record the unionid WeChat reported for a follower and make them the same person as
    the mini-program account with that unionid (merging two `WeChatUser`s if both exist).

    WeChat's subscribe event carries no unionid; it comes from the user-info API, asked
    in a job after the subscribe (`app.identity.jobs`). None if the follower is unknown.
    """
    for attempt in range(1, _ATTEMPTS + 1):
        try:
            async with in_transaction() as connection:
                return await _link_follower(openid=openid, unionid=unionid, connection=connection)
        except IntegrityError:
            if attempt == _ATTEMPTS:
                raise
    raise AssertionError("unreachable")


async def _link_follower(*, openid: str, unionid: str, connection: BaseDBAsyncClient) -> Follower | None:
    follower = await Follower.filter(openid=openid).using_db(connection).select_for_update().first()
    if follower is None:
        return None
    if follower.unionid not in (None, "", unionid):
        logger.error("identity conflict: follower %s has another unionid on record", follower.id)
        return follower
    holder = await WeChatUser.filter(unionid=unionid).using_db(connection).select_for_update().first()
    own = (
        await WeChatUser.filter(id=follower.user_id).using_db(connection).select_for_update().first()
        if follower.user_id
        else None
    )
    if own is not None and own.unionid not in (None, unionid):
        logger.error("identity conflict: follower person %s has another unionid on record", own.id)
        return follower
    survivor = holder or own
    if survivor is None:
        survivor = await WeChatUser.create(unionid=unionid, using_db=connection)
    if own is not None and own.id != survivor.id:
        await merge_users(survivor=survivor, other=own, connection=connection)
    if survivor.unionid is None:
        survivor.unionid = unionid
        await survivor.save(update_fields=["unionid"], using_db=connection)
    follower.unionid = unionid
    follower.user_id = survivor.id
    await follower.save(update_fields=["unionid", "user_id", "updated_at"], using_db=connection)
    # Mini-program accounts seen with this unionid belong to the same person.
    await MiniProgramUser.filter(unionid=unionid).exclude(user_id=survivor.id).using_db(connection).update(
        user_id=survivor.id
    )
    return follower


async def merge_users(*, survivor: WeChatUser, other: WeChatUser, connection: BaseDBAsyncClient) -> None:
    """Move everything that points at `other` to `survivor`, then delete `other`.

    Every foreign key to `WeChatUser` in every model is moved, found by introspection so
    a model added later is covered without touching this code. Where a unique constraint
    would be broken (the same person signed up for one activity through both identities)
    the survivor's row stays and the other one is dropped; for enterprise bindings an
    active binding wins over a revoked one.
    """
    await _merge_bindings(survivor=survivor, other=other, connection=connection)
    for model, field_name, source_field in _references_to_user():
        if model is EnterpriseBinding:
            continue
        for group in model._meta.unique_together:
            if field_name in group:
                await _drop_conflicts(model, field_name, source_field, group, survivor, other, connection)
        await model.filter(**{source_field: other.id}).using_db(connection).update(**{source_field: survivor.id})

    if not survivor.phone and other.phone:
        survivor.phone = other.phone
        await survivor.save(update_fields=["phone"], using_db=connection)
    logger.info("merged user %s into user %s", other.id, survivor.id)
    await WeChatUser.filter(id=other.id).using_db(connection).delete()


async def _merge_bindings(*, survivor: WeChatUser, other: WeChatUser, connection: BaseDBAsyncClient) -> None:
    theirs = await EnterpriseBinding.filter(user_id=other.id).using_db(connection)
    ours = {
        binding.enterprise_id: binding
        for binding in await EnterpriseBinding.filter(user_id=survivor.id).using_db(connection)
    }
    for binding in theirs:
        existing = ours.get(binding.enterprise_id)
        if existing is not None:
            if existing.revoked_at is not None and binding.revoked_at is None:
                await existing.delete(using_db=connection)
            else:
                await binding.delete(using_db=connection)
                continue
        binding.user_id = survivor.id
        await binding.save(update_fields=["user_id"], using_db=connection)


async def _drop_conflicts(
    model: type[Model],
    field_name: str,
    source_field: str,
    group: tuple[str, ...],
    survivor: WeChatUser,
    other: WeChatUser,
    connection: BaseDBAsyncClient,
) -> None:
    columns = [_column(model, name) for name in group if name != field_name]
    if not columns:
        return
    kept = {
        tuple(row)
        for row in await model.filter(**{source_field: survivor.id}).using_db(connection).values_list(*columns)
    }
    pk = model._meta.pk_attr
    for row in await model.filter(**{source_field: other.id}).using_db(connection).values_list(pk, *columns):
        if tuple(row[1:]) in kept:
            await model.filter(**{pk: row[0]}).using_db(connection).delete()


def _column(model: type[Model], name: str) -> str:
    field = model._meta.fields_map[name]
    return getattr(field, "source_field", None) or name


def _references_to_user() -> list[tuple[type[Model], str, str]]:
    """(model, field name, id column) for every foreign key to WeChatUser."""
    references = []
    for model in Tortoise.apps.get_models_iterable():
        for name in (*model._meta.fk_fields, *model._meta.o2o_fields):
            field = model._meta.fields_map[name]
            if field.related_model is WeChatUser:
                references.append((model, name, field.source_field or f"{name}_id"))
    return references
