"""A person's policy-push preferences, as the mini-program sets them.

Pushes go to official-account followers, and mutes (退订) are kept per follower; a person
in the mini-program speaks for every follower account that is theirs, so their settings
are applied to each of them. Someone who does not follow the account has nothing to
mute: that is said, rather than a setting silently stored where no push will read it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from tortoise.transactions import in_transaction

from app.identity.models import Follower, WeChatUser
from app.policy.models import SupportType
from app.push.service import PushError, PushSubscriptions, mute_support_type, push_subscriptions, unmute_support_type

__all__ = ["NotFollowing", "PersonPushSettings", "person_push_settings", "update_person_push_settings"]


class NotFollowing(PushError):
    code = "not_following"
    message = "政策推送通过“企业服务云”公众号发送，请先关注公众号后再设置。"

    def __init__(self) -> None:
        super().__init__(self.message)


@dataclass(frozen=True)
class PersonPushSettings:
    follows_official_account: bool
    subscriptions: PushSubscriptions


async def _followers(user: WeChatUser) -> list[Follower]:
    return list(await Follower.filter(user_id=user.id, subscribed=True).order_by("id"))


async def person_push_settings(*, user: WeChatUser) -> PersonPushSettings:
    followers = await _followers(user)
    if not followers:
        return PersonPushSettings(
            follows_official_account=False,
            subscriptions=PushSubscriptions(all_muted=False, muted=[], receiving=list(SupportType)),
        )
    return PersonPushSettings(
        follows_official_account=True, subscriptions=await push_subscriptions(follower=followers[0])
    )


async def update_person_push_settings(
    *, user: WeChatUser, receive_all: bool | None = None, types: Mapping[SupportType, bool] | None = None
) -> PersonPushSettings:
    """`receive_all` False mutes everything, True lifts every mute; then `types` turns single
    support types on or off. Applied to each of the person's followers in one transaction."""
    followers = await _followers(user)
    if not followers:
        raise NotFollowing()
    async with in_transaction():
        for follower in followers:
            if receive_all is True:
                await unmute_support_type(follower=follower, support_type=None)
            elif receive_all is False:
                await mute_support_type(follower=follower, support_type=None)
            for support_type, receive in (types or {}).items():
                if receive:
                    await unmute_support_type(follower=follower, support_type=support_type)
                else:
                    await mute_support_type(follower=follower, support_type=support_type)
    return await person_push_settings(user=user)
