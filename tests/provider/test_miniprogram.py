"""The provider's and the enterprise's mini-program, over real HTTP: apply, see the status
and its reason on the desk, publish a product once admitted, find it in the public list;
join by invitation code; complain."""

from __future__ import annotations

from app.identity.models import EnterpriseBinding, MiniProgramUser
from app.provider import admission
from app.provider.models import Provider
from tests.identity.factories import make_credit_code, make_enterprise
from tests.miniprogram_api.conftest import MiniProgram

from .factories import service_manager

APPLICATION = {
    "name": "上海浦江知识产权代理有限公司",
    "category": "知识产权",
    "description": "专利申请、商标注册与知识产权贯标辅导，服务中小科技企业十余年。",
    "district": "浦东新区",
    "address": "上海市浦东新区张江路 100 号",
    "contact_name": "李经理",
    "contact_phone": "138-0013-8000",
    "credentials": [{"name": "专利代理机构执业许可证", "number": "31234", "expires_on": "2099-12-31"}],
}


async def test_apply_review_publish_and_find_it(mp: MiniProgram, settings):
    token, _ = await mp.login()
    code = make_credit_code()

    applied = await mp.call("POST", "/mp/v1/provider-applications", token=token,
                            json_body={**APPLICATION, "credit_code": code})
    assert applied.status == 201, applied.text
    desk = applied.json
    assert desk["status"] == "applied" and desk["my_role"] == "负责人" and len(desk["invite_code"]) == 8
    assert desk["can_publish"] is False and desk["category_label"] == "知识产权"

    again = await mp.call("POST", "/mp/v1/provider-applications", token=token,
                          json_body={**APPLICATION, "credit_code": code})
    assert again.status == 409 and again.error["code"] == "provider_exists"
    bad = await mp.call("POST", "/mp/v1/provider-applications", token=token,
                        json_body={**APPLICATION, "credit_code": code[:-1] + ("0" if code[-1] != "0" else "1")})
    assert bad.status == 422 and bad.error["code"] == "invalid_credit_code" and bad.error["details"]["field"] == "credit_code"

    early = await mp.call("POST", f"/mp/v1/me/providers/{desk['id']}/products", token=token,
                          json_body={"name": "高新技术企业认定辅导", "price": "12000"})
    assert early.status == 400 and early.error["code"] == "wrong_state"

    staff = await service_manager()
    await admission.review(staff=staff, provider_id=desk["id"], action="request_info", reason="请补充近三年服务案例")
    seen = (await mp.call("GET", f"/mp/v1/me/providers/{desk['id']}", token=token)).json
    assert seen["status"] == "needs_info" and seen["status_reason"] == "请补充近三年服务案例" and seen["can_resubmit"]
    assert seen["timeline"][0]["reason"] == "请补充近三年服务案例"
    resubmitted = await mp.call("POST", f"/mp/v1/me/providers/{desk['id']}/resubmit", token=token,
                                json_body={"note": "已补充案例"})
    assert resubmitted.status == 200 and resubmitted.json["status"] == "applied"
    await admission.review(staff=staff, provider_id=desk["id"], action="admit")

    product = await mp.call("POST", f"/mp/v1/me/providers/{desk['id']}/products", token=token, json_body={
        "name": "高新技术企业认定辅导", "description": "材料梳理、申报辅导", "audience": "成立一年以上的科技型中小企业",
        "pricing": "标价", "price": "12000", "government_purchased": True, "delivery_days": 60})
    assert product.status == 201, product.text
    assert product.json["price_text"] == "¥12,000.00"
    free = await mp.call("POST", f"/mp/v1/me/providers/{desk['id']}/products", token=token,
                         json_body={"name": "知识产权政策咨询", "pricing": "free"})
    no_price = await mp.call("POST", f"/mp/v1/me/providers/{desk['id']}/products", token=token,
                             json_body={"name": "专利布局", "pricing": "fixed"})
    assert free.json["price_text"] == "免费" and no_price.error["code"] == "invalid_price"

    visitor, _ = await mp.login()
    listed = await mp.call("GET", "/mp/v1/providers?category=ip&q=高新技术", token=visitor)
    assert [item["id"] for item in listed.json["items"]] == [desk["id"]]
    assert listed.json["items"][0]["reputation"]["few_ratings"] is True
    detail = await mp.call("GET", f"/mp/v1/providers/{desk['id']}", token=visitor)
    assert {p["name"] for p in detail.json["products"]} == {"高新技术企业认定辅导", "知识产权政策咨询"}
    assert "contact_phone" not in detail.json

    withdrawn = await mp.call("POST", f"/mp/v1/me/providers/{desk['id']}/products/{free.json['id']}/withdraw", token=token)
    assert withdrawn.json["is_active"] is False
    public = await mp.call("GET", f"/mp/v1/providers/{desk['id']}/products", token=visitor)
    assert [p["name"] for p in public.json["items"]] == ["高新技术企业认定辅导"]
    outsider = await mp.call("GET", f"/mp/v1/me/providers/{desk['id']}", token=visitor)
    assert outsider.status == 403 and outsider.error["code"] == "forbidden"


