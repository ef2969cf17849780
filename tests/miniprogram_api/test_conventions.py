"""The conventions every endpoint follows: the error envelope for every failure, rate limits
and idempotency keys."""

from __future__ import annotations

import asyncio
import uuid

import aiohttp

from app.identity import binding as binding_service
from app.identity import service as identity_service
from app.identity.models import EnterpriseBinding
from miniprogram_api import idempotency

from ..identity.factories import make_enterprise
from .conftest import MiniProgram


# -- the error envelope ---------------------------------------------------------


async def test_unknown_paths_under_the_prefix_get_the_envelope(mp) -> None:
    for path in ("/mp/v1/no/such/thing", "/mp/v1", "/mp/v1/me/enterprises/not-a-number"):
        reply = await mp.call("GET", path)
        assert reply.status == 404, path
        assert reply.error["code"] == "not_found"
        assert reply.error["message"] == "请求的资源不存在"
        assert reply.headers["Content-Type"].startswith("application/json")


async def test_paths_outside_the_prefix_keep_their_own_format(mp) -> None:
    reply = await mp.call("GET", "/definitely-not-mp/v1/me")

    assert reply.status == 404
    body = reply.json if reply.headers.get("Content-Type", "").startswith("application/json") else None
    is_envelope = isinstance(body, dict) and set(body) == {"error"} and isinstance(body["error"], dict)
    assert not is_envelope, reply.text


async def test_a_wrong_method_is_405_with_allow(mp) -> None:
    reply = await mp.call("DELETE", "/mp/v1/me")
    login = await mp.call("GET", "/mp/v1/auth/login")

    assert reply.status == 405
    assert reply.error["code"] == "method_not_allowed"
    assert set(reply.headers["Allow"].replace(" ", "").split(",")) == {"GET", "HEAD", "OPTIONS"}
    assert login.status == 405 and "POST" in login.headers["Allow"]


async def test_malformed_json_is_400(mp) -> None:
    reply = await mp.call(
        "POST", "/mp/v1/auth/login", data=b'{"code": ', headers={"Content-Type": "application/json"}
    )

    assert reply.status == 400
    assert reply.error["code"] == "malformed_json"
    assert reply.error["message"] == "请求体不是有效的 JSON"


async def test_invalid_fields_are_422_with_chinese_messages(mp) -> None:
    token, _ = await mp.login()

    reply = await mp.call("POST", "/mp/v1/me/enterprises", token=token, json_body={"credit_code": "x", "role": "boss"})

    assert reply.status == 422
    error = reply.error
    assert error["code"] == "validation_failed"
    fields = {item["field"]: item for item in error["details"]["fields"]}
    assert set(fields) == {"legal_representative", "role"}
    assert fields["legal_representative"]["message"] == "此字段为必填项"
    assert error["message"].startswith(("法定代表人姓名", "身份"))


async def test_a_body_over_the_limit_is_413(mp, settings) -> None:
    reply = await mp.call(
        "POST",
        "/mp/v1/auth/login",
        data=b"x" * (settings.max_request_body_bytes + 1),
        headers={"Content-Type": "application/json"},
    )

    assert reply.status == 413
    assert reply.error["code"] == "payload_too_large"


async def test_a_crash_is_500_without_a_traceback(mp, monkeypatch) -> None:
    token, _ = await mp.login()

    async def broken(**_):
        raise RuntimeError("secret internals: /srv/qiyun/app.py line 42")

    monkeypatch.setattr(identity_service, "profile", broken)

    reply = await mp.call("GET", "/mp/v1/me", token=token, headers={"X-Request-ID": "req-crash-0001"})

    assert reply.status == 500
    assert reply.error["code"] == "internal_error"
    assert reply.error["message"] == "服务器开小差了，请稍后再试"
    assert reply.error["details"] == {"request_id": "req-crash-0001"}
    assert "Traceback" not in reply.text and "secret internals" not in reply.text and "RuntimeError" not in reply.text


# -- rate limit -----------------------------------------------------------------


async def test_each_user_is_rate_limited_with_429_and_retry_after(server_with, http, wechat, settings) -> None:
    base = server_with(api_rate_limit_per_minute=5)
    mp = MiniProgram(http, base, wechat.url, settings.miniprogram_appid)
    alice, _ = await mp.login()
    bob, _ = await mp.login()

    replies = [await mp.call("GET", "/mp/v1/me", token=alice) for _ in range(6)]

    assert [reply.status for reply in replies[:5]] == [200] * 5
    limited = replies[5]
    assert limited.status == 429
    assert limited.error["code"] == "rate_limited"
    assert limited.error["message"] == "请求过于频繁，请稍后再试"
    assert 1 <= int(limited.headers["Retry-After"]) <= 120
    assert (await mp.call("GET", "/mp/v1/me", token=bob)).status == 200


# -- idempotency keys -----------------------------------------------------------


async def test_the_same_key_replays_the_first_response(mp) -> None:
    token, _ = await mp.login()
    enterprise = await make_enterprise()
    body = {"credit_code": enterprise.credit_code, "legal_representative": "张三", "role": "contact"}
    key = {"Idempotency-Key": str(uuid.uuid4())}

    first = await mp.call("POST", "/mp/v1/me/enterprises", token=token, json_body=body, headers=key)
    again = await mp.call("POST", "/mp/v1/me/enterprises", token=token, json_body=dict(reversed(body.items())), headers=key)

    assert first.status == again.status == 201
    assert again.json == first.json
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert again.headers["Location"] == first.headers["Location"]
    assert await EnterpriseBinding.filter(enterprise_id=enterprise.id).count() == 1
    # Without the key the same request is a new attempt, which the rules refuse.
    fresh = await mp.call("POST", "/mp/v1/me/enterprises", token=token, json_body=body)
    assert fresh.status == 409


