"""The admin's engagement list: staff with provider.manage see every engagement, filtered,
phones masked, and cancel one with a reason; others are refused."""

from __future__ import annotations

from app.engagement.models import Engagement, EngagementStatus
from app.outbox.models import OutboxMessage
from tests.engagement.factories import engage, make_cast, take_to


async def test_service_managers_filter_and_cancel_with_a_reason(signed_in, accounts, settings):
    first = await make_cast()
    second = await make_cast()
    open_one = await engage(first)
    done = await take_to("completed", second, settings)
    fuwu = await signed_in("fuwu")

    status, page, _ = await fuwu.get("/admin/engagements")
    assert status == 200 and first.provider.name in page and second.provider.name in page
    _, page, _ = await fuwu.get("/admin/engagements?status=completed")
    assert f'data-engagement="{done.id}"' in page and f'data-engagement="{open_one.id}"' not in page
    _, page, _ = await fuwu.get(f"/admin/engagements?enterprise={first.enterprise.credit_code}")
    assert f'data-engagement="{open_one.id}"' in page and f'data-engagement="{done.id}"' not in page
    _, page, _ = await fuwu.get(f"/admin/engagements?provider_id={second.provider.id}&date_from=2000-01-01")
    assert f'data-engagement="{done.id}"' in page and f'data-engagement="{open_one.id}"' not in page

    _, page, _ = await fuwu.get(f"/admin/engagements/{open_one.id}")
    assert "138****5678" in page and "13812345678" not in page
    status, _, _ = await fuwu.post(f"/admin/engagements/{open_one.id}/cancel", {"reason": ""},
                                   token_from=f"/admin/engagements/{open_one.id}")
    assert (await Engagement.get(id=open_one.id)).status == EngagementStatus.requested
    status, _, _ = await fuwu.post(f"/admin/engagements/{open_one.id}/cancel", {"reason": "企业已注销"},
                                   token_from=f"/admin/engagements/{open_one.id}")
    assert status == 303
    row = await Engagement.get(id=open_one.id)
    assert (row.status, row.closed_by_role, row.status_reason) == (EngagementStatus.cancelled, "staff", "企业已注销")
    audiences = [m.payload.get("audience") for m in await OutboxMessage.filter(topic="engagement.notify")
                 if m.payload.get("engagement_id") == open_one.id and m.payload.get("action") == "cancel"]
    assert sorted(audiences) == ["enterprise", "provider"]


async def test_staff_without_provider_manage_are_refused(signed_in, accounts):
    keji = await signed_in("keji")
    status, _, _ = await keji.get("/admin/engagements")
    assert status == 403
