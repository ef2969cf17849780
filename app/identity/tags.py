"""Follower tags, kept in step with the official account's user tags on WeChat.

WeChat is the source of truth (push campaigns target tags there); Qiyun mirrors each
follower's tag ids in `Follower.wechat_tag_ids` so staff can filter and read them
without an API call, and keeps the tag list (ids, names, counts) in Redis. Every change
goes to WeChat first and is mirrored only when WeChat accepted it; "sync from WeChat"
rebuilds the mirror from WeChat's own membership lists, for changes made elsewhere
(e.g. in the official account's web console).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from tortoise.transactions import in_transaction

from app.audit import service as audit
from app.identity.models import Follower
from app.staff.models import Staff
from app.wechat import WeChatClient
from app.wechat.errors import WeChatAPIError, WeChatValidationError

__all__ = [
    "MAX_TAGS_PER_FOLLOWER",
    "SyncReport",
    "Tag",
    "TagError",
    "create_tag",
    "delete_tag",
    "list_tags",
    "rename_tag",
    "set_follower_tags",
    "sync_from_wechat",
]

logger = logging.getLogger("qiyun.tags")

MAX_TAG_NAME = 30
MAX_TAGS_PER_FOLLOWER = 20
_CACHE = "qiyun:wechat:tags"
_CACHE_SECONDS = 24 * 3600
_BATCH = 500

_ERRCODE_MESSAGES = {
    45056: "标签数量已达微信上限（100 个）。",
    45057: "该标签下粉丝超过 10 万，微信不允许删除。",
    45058: "微信系统标签（如“星标组”）不能修改或删除。",
    45059: "该粉丝的标签已达微信上限（20 个）。",
    45157: "标签名称为空或已存在。",
    45158: "标签名称超过 30 个字。",
    45159: "标签在微信上已不存在，请先“从微信同步”。",
    40003: "该粉丝的 openid 无效或已取消关注。",
}


class TagError(ValueError):
    """A tag operation was refused (locally or by WeChat); the message is meant for staff."""


@dataclass(frozen=True)
class Tag:
    id: int
    name: str
    count: int = 0


@dataclass(frozen=True)
class SyncReport:
    tags: int
    tagged_openids: int
    followers_updated: int


async def list_tags(*, client: WeChatClient, redis: Redis, refresh: bool = False) -> list[Tag]:
    """The account's tags (cached; `refresh` asks WeChat again)."""
    if not refresh:
        cached = await redis.get(_CACHE)
        if cached is not None:
            return [Tag(**item) for item in json.loads(cached)]
    tags = [Tag(int(t["id"]), str(t["name"]), int(t.get("count", 0))) for t in await _call(client.user.get_tags())]
    await _store(redis, tags)
    return tags


async def create_tag(*, actor: Staff, client: WeChatClient, redis: Redis, name: str) -> Tag:
    name = _name(name)
    created = await _call(client.user.create_tag(name))
    tag = Tag(int(created["id"]), str(created["name"]))
    await audit.record(staff=actor, action="tag.create", target_type="wechat_tag", target_id=tag.id, detail={"name": name})
    await list_tags(client=client, redis=redis, refresh=True)
    return tag


async def rename_tag(*, actor: Staff, client: WeChatClient, redis: Redis, tag_id: int, name: str) -> None:
    name = _name(name)
    before = {tag.id: tag.name for tag in await list_tags(client=client, redis=redis)}.get(tag_id, "")
    await _call(client.user.update_tag(tag_id, name))
    await audit.record(
        staff=actor, action="tag.rename", target_type="wechat_tag", target_id=tag_id, detail={"from": before, "to": name}
    )
    await list_tags(client=client, redis=redis, refresh=True)


async def delete_tag(*, actor: Staff, client: WeChatClient, redis: Redis, tag_id: int) -> int:
    """Delete a tag on WeChat and from every follower's mirror; returns how many followers had it."""
    before = {tag.id: tag.name for tag in await list_tags(client=client, redis=redis)}.get(tag_id, "")
    await _call(client.user.delete_tag(tag_id))
    changed = 0
    async with in_transaction():
        async for batch in _follower_batches():
            for row in batch:
                ids = [int(t) for t in row["wechat_tag_ids"] or []]
                if tag_id in ids:
                    await Follower.filter(id=row["id"]).update(wechat_tag_ids=[t for t in ids if t != tag_id])
                    changed += 1
        await audit.record(
            staff=actor, action="tag.delete", target_type="wechat_tag", target_id=tag_id,
            detail={"name": before, "followers": changed},
        )
    await list_tags(client=client, redis=redis, refresh=True)
    return changed


