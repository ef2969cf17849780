"""Helpers for the notice and deadline tests: configured template ids, the simulator's
record of what WeChat delivered, and staff who linked their WeChat."""

from __future__ import annotations

import dataclasses
import itertools
from typing import Any

import aiohttp

from app.identity.models import Follower
from app.resources import Resources
from app.staff.models import Staff

__all__ = ["TEMPLATES", "configured", "delivered", "link_wechat", "template_id"]

TEMPLATES = {
    f"template_{name}": f"TPL_{name}"
    for name in ("appeal_progress", "appeal_accepted", "appeal_dispatched", "appeal_replied", "appeal_assigned",
                 "appeal_overdue")
}
_openids = itertools.count(1)


def template_id(name: str) -> str:
    return TEMPLATES[f"template_{name}"]


def configured(resources: Resources, **overrides: Any) -> Resources:
    """The test's resources with every appeal notification configured."""
    settings = resources.settings.model_copy(update={**TEMPLATES, "public_base_url": "https://qiyun.example.gov.cn",
                                                     **overrides})
    return dataclasses.replace(resources, settings=settings)


async def delivered(
    wechat, *, kind: str | None = None, openid: str | None = None, template: str | None = None
) -> list[dict[str, Any]]:
    """Messages the simulated WeChat delivered (its `/_sim/messages`), oldest first;
    `template` keeps those of one definition (by name)."""
    params = {k: v for k, v in {"kind": kind, "openid": openid}.items() if v}
    async with aiohttp.ClientSession() as http, http.get(f"{wechat.url}/_sim/messages", params=params) as response:
        assert response.status == 200
        messages = (await response.json())["messages"]
    if template is not None:
        messages = [m for m in messages if m["payload"].get("template_id") == template_id(template)]
    return messages


async def link_wechat(staff: Staff, openid: str | None = None) -> Follower:
    """The staff member follows the official account and linked it to their account."""
    follower = await Follower.create(openid=openid or f"o-staff-{next(_openids):06d}")
    staff.follower = follower
    await staff.save(update_fields=["follower_id"])
    return follower


def phrase(message: dict[str, Any], key: str) -> str:
    return message["payload"]["data"][key]["value"]


__all__ += ["phrase"]
