"""Followers and tags: `/cgi-bin/user/*` and `/cgi-bin/tags/*`."""

from __future__ import annotations

from typing import Any

from app.simulator.errors import WxError
from app.simulator.pipeline import Call, Route
from app.simulator.users import MAX_TAGS, MAX_TAGS_PER_USER, SYSTEM_TAGS

__all__ = ["ROUTES"]

USER_PAGE = 10_000
MAX_BATCH_GET = 100
MAX_TAG_BATCH = 50
MAX_TAG_NAME = 30
_OK = {"errcode": 0, "errmsg": "ok"}


async def user_info(call: Call) -> dict[str, Any]:
    openid = call.params.get("openid")
    if not openid:
        raise WxError(41009)
    follower = call.state.followers.find(call.appid or "", openid)
    if follower is None:
        raise WxError(40003)
    return follower.info(call.params.get("lang") or "zh_CN")


async def user_get(call: Call) -> dict[str, Any]:
    """One page of subscribed followers known to the simulator (registered or
    seen through pushes; implicit followers are not listed)."""
    openids = call.state.followers.subscribed_openids(call.appid or "")
    start = 0
    next_openid = call.params.get("next_openid")
    if next_openid:
        try:
            start = openids.index(next_openid) + 1
        except ValueError:
            raise WxError(40003) from None
    page = openids[start : start + USER_PAGE]
    out: dict[str, Any] = {"total": len(openids), "count": len(page)}
    if page:
        out["data"] = {"openid": page}
        out["next_openid"] = page[-1]
    else:
        out["next_openid"] = ""
    return out


async def user_batchget(call: Call) -> dict[str, Any]:
    body = call.body()
    users = body.get("user_list")
    if not isinstance(users, list) or not 1 <= len(users) <= MAX_BATCH_GET:
        raise WxError(40032)
    infos = []
    for item in users:
        openid = item.get("openid") if isinstance(item, dict) else None
        follower = call.state.followers.find(call.appid or "", openid)
        if follower is None:
            raise WxError(40003)
        infos.append(follower.info(item.get("lang") or "zh_CN"))
    return {"user_info_list": infos}


def _tag_name(tag: Any) -> str:
    name = tag.get("name") if isinstance(tag, dict) else None
    if not isinstance(name, str) or not name:
        raise WxError(45157)
    if len(name) > MAX_TAG_NAME:
        raise WxError(45158)
    return name


def _tag_id(call: Call, value: Any, *, modifiable: bool = False) -> int:
    tags = call.state.tags.tags(call.appid or "")
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or value not in tags:
        raise WxError(45159)
    if modifiable and value in SYSTEM_TAGS:
        raise WxError(45058)
    return value


async def tags_create(call: Call) -> dict[str, Any]:
    body = call.body()
    name = _tag_name(body.get("tag"))
    appid = call.appid or ""
    tags = call.state.tags.tags(appid)
    if name in tags.values():
        raise WxError(45157)
    if len(tags) - len(SYSTEM_TAGS) >= MAX_TAGS:
        raise WxError(45056)
    tag_id = call.state.tags.create(appid, name)
    return {"tag": {"id": tag_id, "name": name}}


async def tags_get(call: Call) -> dict[str, Any]:
    appid = call.appid or ""
    followers = call.state.followers.stored(appid).values()
    tags = call.state.tags.tags(appid)
    return {
        "tags": [
            {"id": tag_id, "name": name, "count": sum(1 for f in followers if tag_id in f.tags)}
            for tag_id, name in sorted(tags.items())
        ]
    }


async def tags_update(call: Call) -> dict[str, Any]:
    body = call.body()
    tag = body.get("tag")
    tag_id = _tag_id(call, tag.get("id") if isinstance(tag, dict) else None, modifiable=True)
    name = _tag_name(tag)
    tags = call.state.tags.tags(call.appid or "")
    if any(other == name and i != tag_id for i, other in tags.items()):
        raise WxError(45157)
    tags[tag_id] = name
    return dict(_OK)


async def tags_delete(call: Call) -> dict[str, Any]:
    body = call.body()
    tag = body.get("tag")
    appid = call.appid or ""
    tag_id = _tag_id(call, tag.get("id") if isinstance(tag, dict) else None, modifiable=True)
    del call.state.tags.tags(appid)[tag_id]
    for follower in call.state.followers.stored(appid).values():
        follower.tags.discard(tag_id)
    return dict(_OK)


def _tag_members(call: Call) -> tuple[int, list[str]]:
    body = call.body()
    openids = body.get("openid_list")
    if not isinstance(openids, list) or not 1 <= len(openids) <= MAX_TAG_BATCH:
        raise WxError(40032)
    tag_id = _tag_id(call, body.get("tagid"))
    for openid in openids:
        if call.state.followers.find(call.appid or "", openid) is None:
            raise WxError(40003)
    return tag_id, openids


async def tags_batchtagging(call: Call) -> dict[str, Any]:
    tag_id, openids = _tag_members(call)
    appid = call.appid or ""
    followers = [call.state.followers.ensure(appid, openid) for openid in openids]
    if any(tag_id not in f.tags and len(f.tags) >= MAX_TAGS_PER_USER for f in followers):
        raise WxError(45059)
    for follower in followers:
        follower.tags.add(tag_id)
    return dict(_OK)


async def tags_batchuntagging(call: Call) -> dict[str, Any]:
    tag_id, openids = _tag_members(call)
    stored = call.state.followers.stored(call.appid or "")
    for openid in openids:
        follower = stored.get(openid)
        if follower is not None:
            follower.tags.discard(tag_id)
    return dict(_OK)


async def tags_getidlist(call: Call) -> dict[str, Any]:
    body = call.body()
    follower = call.state.followers.find(call.appid or "", body.get("openid"))
    if follower is None:
        raise WxError(40003)
    return {"tagid_list": sorted(follower.tags)}


async def tag_users(call: Call) -> dict[str, Any]:
    """`/cgi-bin/user/tag/get`: followers with a tag, 10,000 per page."""
    body = call.body()
    tag_id = _tag_id(call, body.get("tagid"))
    openids = [f.openid for f in call.state.followers.stored(call.appid or "").values() if tag_id in f.tags]
    start = 0
    next_openid = body.get("next_openid")
    if next_openid:
        start = openids.index(next_openid) + 1 if next_openid in openids else len(openids)
    page = openids[start : start + USER_PAGE]
    out: dict[str, Any] = {"count": len(page), "next_openid": page[-1] if page else ""}
    if page:
        out["data"] = {"openid": page}
    return out


ROUTES = [
    Route("/cgi-bin/user/info", user_info),
    Route("/cgi-bin/user/get", user_get),
    Route("/cgi-bin/user/info/batchget", user_batchget, post_only=True),
    Route("/cgi-bin/user/tag/get", tag_users, post_only=True),
    Route("/cgi-bin/tags/create", tags_create, post_only=True),
    Route("/cgi-bin/tags/get", tags_get),
    Route("/cgi-bin/tags/update", tags_update, post_only=True),
    Route("/cgi-bin/tags/delete", tags_delete, post_only=True),
    Route("/cgi-bin/tags/members/batchtagging", tags_batchtagging, post_only=True),
    Route("/cgi-bin/tags/members/batchuntagging", tags_batchuntagging, post_only=True),
    Route("/cgi-bin/tags/getidlist", tags_getidlist, post_only=True),
]
