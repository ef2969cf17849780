"""Push campaigns in the panel: choose the audience, see the count and the message, send now
or later; the campaign page's live progress, controls and failures — over real HTTP, with the
push worker sending to the simulator."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from app.enterprise.reference import District, SizeClass
from app.policy.models import PolicyStatus, SupportType
from app.policy.service import shanghai_today
from app.policy.targeting import Targeting
from app.push import service
from app.push.models import CampaignStatus, DeliveryReason, DeliveryStatus, PushCampaign, PushDelivery
from tests.policy.factories import make_enterprise, published_policy
from tests.push.factories import Pusher, bound_follower, make_follower, push_settings

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
async def pusher(resources, settings) -> AsyncIterator[Pusher]:
    """The app with the policy-push template configured, and a push worker over the same resources."""
    configured = push_settings(settings)
    original, resources.settings = resources.settings, configured
    worker = Pusher(settings=configured, resources=resources)
    yield worker
    await worker.aclose()
    resources.settings = original


@pytest.fixture
async def sim_counts(wechat):
    async def counts() -> dict[str, int]:
        async with aiohttp.ClientSession() as http, http.get(f"{wechat.url}/_sim/stats") as response:
            stats = await response.json()
        return {openid: c["template"] for openid, c in stats["messages"].items() if c["template"]}

    return counts


async def pudong_policy(**overrides):
    """A published subsidy for Pudong small firms, valid for a year."""
    today = shanghai_today()
    values = {
        "title": "浦东小微科技企业研发补贴",
        "targeting": Targeting(districts=[District.pudong], size_classes=[SizeClass.small]),
        "publish_date": today - timedelta(days=10),
        "effective_date": today - timedelta(days=10),
        "expiry_date": today + timedelta(days=365),
        "apply_start": today - timedelta(days=10),
        "apply_end": today + timedelta(days=60),
        "today": today,
    }
    values.update(overrides)
    return await published_policy(**values)


async def audience() -> dict[str, list]:
    """Two bound followers of Pudong small firms, one of a Xuhui firm, one not bound at all."""
    pudong = [await bound_follower(await make_enterprise(district=District.pudong, size_class=SizeClass.small))
              for _ in range(2)]
    xuhui = [await bound_follower(await make_enterprise(district=District.xuhui, size_class=SizeClass.small))]
    loose = [await make_follower("oLooseFollower01")]
    return {"pudong": pudong, "xuhui": xuhui, "loose": loose}


def fields(policy_id: int | None = None, **overrides: str) -> dict[str, str]:
    values = {"title": "浦东研发补贴推送", "template_name": "policy_push", "kind": "policy_match", "district": "",
              "tag": "", "wechat_tag_id": "", "openids": "", "when": "now", "scheduled_at": ""}
    if policy_id is not None:
        values["policy_id"] = str(policy_id)
    values.update(overrides)
    return values


async def preview(browser, data: dict[str, str]) -> str:
    token = await browser.token("/admin/campaigns")
    status, fragment, _ = await browser.post("/admin/campaigns/preview", data, token=None,
                                             headers={"HX-Request": "true", "X-CSRF-Token": token})
    assert status == 200 and "<html" not in fragment
    return fragment


async def create(browser, data: dict[str, str]) -> tuple[int, str, str]:
    status, page, response = await browser.post("/admin/campaigns/new", data, token_from="/admin/campaigns")
    return status, page, response.headers.get("Location", "")


def count_of(page: str, name: str) -> int:
    match = re.search(rf'data-count="{name}">(\d+)<', page)
    assert match, f"no {name} count on the page"
    return int(match.group(1))


# -- who may open what ---------------------------------------------------------------------------


async def test_campaign_pages_open_for_policy_editors_and_refuse_other_roles(signed_in, pusher):
    policy = await pudong_policy()
    campaign = await service.create_campaign(staff=None, title="测试", policy_id=policy.id,
                                             audience={"kind": "everyone"}, template_name="policy_push",
                                             settings=pusher.settings)
    pages = ["/admin/campaigns", f"/admin/campaigns/new?policy_id={policy.id}", f"/admin/campaigns/{campaign.id}",
             f"/admin/campaigns/{campaign.id}/progress"]
    for username in ("zhengce", "admin"):
        browser = await signed_in(username)
        for path in pages:
            assert (await browser.get(path))[0] == 200, (username, path)
        _, home, _ = await browser.get("/admin/")
        assert 'href="/admin/campaigns"' in home
    for username in ("fuwu", "keji", "pinggu"):
        browser = await signed_in(username)
        for path in pages:
            status, page, _ = await browser.get(path)
            assert status == 403 and "无权访问" in page, (username, path)
        status, _, _ = await browser.post(f"/admin/campaigns/{campaign.id}/start")
        assert status == 403
    assert (await PushCampaign.get(id=campaign.id)).status is CampaignStatus.draft


async def test_an_unknown_campaign_or_policy_is_a_404(signed_in, pusher):
    zhengce = await signed_in("zhengce")
    for path in ("/admin/campaigns/999999", "/admin/campaigns/999999/progress", "/admin/campaigns/new?policy_id=999999"):
        assert (await zhengce.get(path))[0] == 404, path
    status, _, _ = await zhengce.post("/admin/campaigns/999999/launch", token_from="/admin/campaigns")
    assert status == 404


# -- before sending: the count and the message ------------------------------------------------------


async def test_the_preview_shows_the_audience_count_and_the_rendered_message(signed_in, pusher):
    people = await audience()
    policy = await pudong_policy()
    zhengce = await signed_in("zhengce")

    _, detail, _ = await zhengce.get(f"/admin/policies/{policy.id}")
    assert f'href="/admin/campaigns/new?policy_id={policy.id}"' in detail
    status, form, _ = await zhengce.get(f"/admin/campaigns/new?policy_id={policy.id}")
    assert status == 200 and 'value="政策推送：浦东小微科技企业研发补贴"' in form
    assert 'value="policy_match" checked' in form and 'hx-post="/admin/campaigns/preview"' in form

    fragment = await preview(zhengce, fields(policy.id))
    assert "政策匹配企业的绑定粉丝，共 <strong>2</strong> 人" in fragment
    assert '<strong id="preview-will-send">2</strong>' in fragment
    assert "政策名称</th><td>浦东小微科技企业研发补贴" in fragment
    assert "扶持类型</th><td>资金补贴" in fragment and "发布部门</th><td>上海市科学技术委员会" in fragment
    assert f"/h5/policies/{policy.id}" in fragment

    fragment = await preview(zhengce, fields(policy.id, kind="district", district=District.xuhui.value))
    assert "某区企业的绑定粉丝：徐汇区，共 <strong>1</strong> 人" in fragment
    fragment = await preview(zhengce, fields(policy.id, kind="everyone"))
    assert "全部粉丝，共 <strong>4</strong> 人" in fragment
    fragment = await preview(zhengce, fields(policy.id, kind="test_list",
                                             openids=f"{people['loose'][0].openid}\noNobodyAtAll"))
    assert "测试名单（2 人），共 <strong>1</strong> 人" in fragment and "oNobodyAtAll" in fragment

    await service.mute_support_type(follower=people["pudong"][0], support_type=SupportType.subsidy)
    fragment = await preview(zhengce, fields(policy.id))
    assert "（其中 1 人已退订，将跳过）" in fragment and '<strong id="preview-will-send">1</strong>' in fragment

    fragment = await preview(zhengce, fields(policy.id, kind="district"))
    assert "按区推送需要选择一个区" in fragment and "validation error" not in fragment
    status, page, _ = await create(zhengce, fields(policy.id, kind="test_list", openids=""))
    assert status == 400 and "测试名单至少需要一个 openid" in page
    assert 'value="政策推送：浦东小微科技企业研发补贴"' not in page and 'value="浦东研发补贴推送"' in page  # kept as typed
    assert not await PushCampaign.exists()  # previews write nothing


# -- sending, and the campaign page ----------------------------------------------------------------


async def test_a_campaign_created_on_the_page_reaches_exactly_the_matched_followers(signed_in, pusher, sim_counts):
    people = await audience()
    policy = await pudong_policy()
    zhengce = await signed_in("zhengce")

    status, _, location = await create(zhengce, fields(policy.id))
    assert status == 303
    campaign = await PushCampaign.get(id=int(location.rsplit("/", 1)[1]))
    assert campaign.status is CampaignStatus.running and campaign.total == 2
    assert campaign.policy_id == policy.id

    _, page, _ = await zhengce.get(location)
    assert "推送已开始发送" in page and "浦东研发补贴推送" in page
    assert 'hx-get="/admin/campaigns/%d/progress" hx-trigger="every 2s"' % campaign.id in page  # live while running
    assert count_of(page, "queued") == 2 and count_of(page, "sent") == 0
    assert 'data-action="pause"' in page and 'data-action="cancel"' in page

    await pusher.run(campaign)  # the push worker

    assert await sim_counts() == {follower.openid: 1 for follower in people["pudong"]}
    status, fragment, _ = await zhengce.get(f"/admin/campaigns/{campaign.id}/progress",
                                            headers={"HX-Request": "true"})
    assert status == 200 and "<html" not in fragment
    assert 'data-status="completed"' in fragment and "every 2s" not in fragment  # polling stops when done
    assert count_of(fragment, "total") == 2 and count_of(fragment, "sent") == 2 and count_of(fragment, "failed") == 0
    assert "已完成 100.0%" in fragment

    _, page, _ = await zhengce.get(f"/admin/campaigns/{campaign.id}")
    assert "政策名称</th><td>浦东小微科技企业研发补贴" in page  # the message as it was sent
    _, listing, _ = await zhengce.get("/admin/campaigns")
    assert f'href="/admin/campaigns/{campaign.id}"' in listing and "已完成" in listing
    _, detail, _ = await zhengce.get(f"/admin/policies/{policy.id}")
    assert f'href="/admin/campaigns/{campaign.id}"' in detail  # the policy lists its pushes


async def test_failures_are_counted_by_reason_and_listed(signed_in, pusher, wechat):
    people = await audience()
    gone = people["pudong"][0]
    muted = people["pudong"][1]
    keen = await bound_follower(await make_enterprise(district=District.pudong, size_class=SizeClass.small))
    await service.mute_support_type(follower=muted, support_type=SupportType.subsidy)
    async with aiohttp.ClientSession() as http:
        await http.post(f"{wechat.url}/_sim/followers", json={"openid": gone.openid, "subscribed": False})
    policy = await pudong_policy()
    zhengce = await signed_in("zhengce")
    _, _, location = await create(zhengce, fields(policy.id))
    campaign = await PushCampaign.get(id=int(location.rsplit("/", 1)[1]))

    await pusher.run(campaign)

    _, page, _ = await zhengce.get(location)
    assert count_of(page, "sent") == 1 and count_of(page, "failed") == 1 and count_of(page, "skipped") == 1
    reasons = page.split('id="failure-reasons"', 1)[1].split("</table>", 1)[0]
    assert DeliveryReason.not_follower.label in reasons and DeliveryReason.muted.label in reasons
    rows = page.split('id="failure-rows"', 1)[1].split("</table>", 1)[0]
    assert gone.openid in rows and "43004" in rows and muted.openid in rows
    assert keen.openid not in rows

    _, only_muted, _ = await zhengce.get(f"{location}?reason=muted")
    rows = only_muted.split('id="failure-rows"', 1)[1].split("</table>", 1)[0]
    assert muted.openid in rows and gone.openid not in rows


async def test_pause_resume_and_cancel_from_the_campaign_page(signed_in, pusher, sim_counts):
    await audience()
    policy = await pudong_policy()
    zhengce = await signed_in("zhengce")
    _, _, location = await create(zhengce, fields(policy.id))
    campaign_id = int(location.rsplit("/", 1)[1])

    status, _, _ = await zhengce.post(f"{location}/pause", {"reason": "核对模板内容"}, token_from=location)
    assert status == 303
    _, page, _ = await zhengce.get(location)
    assert "推送已暂停" in page and "核对模板内容" in page and 'data-status="paused"' in page
    assert 'data-action="resume"' in page and 'data-action="pause"' not in page
    assert "every 2s" not in page
    await pusher.run(await PushCampaign.get(id=campaign_id))  # a worker finds it paused and sends nothing
    assert await sim_counts() == {}

    # Pausing twice is refused with the reason.
    await zhengce.post(f"{location}/pause", token_from=location)
    _, page, _ = await zhengce.get(location)
    assert "操作未完成" in page and "不能暂停" in page

    await zhengce.post(f"{location}/resume", token_from=location)
    assert (await PushCampaign.get(id=campaign_id)).status is CampaignStatus.running
    await zhengce.post(f"{location}/cancel", {"reason": "政策内容有误"}, token_from=location)
    cancelled = await PushCampaign.get(id=campaign_id)
    assert cancelled.status is CampaignStatus.cancelled and "政策内容有误" in cancelled.pause_reason
    statuses = set(await PushDelivery.filter(campaign_id=campaign_id).values_list("status", flat=True))
    assert statuses == {DeliveryStatus.skipped}
    _, page, _ = await zhengce.get(location)
    assert "推送已取消" in page and 'data-action=' not in page.split('id="campaign-buttons"', 1)[1].split("</div>", 1)[0]


async def test_a_campaign_is_scheduled_for_later_in_beijing_time(signed_in, pusher):
    await audience()
    policy = await pudong_policy()
    zhengce = await signed_in("zhengce")
    later = (datetime.now(SHANGHAI) + timedelta(hours=2)).replace(second=0, microsecond=0)

    status, _, location = await create(zhengce, fields(policy.id, when="later",
                                                        scheduled_at=later.strftime("%Y-%m-%dT%H:%M")))
    assert status == 303
    campaign = await PushCampaign.get(id=int(location.rsplit("/", 1)[1]))
    assert campaign.status is CampaignStatus.scheduled and campaign.scheduled_at == later
    assert not await PushDelivery.exists()  # nothing is queued before its time
    _, page, _ = await zhengce.get(location)
    assert f"推送已排期，将于 {later.strftime('%Y-%m-%d %H:%M')} 开始发送" in page
    assert 'data-action="start"' in page and 'data-action="cancel"' in page

    past = (datetime.now(SHANGHAI) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    status, page, _ = await create(zhengce, fields(policy.id, when="later", scheduled_at=past))
    assert status == 400 and "定时发送时间必须晚于现在" in page
    status, page, _ = await create(zhengce, fields(policy.id, when="later", scheduled_at=""))
    assert status == 400 and "请选择定时发送的时间" in page
    assert await PushCampaign.all().count() == 1


async def test_an_expired_or_withdrawn_policy_cannot_be_pushed_from_the_page(signed_in, pusher):
    await audience()
    lapsed = await pudong_policy(title="已过期的补贴", publish_date=date(2024, 1, 1), effective_date=date(2024, 1, 1),
                                 expiry_date=date(2024, 12, 31), apply_start=None, apply_end=None,
                                 today=date(2024, 6, 1))
    zhengce = await signed_in("zhengce")
    _, detail, _ = await zhengce.get(f"/admin/policies/{lapsed.id}")
    assert 'id="push-button"' not in detail
    status, form, _ = await zhengce.get(f"/admin/campaigns/new?policy_id={lapsed.id}")
    assert status == 200 and "该政策未发布或已过期，不能推送" in form
    assert "政策未发布或已过期，不能推送" in await preview(zhengce, fields(lapsed.id))
    status, page, _ = await create(zhengce, fields(lapsed.id))
    assert status == 400 and "政策未发布或已过期，不能推送" in page
    assert not await PushCampaign.exists()
    assert lapsed.status is PolicyStatus.published  # only its date has passed


async def test_a_test_list_campaign_without_a_policy_reaches_only_the_listed_openids(signed_in, pusher, sim_counts):
    people = await audience()
    zhengce = await signed_in("zhengce")
    _, form, _ = await zhengce.get("/admin/campaigns/new")
    assert 'value="policy_match"' not in form  # no policy, no matching
    policy = await pudong_policy()
    openid = people["xuhui"][0].openid
    status, _, location = await create(zhengce, fields(policy.id, title="测试推送", kind="test_list", openids=openid))
    assert status == 303
    await pusher.run(await PushCampaign.get(id=int(location.rsplit("/", 1)[1])))
    assert await sim_counts() == {openid: 1}