async def set_follower_tags(
    *, actor: Staff, client: WeChatClient, redis: Redis, follower_id: int, tag_ids: list[int]
) -> Follower:
    """Give a follower exactly `tag_ids`: tag and untag on WeChat, then mirror the result."""
    follower = await Follower.get_or_none(id=follower_id)
    if follower is None:
        raise TagError("未找到该粉丝。")
    wanted = sorted(set(int(t) for t in tag_ids))
    known = {tag.id for tag in await list_tags(client=client, redis=redis)}
    unknown = [t for t in wanted if t not in known]
    if unknown:
        raise TagError("所选标签在微信上已不存在，请先“从微信同步”。")
    if len(wanted) > MAX_TAGS_PER_FOLLOWER:
        raise TagError(f"一个粉丝最多可有 {MAX_TAGS_PER_FOLLOWER} 个标签。")
    current = [int(t) for t in follower.wechat_tag_ids or []]
    added = [t for t in wanted if t not in current]
    removed = [t for t in current if t not in wanted and t in known]
    for tag_id in removed:
        await _call(client.user.untag_users(tag_id, [follower.openid]))
    for tag_id in added:
        await _call(client.user.tag_users(tag_id, [follower.openid]))
    mirrored = sorted(set(t for t in current if t not in removed) | set(added))
    async with in_transaction():
        await Follower.filter(id=follower.id).update(wechat_tag_ids=mirrored)
        await audit.record(
            staff=actor, action="follower.tags", target_type="follower", target_id=follower.id,
            detail={"openid": follower.openid, "added": added, "removed": removed},
        )
    follower.wechat_tag_ids = mirrored
    if added or removed:
        await list_tags(client=client, redis=redis, refresh=True)
    return follower


async def sync_from_wechat(*, actor: Staff, client: WeChatClient, redis: Redis) -> SyncReport:
    """Rebuild the tag list and every follower's mirrored tags from WeChat's membership lists."""
    tags = await list_tags(client=client, redis=redis, refresh=True)
    membership: dict[str, set[int]] = {}
    for tag in tags:
        next_openid: str | None = None
        while True:
            page = await _call(client.user.get_tag_users(tag.id, next_openid))
            openids = (page.get("data") or {}).get("openid") or []
            for openid in openids:
                membership.setdefault(openid, set()).add(tag.id)
            next_openid = page.get("next_openid") or None
            if not openids or not next_openid:
                break
    updated = 0
    async with in_transaction():
        async for batch in _follower_batches():
            for row in batch:
                wanted = sorted(membership.get(row["openid"], ()))
                if sorted(int(t) for t in row["wechat_tag_ids"] or []) != wanted:
                    await Follower.filter(id=row["id"]).update(wechat_tag_ids=wanted)
                    updated += 1
        report = SyncReport(tags=len(tags), tagged_openids=len(membership), followers_updated=updated)
        await audit.record(staff=actor, action="tag.sync", target_type="wechat_tag", detail=report.__dict__)
    return report


async def _follower_batches():
    last = 0
    while True:
        rows = await (
            Follower.filter(id__gt=last).order_by("id").limit(_BATCH).values("id", "openid", "wechat_tag_ids")
        )
        if not rows:
            return
        yield rows
        last = rows[-1]["id"]


def _name(name: str) -> str:
    name = name.strip()
    if not name:
        raise TagError("请填写标签名称。")
    if len(name) > MAX_TAG_NAME:
        raise TagError(f"标签名称最多 {MAX_TAG_NAME} 个字。")
    return name


async def _store(redis: Redis, tags: list[Tag]) -> None:
    payload = [tag.__dict__ for tag in tags]
    await redis.set(_CACHE, json.dumps(payload, ensure_ascii=False), ex=_CACHE_SECONDS)


async def _call(awaitable: Any) -> Any:
    """Await a WeChat call; its failure becomes a `TagError` staff can read."""
    try:
        return await awaitable
    except WeChatValidationError as exc:
        raise TagError(f"请求不符合微信的要求：{exc}") from None
    except WeChatAPIError as exc:
        errcode = getattr(exc, "errcode", None)
        logger.warning("tag operation failed: errcode %s", errcode)
        message = _ERRCODE_MESSAGES.get(errcode) if isinstance(errcode, int) else None
        raise TagError(message or f"微信接口调用失败（错误码 {errcode}），请稍后重试。") from None
