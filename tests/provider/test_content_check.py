"""What a provider writes for the public passes WeChat's content check (the simulator decides by
content: "sim_review" is doubtful, "sim_risky" risky), over the mini-program's real HTTP API:
risky text is refused and nothing is written; doubtful text is held — hidden from the public
(a profile edit keeps the old public text) — until staff pass it on the provider's admin page;
WeChat failing holds it too, never publishes it unchecked."""

from __future__ import annotations

from typing import Any

import pytest

from app.content_check.models import CheckStatus, ContentCheck, ReviewDecision
from app.provider import admission, checks
from app.provider.errors import ProviderError
from app.provider.models import Provider, ProviderEvent, ProviderProduct, TextCheck
from tests.content_check.conftest import Sim
from tests.identity.factories import make_credit_code
from tests.miniprogram_api.conftest import MiniProgram

from .factories import service_manager
from .test_miniprogram import APPLICATION

PRODUCT = {"name": "高新技术企业认定辅导", "description": "材料梳理、申报辅导", "audience": "科技型中小企业",
           "pricing": "标价", "price": "12000"}


async def _admitted_desk(mp: MiniProgram) -> tuple[str, int]:
    """A provider applied for over HTTP by a signed-in member, admitted by staff."""
    token, _ = await mp.login()
    applied = await mp.call("POST", "/mp/v1/provider-applications", token=token,
                            json_body={**APPLICATION, "credit_code": make_credit_code()})
    assert applied.status == 201, applied.text
    await admission.review(staff=await service_manager(), provider_id=applied.json["id"], action="admit")
    return token, applied.json["id"]


async def _public_names(mp: MiniProgram, provider_id: int) -> set[str]:
    visitor, _ = await mp.login()
    detail = await mp.call("GET", f"/mp/v1/providers/{provider_id}", token=visitor)
    assert detail.status == 200, detail.text
    return {p["name"] for p in detail.json["products"]}


async def test_products_risky_refused_doubtful_held_until_staff_pass_it(mp: MiniProgram, signed_in: Any) -> None:
    token, provider_id = await _admitted_desk(mp)
    products = f"/mp/v1/me/providers/{provider_id}/products"

    risky = await mp.call("POST", products, token=token, json_body={**PRODUCT, "description": "包过 sim_risky"})
    assert risky.status == 400 and risky.error["code"] == "content_risky"
    assert "内容安全" in risky.error["message"]
    assert not await ProviderProduct.filter(provider_id=provider_id).exists()
    assert not await ContentCheck.filter(subject_type=checks.PRODUCT_SUBJECT).exists()  # no orphan in the queue

    clean = await mp.call("POST", products, token=token, json_body=PRODUCT)
    held = await mp.call("POST", products, token=token,
                         json_body={**PRODUCT, "name": "知识产权贯标", "audience": "sim_review 企业"})
    assert clean.status == held.status == 201
    assert clean.json["text_check"] == "passed" and held.json["text_check"] == "held"
    check = await ContentCheck.get(subject_type=checks.PRODUCT_SUBJECT, subject_id=held.json["id"])
    assert CheckStatus(check.status) is CheckStatus.review and check.detail["version"] == 2  # the member's openid
    assert await _public_names(mp, provider_id) == {"高新技术企业认定辅导"}

    fuwu = await signed_in("fuwu")
    path = f"/admin/providers/{provider_id}"
    _, page, _ = await fuwu.get(path)
    assert "待复核内容" in page and "服务产品：知识产权贯标" in page
    await fuwu.post(f"{path}/content-checks/{check.id}", {"decision": "approve", "note": ""}, token_from=path)
    assert TextCheck((await ProviderProduct.get(id=held.json["id"])).text_check) is TextCheck.approved
    assert await _public_names(mp, provider_id) == {"高新技术企业认定辅导", "知识产权贯标"}
    _, page, _ = await fuwu.get(path)
    assert "待复核内容" not in page


async def test_a_doubtful_edit_hides_the_product_and_a_refusal_keeps_it_hidden(mp: MiniProgram, signed_in: Any) -> None:
    token, provider_id = await _admitted_desk(mp)
    created = await mp.call("POST", f"/mp/v1/me/providers/{provider_id}/products", token=token, json_body=PRODUCT)
    url = f"/mp/v1/me/providers/{provider_id}/products/{created.json['id']}"

    risky = await mp.call("PUT", url, token=token, json_body={**PRODUCT, "description": "sim_risky"})
    assert risky.status == 400 and risky.error["code"] == "content_risky"
    assert (await ProviderProduct.get(id=created.json["id"])).description == "材料梳理、申报辅导"  # nothing half-written

    edited = await mp.call("PUT", url, token=token, json_body={**PRODUCT, "description": "sim_review 保证通过"})
    assert edited.status == 200 and edited.json["text_check"] == "held"
    assert await _public_names(mp, provider_id) == set()
    product = await ProviderProduct.get(id=created.json["id"])
    refused = await checks.review_text(staff=await service_manager(), provider_id=provider_id,
                                       check_id=product.check_id, approve=False, note="夸大宣传")
    assert ReviewDecision(refused.decision) is ReviewDecision.rejected
    assert TextCheck((await ProviderProduct.get(id=product.id)).text_check) is TextCheck.refused
    assert await _public_names(mp, provider_id) == set()
    event = await ProviderEvent.filter(provider_id=provider_id, action="text_refused").first()
    assert event is not None and event.reason == "夸大宣传"

    fixed = await mp.call("PUT", url, token=token, json_body=PRODUCT)  # corrected text passes: public again
    assert fixed.json["text_check"] == "passed"
    assert await _public_names(mp, provider_id) == {"高新技术企业认定辅导"}


