"""Who a campaign reaches, per audience kind, and how the ledger is written for them."""

from __future__ import annotations

import pytest

from app.enterprise.reference import District, SizeClass
from app.identity.models import EnterpriseBinding, Follower
from app.policy.models import PolicyStatus, SupportType
from app.push import audience, service
from app.push.audience import AudienceSpec
from app.push.models import DeliveryReason, DeliveryStatus, PushDelivery, PushMute
from tests.push.factories import bound_follower, make_enterprise, make_follower, make_policy


async def _openids(spec: dict, policy=None) -> set[str]:
    sql, params = audience.follower_sql(AudienceSpec.model_validate(spec), policy=policy, today=_today())
    from tortoise import connections

    _, rows = await connections.get("default").execute_query(sql, params)
    return {dict(row)["openid"] for row in rows}


def _today():
    from app.policy.service import shanghai_today

    return shanghai_today()


async def test_policy_match_reaches_the_bound_followers_of_matching_enterprises_only(db):
    pudong_small = await make_enterprise(district=District.pudong, size_class=SizeClass.small)
    pudong_large = await make_enterprise(district=District.pudong, size_class=SizeClass.large)
    xuhui_small = await make_enterprise(district=District.xuhui, size_class=SizeClass.small)
    fits = await bound_follower(pudong_small, "oFitsPolicy01")
    await bound_follower(pudong_large, "oTooLarge0001")
    await bound_follower(xuhui_small, "oWrongDistr01")
    await make_follower("oNotBound0001")
    policy = await make_policy(targeting={"districts": ["310115"], "size_classes": ["small", "micro"]})

    assert await _openids({"kind": "policy_match"}, policy) == {fits.openid}


async def test_revoked_bindings_unsubscribed_and_unreachable_followers_are_left_out(db):
    enterprise = await make_enterprise()
    kept = await bound_follower(enterprise, "oKeptFollow01")
    revoked = await bound_follower(enterprise, "oRevokedBnd01")
    await EnterpriseBinding.filter(user_id=revoked.user_id).update(revoked_at=revoked.created_at)
    await bound_follower(enterprise, "oUnsubscrib01", subscribed=False)
    await bound_follower(enterprise, "oUnreachabl01", unreachable_reason="43004")
    policy = await make_policy()

    assert await _openids({"kind": "policy_match"}, policy) == {kept.openid}


async def test_a_person_bound_to_two_matching_enterprises_is_one_recipient(db):
    first, second = await make_enterprise(), await make_enterprise()
    follower = await bound_follower(first, "oTwoFirms0001")
    await EnterpriseBinding.create(user_id=follower.user_id, enterprise=second, role="contact", verified_by="test")
    policy = await make_policy()

    spec = AudienceSpec(kind="policy_match")
    assert await audience.count_audience(spec, policy=policy, today=_today()) == 1


async def test_district_kind_uses_the_register_district(db):
    pudong = await bound_follower(await make_enterprise(district=District.pudong), "oPudongFirm01")
    await bound_follower(await make_enterprise(district=District.minhang), "oMinhangFirm1")

    assert await _openids({"kind": "district", "district": "310115"}) == {pudong.openid}


async def test_tag_kind_takes_an_enterprise_tag_or_a_wechat_follower_tag(db):
    tagged = await bound_follower(await make_enterprise(tags=["专精特新", "高新技术企业"]), "oZhuanJing001")
    await bound_follower(await make_enterprise(tags=["高新技术企业"]), "oGaoXinOnly01")
    starred = await make_follower("oStarredFan01", wechat_tag_ids=[2, 101])
    await make_follower("oOtherTagFan1", wechat_tag_ids=[102])

    assert await _openids({"kind": "tag", "tag": "专精特新"}) == {tagged.openid}
    assert await _openids({"kind": "tag", "wechat_tag_id": 101}) == {starred.openid}


async def test_everyone_and_test_list(db):
    a = await make_follower("oEveryone0001")
    b = await make_follower("oEveryone0002")
    await make_follower("oGoneAway0001", subscribed=False)

    assert await _openids({"kind": "everyone"}) == {a.openid, b.openid}
    assert await _openids({"kind": "test_list", "openids": [b.openid, "oGoneAway0001", "oNoSuchFan01"]}) == {b.openid}
    spec = AudienceSpec(kind="test_list", openids=[b.openid, "oGoneAway0001", "oNoSuchFan01"])
    assert await audience.missing_test_openids(spec) == ["oGoneAway0001", "oNoSuchFan01"]


@pytest.mark.parametrize(
    "spec",
    [
        {"kind": "district"},
        {"kind": "tag"},
        {"kind": "tag", "tag": "专精特新", "wechat_tag_id": 1},
        {"kind": "test_list", "openids": []},
        {"kind": "nobody"},
    ],
)
def test_incomplete_audiences_are_refused(spec):
    with pytest.raises(ValueError):
        AudienceSpec.model_validate(spec)


async def test_materialising_writes_one_row_per_recipient_and_is_idempotent(db):
    followers = [await make_follower() for _ in range(30)]
    muted = followers[0]
    await PushMute.create(follower=muted, scope="subsidy")
    await PushMute.create(follower=followers[1], scope="tax")  # another type: still pushed
    policy = await make_policy(support_type=SupportType.subsidy)
    from app.push.models import PushCampaign

    campaign = await PushCampaign.create(title="t", policy=policy, template_name="policy_push", audience={})
    spec = AudienceSpec(kind="everyone")

    first = await audience.materialise(
        campaign_id=campaign.id, spec=spec, policy=policy, support_type="subsidy", today=_today()
    )
    again = await audience.materialise(
        campaign_id=campaign.id, spec=spec, policy=policy, support_type="subsidy", today=_today()
    )

    assert first == again == 30
    assert await PushDelivery.filter(campaign_id=campaign.id).count() == 30
    skipped = await PushDelivery.get(campaign_id=campaign.id, follower_id=muted.id)
    assert (skipped.status, skipped.reason) == (DeliveryStatus.skipped, DeliveryReason.muted.value)
    assert await PushDelivery.filter(campaign_id=campaign.id, status=DeliveryStatus.queued).count() == 29


async def test_preview_shows_count_muted_message_and_warnings(db, settings):
    from tests.push.factories import push_settings

    enterprise = await make_enterprise()
    for n in range(3):
        await bound_follower(enterprise, f"oPreview000{n}")
    muted = await Follower.get(openid="oPreview0000")
    await PushMute.create(follower=muted, scope="all")
    policy = await make_policy(title="浦东新区关于支持科技型中小企业研发投入的若干措施和实施细则（试行）")

    preview = await service.preview_campaign(
        policy_id=policy.id, audience={"kind": "policy_match"}, template_name="policy_push",
        settings=push_settings(settings),
    )

    assert (preview.count, preview.muted, preview.will_send, preview.pushable) == (3, 1, 2, True)
    assert preview.message is not None and preview.message.data["thing1"]["value"].endswith("…")
    assert any("已退订" in w for w in preview.warnings)
    assert any("截短" in w for w in preview.warnings)


async def test_preview_warns_that_an_expired_policy_cannot_be_pushed(db, settings):
    policy = await make_policy(status=PolicyStatus.expired)

    preview = await service.preview_campaign(
        policy_id=policy.id, audience={"kind": "everyone"}, template_name="policy_push", settings=settings
    )

    assert preview.pushable is False
    assert service.NOT_PUSHABLE in preview.warnings
    assert any("模板 ID 未配置" in w for w in preview.warnings)
