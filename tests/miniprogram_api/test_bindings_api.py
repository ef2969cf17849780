"""Enterprise binding over the API, and that nobody reaches another person's or enterprise's data."""

from __future__ import annotations

from app.identity.binding import USER_FAILURE_LIMIT
from app.identity.models import EnterpriseBinding

from ..identity.factories import make_credit_code, make_enterprise, with_wrong_check_char


def _bind_body(enterprise, name: str = "张三", role: str = "legal_representative") -> dict:
    return {"credit_code": enterprise.credit_code, "legal_representative": name, "role": role}


async def test_binding_succeeds_with_the_registered_legal_representative(mp) -> None:
    token, user = await mp.login()
    enterprise = await make_enterprise(legal_representative="张三")

    reply = await mp.call("POST", "/mp/v1/me/enterprises", token=token, json_body=_bind_body(enterprise, " 张 三 "))

    assert reply.status == 201, reply.text
    assert reply.json["role"] == "legal_representative" and reply.json["role_label"] == "法定代表人"
    assert reply.json["enterprise"]["credit_code"] == enterprise.credit_code
    assert reply.json["enterprise"]["district_label"] == "浦东新区"
    assert reply.headers["Location"] == f"/mp/v1/enterprises/{enterprise.id}"
    binding = await EnterpriseBinding.get(id=reply.json["id"])
    assert binding.user_id == user["id"]
    listed = await mp.call("GET", "/mp/v1/me/enterprises", token=token)
    assert [item["id"] for item in listed.json["items"]] == [binding.id]
    me = await mp.call("GET", "/mp/v1/me", token=token)
    assert [item["enterprise"]["id"] for item in me.json["enterprises"]] == [enterprise.id]


async def test_the_role_may_be_given_by_its_chinese_label(mp) -> None:
    token, _ = await mp.login()
    enterprise = await make_enterprise()

    reply = await mp.call("POST", "/mp/v1/me/enterprises", token=token, json_body=_bind_body(enterprise, role="联系人"))

    assert reply.status == 201, reply.text
    assert reply.json["role"] == "contact"


async def test_a_wrong_name_is_asked_again_with_the_remaining_tries(mp) -> None:
    token, _ = await mp.login()
    enterprise = await make_enterprise()

    reply = await mp.call("POST", "/mp/v1/me/enterprises", token=token, json_body=_bind_body(enterprise, "李四"))

    assert reply.status == 422
    error = reply.error
    assert error["code"] == "legal_representative_mismatch"
    assert error["details"]["remaining_attempts"] == USER_FAILURE_LIMIT - 1
    assert f"还可尝试{USER_FAILURE_LIMIT - 1}次" in error["message"]


async def test_a_wrong_check_character_is_refused(mp) -> None:
    token, _ = await mp.login()
    enterprise = await make_enterprise()
    body = _bind_body(enterprise) | {"credit_code": with_wrong_check_char(enterprise.credit_code)}

    reply = await mp.call("POST", "/mp/v1/me/enterprises", token=token, json_body=body)

    assert reply.status == 422
    assert reply.error["code"] == "invalid_credit_code"
    assert reply.error["message"]


async def test_an_unknown_enterprise_is_refused(mp) -> None:
    token, _ = await mp.login()
    body = {"credit_code": make_credit_code(), "legal_representative": "张三", "role": "contact"}

    reply = await mp.call("POST", "/mp/v1/me/enterprises", token=token, json_body=body)

    assert reply.status == 422
    assert reply.error["code"] == "enterprise_not_found"


async def test_the_person_is_locked_out_after_the_limit(mp) -> None:
    token, _ = await mp.login()
    enterprise = await make_enterprise()
    for attempt in range(USER_FAILURE_LIMIT):
        reply = await mp.call("POST", "/mp/v1/me/enterprises", token=token, json_body=_bind_body(enterprise, f"错{attempt}"))
        assert reply.error["code"] == "legal_representative_mismatch"
    assert reply.error["details"]["remaining_attempts"] == 0

    locked = await mp.call("POST", "/mp/v1/me/enterprises", token=token, json_body=_bind_body(enterprise))

    assert locked.status == 429
    assert locked.error["code"] == "binding_locked"
    assert int(locked.headers["Retry-After"]) > 0
    assert not await EnterpriseBinding.exists()


async def test_binding_the_same_enterprise_twice_conflicts(mp) -> None:
    token, _ = await mp.login()
    enterprise = await make_enterprise()
    first = await mp.call("POST", "/mp/v1/me/enterprises", token=token, json_body=_bind_body(enterprise))

    again = await mp.call("POST", "/mp/v1/me/enterprises", token=token, json_body=_bind_body(enterprise))

    assert again.status == 409
    assert again.error["code"] == "already_bound"
    assert again.error["details"]["binding_id"] == first.json["id"]