async def test_staff_join_by_invitation_code_and_only_the_owner_edits(mp: MiniProgram):
    owner, _ = await mp.login()
    desk = (await mp.call("POST", "/mp/v1/provider-applications", token=owner,
                          json_body={**APPLICATION, "credit_code": make_credit_code()})).json
    colleague, _ = await mp.login()

    wrong = await mp.call("POST", "/mp/v1/me/providers/join", token=colleague, json_body={"code": "NOPE2345"})
    joined = await mp.call("POST", "/mp/v1/me/providers/join", token=colleague, json_body={"code": desk["invite_code"].lower()})
    mine = await mp.call("GET", "/mp/v1/me/providers", token=colleague)
    their_desk = await mp.call("GET", f"/mp/v1/me/providers/{desk['id']}", token=colleague)
    edit = await mp.call("PUT", f"/mp/v1/me/providers/{desk['id']}", token=colleague, json_body=APPLICATION)

    assert wrong.status == 400 and wrong.error["code"] == "invalid_invite_code"
    assert joined.status == 200 and joined.json["role_label"] == "服务专员"
    assert [m["provider_id"] for m in mine.json["items"]] == [desk["id"]]
    assert their_desk.json["invite_code"] == ""  # only the owner sees it
    assert edit.status == 403


async def test_an_enterprise_complains_about_a_provider(mp: MiniProgram):
    owner, _ = await mp.login()
    desk = (await mp.call("POST", "/mp/v1/provider-applications", token=owner,
                          json_body={**APPLICATION, "credit_code": make_credit_code()})).json
    await admission.review(staff=await service_manager(), provider_id=desk["id"], action="admit")
    token, user = await mp.login()
    enterprise = await make_enterprise(name="上海投诉企业有限公司")
    account = await MiniProgramUser.get(user_id=user["id"])
    await EnterpriseBinding.create(user_id=account.user_id, enterprise=enterprise, role="contact", verified_by="test")

    body = {"provider_id": desk["id"], "enterprise_id": enterprise.id, "text": "收费后两个月未提供任何服务"}
    filed = await mp.call("POST", "/mp/v1/provider-complaints", token=token, json_body=body)
    twice = await mp.call("POST", "/mp/v1/provider-complaints", token=token, json_body=body)
    stranger = await mp.call("POST", "/mp/v1/provider-complaints", token=owner, json_body=body)

    assert filed.status == 201 and filed.json["status_label"] == "待核实"
    assert twice.status == 409 and twice.error["code"] == "complaint_pending"
    assert stranger.status == 403 and stranger.error["code"] == "enterprise_access_denied"
    assert await Provider.filter(id=desk["id"]).exists()
