"""The admin's provider pages and the public H5 directory, over real HTTP: review an
application against the criteria, register a provider, warn and suspend it (it leaves the
public list), reinstate it; exclude a flagged rating; decide a complaint."""

from __future__ import annotations

from app.audit.models import AuditLog
from app.identity.models import EnterpriseBinding, WeChatUser
from app.provider import admission, management
from app.provider.models import Provider, ProviderComplaint, ProviderEvent, ProviderStatus
from tests.identity.factories import make_credit_code, make_enterprise

from .factories import add_ratings, admitted_provider, draft, product_of


async def test_a_service_manager_reviews_an_application_against_the_criteria(signed_in):
    fuwu = await signed_in("fuwu")
    status, _, _ = await fuwu.post("/admin/providers/criteria", {"category": "ip", "title": "具备专利代理执业资质",
                                                                 "description": "持有有效的专利代理机构执业许可证"},
                                   token_from="/admin/providers/criteria")
    assert status == 303
    applicant = await WeChatUser.create()
    provider = await admission.apply(user=applicant, draft=draft(contact_phone="13912345678"))

    status, page, _ = await fuwu.get("/admin/providers?status=applied")
    assert status == 200 and provider.name in page
    assert "139****5678" in page and "13912345678" not in page
    status, page, _ = await fuwu.get(f"/admin/providers/{provider.id}")
    assert "具备专利代理执业资质" in page and "准予入驻" in page

    path = f"/admin/providers/{provider.id}"
    status, _, _ = await fuwu.post(f"{path}/review", {"action": "refuse", "reason": ""}, token_from=path)
    assert status == 303
    assert ProviderStatus((await Provider.get(id=provider.id)).status) is ProviderStatus.applied  # reason required
    _, page, _ = await fuwu.get(path)
    assert "请填写不予入驻的原因" in page

    criterion_id = (await admission.criteria_for(category="ip"))[0].id
    await fuwu.post(f"{path}/review", [("action", "admit"), ("criteria", criterion_id)], token_from=path)
    assert ProviderStatus((await Provider.get(id=provider.id)).status) is ProviderStatus.admitted
    event = await ProviderEvent.get(provider_id=provider.id, action="admit")
    assert event.payload["criteria_checked"] == [criterion_id] and event.by.startswith("工作人员")
    assert await AuditLog.filter(action="provider.admit", target_id=str(provider.id)).exists()


async def test_registering_warning_suspending_and_reinstating(signed_in, server, http):
    fuwu = await signed_in("fuwu")
    status, _, response = await fuwu.post("/admin/providers/new", {
        "name": "上海明律律师事务所", "credit_code": make_credit_code(), "category": "legal",
        "description": "为中小企业提供合同审查、劳动争议与股权架构法律服务。", "district": "310104",
        "contact_name": "王律师", "contact_phone": "021-64001234",
        "credentials": "律师事务所执业许可证 | 23101201 | 2099-12-31"}, token_from="/admin/providers/new")
    assert status == 303, _
    provider = await Provider.get(name="上海明律律师事务所")
    assert ProviderStatus(provider.status) is ProviderStatus.admitted and provider.invite_code
    await product_of(provider, name="合同审查套餐")

    async with http.get(f"{server}/h5/providers?category=legal") as reply:
        assert "上海明律律师事务所" in await reply.text()
    async with http.get(f"{server}/h5/providers/{provider.id}") as reply:
        page = await reply.text()
        assert "合同审查套餐" in page and "¥12,000.00" in page and "登录后委托" in page

    path = f"/admin/providers/{provider.id}"
    await fuwu.post(f"{path}/standing", {"action": "warn", "reason": "多家企业反映响应慢"}, token_from=path)
    await fuwu.post(f"{path}/standing", {"action": "suspend", "reason": "整改未到位"}, token_from=path)
    assert ProviderStatus((await Provider.get(id=provider.id)).status) is ProviderStatus.suspended
    async with http.get(f"{server}/h5/providers?category=legal") as reply:
        assert "上海明律律师事务所" not in await reply.text()
    async with http.get(f"{server}/h5/providers/{provider.id}") as reply:
        assert reply.status == 404

    await fuwu.post(f"{path}/standing", {"action": "reinstate", "reason": "已完成整改"}, token_from=path)
    assert ProviderStatus((await Provider.get(id=provider.id)).status) is ProviderStatus.admitted
    actions = await ProviderEvent.filter(provider_id=provider.id).order_by("id").values_list("action", flat=True)
    assert actions == ["register", "warn", "suspend", "reinstate"]


async def test_flagged_ratings_are_excluded_and_complaints_decided(signed_in, settings):
    provider, _ = await admitted_provider()
    rival = await make_enterprise(name="上海同行竞争有限公司")
    await add_ratings(provider, [5, 5, 4, 5, 5, 4])
    bad = await add_ratings(provider, [1, 1, 1], enterprise=rival)
    await management.refresh_provider(provider_id=provider.id, settings=settings)
    user = await WeChatUser.create()
    await EnterpriseBinding.create(user=user, enterprise=rival, role="contact", verified_by="test")
    complaint = await management.file_complaint(user=user, enterprise_id=rival.id, provider_id=provider.id,
                                                text="服务敷衍，交付材料错误百出")
    fuwu = await signed_in("fuwu")
    path = f"/admin/providers/{provider.id}"

    _, page, _ = await fuwu.get(path)
    assert "同一企业评价 3 次" in page and "需留意" in page and "服务敷衍" in page
    await fuwu.post(f"{path}/ratings/{bad[0].id}/exclude", {"reason": "同行恶意差评"}, token_from=path)
    await fuwu.post(f"{path}/complaints/{complaint.id}", {"decision": "dismiss", "reason": "与评价为同一来源，不成立"},
                    token_from=path)

    rating = await type(bad[0]).get(id=bad[0].id)
    assert rating.counts is False and rating.excluded_reason == "同行恶意差评"
    assert (await ProviderComplaint.get(id=complaint.id)).status == "dismissed"
    _, page, _ = await fuwu.get(path)
    assert "已排除：同行恶意差评" in page and "投诉不成立" in page


async def test_other_roles_cannot_manage_providers(signed_in):
    keji = await signed_in("keji")
    status, page, _ = await keji.get("/admin/providers")
    assert status == 403 and "无权访问" in page