async def test_revoking_ends_the_binding_and_the_access(mp) -> None:
    token, _ = await mp.login()
    enterprise = await make_enterprise()
    binding = (await mp.call("POST", "/mp/v1/me/enterprises", token=token, json_body=_bind_body(enterprise))).json
    assert (await mp.call("GET", f"/mp/v1/enterprises/{enterprise.id}", token=token)).status == 200

    revoked = await mp.call("DELETE", f"/mp/v1/me/enterprises/{binding['id']}", token=token)

    assert revoked.status == 204
    assert (await EnterpriseBinding.get(id=binding["id"])).revoked_at is not None
    assert (await mp.call("GET", "/mp/v1/me/enterprises", token=token)).json["items"] == []
    denied = await mp.call("GET", f"/mp/v1/enterprises/{enterprise.id}", token=token)
    assert denied.status == 403 and denied.error["code"] == "enterprise_access_denied"
    twice = await mp.call("DELETE", f"/mp/v1/me/enterprises/{binding['id']}", token=token)
    assert twice.status == 404 and twice.error["code"] == "binding_not_found"


async def test_a_user_cannot_read_or_revoke_another_users_binding(mp) -> None:
    alice, _ = await mp.login()
    bob, _ = await mp.login()
    enterprise = await make_enterprise()
    bobs = (await mp.call("POST", "/mp/v1/me/enterprises", token=bob, json_body=_bind_body(enterprise))).json

    listed = await mp.call("GET", "/mp/v1/me/enterprises", token=alice)
    revoke = await mp.call("DELETE", f"/mp/v1/me/enterprises/{bobs['id']}", token=alice)
    me = await mp.call("GET", "/mp/v1/me", token=alice)

    assert listed.status == 200 and listed.json["items"] == []
    assert me.json["enterprises"] == []
    assert revoke.status == 404
    assert revoke.error["code"] == "binding_not_found"
    assert (await EnterpriseBinding.get(id=bobs["id"])).revoked_at is None
    assert str(enterprise.credit_code) not in listed.text + revoke.text + me.text


async def test_a_user_cannot_act_for_an_enterprise_they_are_not_bound_to(mp) -> None:
    alice, _ = await mp.login()
    bob, _ = await mp.login()
    enterprise = await make_enterprise()
    await mp.call("POST", "/mp/v1/me/enterprises", token=bob, json_body=_bind_body(enterprise))

    as_bob = await mp.call("GET", f"/mp/v1/enterprises/{enterprise.id}", token=bob)
    as_alice = await mp.call("GET", f"/mp/v1/enterprises/{enterprise.id}", token=alice)
    anonymous = await mp.call("GET", f"/mp/v1/enterprises/{enterprise.id}")

    assert as_bob.status == 200 and as_bob.json["legal_representative"] == "张三"
    assert as_alice.status == 403
    assert as_alice.error["code"] == "enterprise_access_denied"
    assert enterprise.name not in as_alice.text
    assert anonymous.status == 401


async def test_bindings_are_paginated_with_a_cursor(mp) -> None:
    token, _ = await mp.login()
    for index in range(3):
        enterprise = await make_enterprise(name=f"公司{index}")
        assert (await mp.call("POST", "/mp/v1/me/enterprises", token=token, json_body=_bind_body(enterprise))).status == 201

    first = await mp.call("GET", "/mp/v1/me/enterprises?limit=2", token=token)
    second = await mp.call("GET", f"/mp/v1/me/enterprises?limit=2&cursor={first.json['next_cursor']}", token=token)

    assert [item["enterprise"]["name"] for item in first.json["items"]] == ["公司2", "公司1"]
    assert first.json["next_cursor"]
    assert [item["enterprise"]["name"] for item in second.json["items"]] == ["公司0"]
    assert second.json["next_cursor"] is None


async def test_bad_pagination_parameters_get_the_envelope(mp) -> None:
    token, _ = await mp.login()

    bad_cursor = await mp.call("GET", "/mp/v1/me/enterprises?cursor=%%%", token=token)
    bad_limit = await mp.call("GET", "/mp/v1/me/enterprises?limit=1000", token=token)

    assert bad_cursor.status == 400 and bad_cursor.error["code"] == "invalid_cursor"
    assert bad_limit.status == 422 and bad_limit.error["code"] == "validation_failed"
    assert bad_limit.error["details"]["fields"][0]["field"] == "limit"