async def test_a_refusal_is_replayed_without_counting_another_try(mp) -> None:
    token, _ = await mp.login()
    enterprise = await make_enterprise()
    body = {"credit_code": enterprise.credit_code, "legal_representative": "李四", "role": "contact"}
    key = {"Idempotency-Key": "retry-1"}

    first = await mp.call("POST", "/mp/v1/me/enterprises", token=token, json_body=body, headers=key)
    again = await mp.call("POST", "/mp/v1/me/enterprises", token=token, json_body=body, headers=key)
    next_try = await mp.call("POST", "/mp/v1/me/enterprises", token=token, json_body=body)

    assert first.status == again.status == 422
    assert first.error["details"]["remaining_attempts"] == again.error["details"]["remaining_attempts"] == 4
    assert next_try.error["details"]["remaining_attempts"] == 3


async def test_reusing_a_key_for_another_request_is_422(mp) -> None:
    token, _ = await mp.login()
    first_enterprise, second_enterprise = await make_enterprise(), await make_enterprise(name="另一家")
    key = {"Idempotency-Key": "same-key"}

    first = await mp.call(
        "POST",
        "/mp/v1/me/enterprises",
        token=token,
        json_body={"credit_code": first_enterprise.credit_code, "legal_representative": "张三", "role": "contact"},
        headers=key,
    )
    reused = await mp.call(
        "POST",
        "/mp/v1/me/enterprises",
        token=token,
        json_body={"credit_code": second_enterprise.credit_code, "legal_representative": "张三", "role": "contact"},
        headers=key,
    )

    assert first.status == 201
    assert reused.status == 422
    assert reused.error["code"] == "idempotency_key_reused"
    assert not await EnterpriseBinding.filter(enterprise_id=second_enterprise.id).exists()


async def test_keys_belong_to_one_user(mp) -> None:
    alice, _ = await mp.login()
    bob, _ = await mp.login()
    enterprise = await make_enterprise()
    body = {"credit_code": enterprise.credit_code, "legal_representative": "张三", "role": "contact"}
    key = {"Idempotency-Key": "shared-key"}

    for_alice = await mp.call("POST", "/mp/v1/me/enterprises", token=alice, json_body=body, headers=key)
    for_bob = await mp.call("POST", "/mp/v1/me/enterprises", token=bob, json_body=body, headers=key)

    assert for_alice.status == for_bob.status == 201
    assert for_alice.json["id"] != for_bob.json["id"]
    assert "Idempotent-Replayed" not in for_bob.headers


async def test_a_concurrent_duplicate_waits_for_the_first_and_gets_its_response(mp, monkeypatch) -> None:
    token, _ = await mp.login()
    enterprise = await make_enterprise()
    body = {"credit_code": enterprise.credit_code, "legal_representative": "张三", "role": "contact"}
    original = binding_service.bind_enterprise
    calls = []

    async def slow(**kwargs):
        calls.append(1)
        await asyncio.sleep(0.5)
        return await original(**kwargs)

    monkeypatch.setattr(binding_service, "bind_enterprise", slow)
    key = {"Idempotency-Key": "concurrent"}

    first, second = await asyncio.gather(
        mp.call("POST", "/mp/v1/me/enterprises", token=token, json_body=body, headers=key),
        mp.call("POST", "/mp/v1/me/enterprises", token=token, json_body=body, headers=key),
    )

    assert first.status == second.status == 201
    assert first.json == second.json
    assert len(calls) == 1
    assert await EnterpriseBinding.filter(enterprise_id=enterprise.id).count() == 1


async def test_a_concurrent_duplicate_that_cannot_wait_is_409(mp, monkeypatch) -> None:
    token, _ = await mp.login()
    enterprise = await make_enterprise()
    body = {"credit_code": enterprise.credit_code, "legal_representative": "张三", "role": "contact"}
    original = binding_service.bind_enterprise

    async def slow(**kwargs):
        await asyncio.sleep(0.6)
        return await original(**kwargs)

    monkeypatch.setattr(binding_service, "bind_enterprise", slow)
    monkeypatch.setattr(idempotency, "WAIT_SECONDS", 0.1)
    key = {"Idempotency-Key": "impatient"}

    first_task = asyncio.create_task(
        mp.call("POST", "/mp/v1/me/enterprises", token=token, json_body=body, headers=key)
    )
    await asyncio.sleep(0.2)
    second = await mp.call("POST", "/mp/v1/me/enterprises", token=token, json_body=body, headers=key)
    first = await first_task

    assert first.status == 201
    assert second.status == 409
    assert second.error["code"] == "idempotency_request_in_progress"
    assert second.headers["Retry-After"] == "1"


async def test_a_malformed_key_is_400(mp) -> None:
    token, _ = await mp.login()
    enterprise = await make_enterprise()
    body = {"credit_code": enterprise.credit_code, "legal_representative": "张三", "role": "contact"}

    reply = await mp.call("POST", "/mp/v1/me/enterprises", token=token, json_body=body, headers={"Idempotency-Key": "x" * 300})

    assert reply.status == 400
    assert reply.error["code"] == "invalid_idempotency_key"
    assert not await EnterpriseBinding.exists()


async def test_http_clients_see_json_content_type_for_errors(http: aiohttp.ClientSession, server: str) -> None:
    async with http.get(f"{server}/mp/v1/nothing-here") as response:
        assert response.status == 404
        assert response.content_type == "application/json"
        body = await response.json()
    assert body["error"]["code"] == "not_found"
