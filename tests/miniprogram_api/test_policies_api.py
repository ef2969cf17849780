"""Policies in the mini-program: search with filters, detail with "does my enterprise fit",
favourites, and the matched policies of the person's enterprises."""

from __future__ import annotations

from app.enterprise.reference import BindingRole, District
from app.identity.models import EnterpriseBinding
from app.policy.models import PolicyStatus, SupportType
from tests.handlers.test_policy_chat import publish

from ..identity.factories import make_enterprise


async def bind(user_id: int):
    enterprise = await make_enterprise()  # Pudong, small
    await EnterpriseBinding.create(user_id=user_id, enterprise=enterprise, role=BindingRole.contact, verified_by="test")
    return enterprise


async def test_search_filters_by_support_type_and_pages_with_a_cursor(mp) -> None:
    token, _ = await mp.login()
    for n in range(3):
        await publish(f"研发费用补贴办法{n}", summary="研发补贴")
    await publish("研发贷款贴息办法", summary="研发 贷款", support_type=SupportType.financing)

    everything = await mp.call("GET", "/mp/v1/policies?q=研发&limit=2", token=token)
    assert everything.status == 200, everything.text
    assert everything.json["total"] == 4 and len(everything.json["items"]) == 2
    rest = await mp.call("GET", f"/mp/v1/policies?q=研发&limit=2&cursor={everything.json['next_cursor']}", token=token)
    assert len(rest.json["items"]) == 2 and rest.json["next_cursor"] is None
    seen = {item["id"] for item in everything.json["items"] + rest.json["items"]}
    assert len(seen) == 4

    financing = await mp.call("GET", "/mp/v1/policies?q=研发&support_type=financing", token=token)
    assert [item["title"] for item in financing.json["items"]] == ["研发贷款贴息办法"]
    assert "<em>" in financing.json["items"][0]["title_html"]


async def test_search_rejects_bad_filters_precisely(mp) -> None:
    token, _ = await mp.login()
    reply = await mp.call("GET", "/mp/v1/policies?support_type=lottery", token=token)
    assert reply.status == 422 and reply.error["code"] == "validation_failed"
    reply = await mp.call("GET", "/mp/v1/policies?cursor=bm9wZQ", token=token)
    assert reply.status == 400 and reply.error["code"] == "invalid_cursor"
    assert (await mp.call("GET", "/mp/v1/policies")).status == 401


async def test_detail_says_which_bound_enterprise_fits_and_why(mp) -> None:
    token, user = await mp.login()
    await bind(user["id"])
    pudong = await publish("浦东小微企业补贴", targeting={"districts": [District.pudong.value]})
    minhang = await publish("闵行企业补贴", targeting={"districts": [District.minhang.value]})

    fits = (await mp.call("GET", f"/mp/v1/policies/{pudong.id}", token=token)).json["fits"]
    assert fits[0]["fits"] is True and any("浦东新区" in reason for reason in fits[0]["reasons"])
    assert (await mp.call("GET", f"/mp/v1/policies/{minhang.id}", token=token)).json["fits"][0]["fits"] is False

    matched = (await mp.call("GET", "/mp/v1/me/matched-policies", token=token)).json
    assert matched["bound"] is True and [item["policy"]["id"] for item in matched["items"]] == [pudong.id]


async def test_unpublished_policies_are_not_found(mp) -> None:
    token, _ = await mp.login()
    draft = await publish("草稿政策", status=PolicyStatus.draft)
    reply = await mp.call("GET", f"/mp/v1/policies/{draft.id}", token=token)
    assert reply.status == 404 and reply.error["code"] == "policy_not_found"
    assert (await mp.call("PUT", f"/mp/v1/me/policy-favourites/{draft.id}", token=token)).status == 404


async def test_favourites_are_per_person_and_idempotent(mp) -> None:
    token, _ = await mp.login()
    other_token, _ = await mp.login()
    policy = await publish("专精特新企业奖励办法")

    for _ in range(2):
        assert (await mp.call("PUT", f"/mp/v1/me/policy-favourites/{policy.id}", token=token)).status == 204
    mine = (await mp.call("GET", "/mp/v1/me/policy-favourites", token=token)).json["items"]
    assert [item["policy"]["id"] for item in mine] == [policy.id] and mine[0]["policy"]["favourite"] is True
    assert (await mp.call("GET", "/mp/v1/me/policy-favourites", token=other_token)).json["items"] == []
    detail = (await mp.call("GET", f"/mp/v1/policies/{policy.id}", token=other_token)).json
    assert detail["favourite"] is False

    assert (await mp.call("DELETE", f"/mp/v1/me/policy-favourites/{policy.id}", token=token)).status == 204
    assert (await mp.call("GET", "/mp/v1/me/policy-favourites", token=token)).json["items"] == []
