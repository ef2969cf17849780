"""H5 policy pages: the searchable list and the detail page, public, escaped, expired marked."""

from __future__ import annotations

from datetime import date, timedelta

from app.policy.models import PolicyStatus, SupportType
from tests.handlers.test_policy_chat import publish


async def get(http, url: str) -> tuple[int, str]:
    async with http.get(url) as response:
        return response.status, await response.text()


async def test_the_list_searches_and_highlights(server, http, db):
    await publish("科技型中小企业研发费用补贴实施细则", summary="对研发投入给予资助")
    await publish("人才公寓租赁管理办法", summary="人才公寓", support_type=SupportType.talent)
    status, page = await get(http, f"{server}/h5/policies?q=研发补贴")
    assert status == 200 and '<meta charset="utf-8">' in page
    assert "<em>研发</em>" in page and "人才公寓" not in page
    status, page = await get(http, f"{server}/h5/policies")
    assert "人才公寓租赁管理办法" in page and "共 2 条政策" in page


async def test_the_detail_shows_the_policy_and_marks_an_expired_one(server, http, db):
    live = await publish("首台套装备保险补偿办法", summary="首台套<script>alert(1)</script>")
    status, page = await get(http, f"{server}/h5/policies/{live.id}")
    assert status == 200 and "首台套装备保险补偿办法" in page and "沪科规〔2026〕1号" in page
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    old = await publish("旧版首台套办法", summary="旧", expiry=date.today() - timedelta(days=3),
                        status=PolicyStatus.expired)
    status, page = await get(http, f"{server}/h5/policies/{old.id}")
    assert status == 200 and "本政策已失效" in page


async def test_drafts_and_unknown_ids_are_not_found(server, http, db):
    draft = await publish("未发布的政策", summary="草稿", status=PolicyStatus.draft)
    for policy_id in (draft.id, 999_999):
        status, page = await get(http, f"{server}/h5/policies/{policy_id}")
        assert status == 404 and "该政策不存在或尚未发布" in page