async def test_a_doubtful_profile_edit_keeps_the_public_text_until_approved(mp: MiniProgram) -> None:
    token, provider_id = await _admitted_desk(mp)
    desk = f"/mp/v1/me/providers/{provider_id}"
    body = {key: APPLICATION[key] for key in APPLICATION}
    new_text = "专利、商标一站式代理 sim_review，服务浦东科技企业。"

    risky = await mp.call("PUT", desk, token=token, json_body={**body, "description": "sim_risky 违规内容描述"})
    assert risky.status == 400 and risky.error["code"] == "content_risky"

    edited = await mp.call("PUT", desk, token=token, json_body={**body, "description": new_text, "address": "张江路 200 号"})
    assert edited.status == 200, edited.text
    assert edited.json["profile_held"] is True and edited.json["pending_profile"]["description"] == new_text
    assert edited.json["address"] == "张江路 200 号"  # only the checked text waits
    visitor, _ = await mp.login()
    public = (await mp.call("GET", f"/mp/v1/providers/{provider_id}", token=visitor)).json
    assert public["description"] == APPLICATION["description"]

    provider = await Provider.get(id=provider_id)
    await checks.review_text(staff=await service_manager(), provider_id=provider_id,
                             check_id=provider.profile_check_id, approve=True, note="")
    public = (await mp.call("GET", f"/mp/v1/providers/{provider_id}", token=visitor)).json
    assert public["description"] == new_text
    seen = (await mp.call("GET", desk, token=token)).json
    assert seen["profile_held"] is False and seen["pending_profile"] == {}


async def test_a_doubtful_application_waits_for_the_content_review_before_admission(mp: MiniProgram) -> None:
    token, _ = await mp.login()
    risky = await mp.call("POST", "/mp/v1/provider-applications", token=token, json_body={
        **APPLICATION, "credit_code": make_credit_code(), "description": "sim_risky 的机构介绍内容"})
    assert risky.status == 400 and risky.error["code"] == "content_risky"
    assert not await Provider.filter(description__contains="sim_risky").exists()

    applied = await mp.call("POST", "/mp/v1/provider-applications", token=token, json_body={
        **APPLICATION, "credit_code": make_credit_code(), "description": "知识产权代理 sim_review 十余年经验"})
    assert applied.status == 201 and applied.json["profile_held"] is True
    staff = await service_manager()
    with pytest.raises(ProviderError) as refused:
        await admission.review(staff=staff, provider_id=applied.json["id"], action="admit")
    assert refused.value.code == "content_held"
    provider = await Provider.get(id=applied.json["id"])
    await checks.review_text(staff=staff, provider_id=provider.id, check_id=provider.profile_check_id,
                             approve=True, note="")
    await admission.review(staff=staff, provider_id=provider.id, action="admit")
    assert (await Provider.get(id=provider.id)).status == "admitted"


async def test_wechat_unavailable_holds_the_text_rather_than_publishing_it(mp: MiniProgram, wechat: Any, http: Any) -> None:
    token, provider_id = await _admitted_desk(mp)
    await Sim(url=wechat.url, http=http).fault(api="/wxa/msg_sec_check", kind="errcode", errcode=45009, times=None)
    created = await mp.call("POST", f"/mp/v1/me/providers/{provider_id}/products", token=token, json_body=PRODUCT)
    assert created.status == 201 and created.json["text_check"] == "held"
    check = await ContentCheck.get(subject_type=checks.PRODUCT_SUBJECT, subject_id=created.json["id"])
    assert CheckStatus(check.status) is CheckStatus.error
    assert await _public_names(mp, provider_id) == set()


async def test_a_doubtful_rating_comment_waits_on_the_provider_page_and_counts_once_passed(
    signed_in: Any, settings: Any, resources: Any
) -> None:
    from app.engagement import ratings
    from app.engagement.models import CommentCheck, ProviderRating
    from tests.engagement.factories import make_cast, take_to

    cast = await make_cast()
    engagement = await take_to("completed", cast, settings)
    held = await ratings.rate(engagement_id=engagement.id, user=cast.user, overall=2,
                              comment="服务拖延，这是一段包含违禁词测试的评语", miniprogram=resources.miniprogram)
    assert held.held and not held.rating.counts

    fuwu = await signed_in("fuwu")
    path = f"/admin/providers/{cast.provider.id}"
    _, page, _ = await fuwu.get(path)
    assert "待复核内容" in page and "用户评价" in page and "服务拖延" in page
    check = await ContentCheck.get(subject_type="provider_rating", subject_id=held.rating.id)
    await fuwu.post(f"{path}/content-checks/{check.id}", {"decision": "approve", "note": "批评意见，不违规"},
                    token_from=path)
    rating = await ProviderRating.get(id=held.rating.id)
    assert rating.counts and CommentCheck(rating.comment_check) is CommentCheck.approved
    _, page, _ = await fuwu.get(path)
    assert "待复核内容" not in page
