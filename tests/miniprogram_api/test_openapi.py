"""The served OpenAPI document and documentation page."""

from __future__ import annotations

import pytest

EXPECTED_OPERATIONS = {
    ("/mp/v1/auth/login", "post"),
    ("/mp/v1/auth/logout", "post"),
    ("/mp/v1/me", "get"),
    ("/mp/v1/me/phone", "post"),
    ("/mp/v1/me/enterprises", "get"),
    ("/mp/v1/me/enterprises", "post"),
    ("/mp/v1/me/enterprises/{binding_id}", "delete"),
    ("/mp/v1/enterprises/{enterprise_id}", "get"),
    ("/mp/v1/policies", "get"),
    ("/mp/v1/policies/{policy_id}", "get"),
    ("/mp/v1/me/matched-policies", "get"),
    ("/mp/v1/me/policy-favourites", "get"),
    ("/mp/v1/me/policy-favourites/{policy_id}", "put"),
    ("/mp/v1/me/policy-favourites/{policy_id}", "delete"),
    ("/mp/v1/me/policy-subscriptions", "get"),
    ("/mp/v1/me/policy-subscriptions", "put"),
    ("/mp/v1/me/subscribe-grants", "post"),
    ("/mp/v1/me/messages", "get"),
    ("/mp/v1/me/messages/unread-count", "get"),
    ("/mp/v1/me/messages/read", "post"),
    ("/mp/v1/subscribe-templates", "get"),
    ("/mp/v1/appeal-categories", "get"),
    ("/mp/v1/appeals", "get"),
    ("/mp/v1/appeals", "post"),
    ("/mp/v1/appeals/{appeal_id}", "get"),
    ("/mp/v1/appeals/{appeal_id}/supplement", "post"),
    ("/mp/v1/appeals/{appeal_id}/confirm", "post"),
    ("/mp/v1/engagements", "get"),
    ("/mp/v1/engagements", "post"),
    ("/mp/v1/engagements/{engagement_id}", "get"),
    ("/mp/v1/engagements/{engagement_id}/accept", "post"),
    ("/mp/v1/engagements/{engagement_id}/decline", "post"),
    ("/mp/v1/engagements/{engagement_id}/deliver", "post"),
    ("/mp/v1/engagements/{engagement_id}/confirm", "post"),
    ("/mp/v1/engagements/{engagement_id}/reopen", "post"),
    ("/mp/v1/engagements/{engagement_id}/cancel", "post"),
    ("/mp/v1/engagements/{engagement_id}/rating", "post"),
    ("/mp/v1/me/providers/{provider_id}/engagements", "get"),
    ("/mp/v1/provider-categories", "get"),
    ("/mp/v1/providers", "get"),
    ("/mp/v1/providers/{provider_id}", "get"),
    ("/mp/v1/providers/{provider_id}/products", "get"),
    ("/mp/v1/provider-criteria", "get"),
    ("/mp/v1/provider-applications", "post"),
    ("/mp/v1/provider-complaints", "post"),
    ("/mp/v1/me/providers", "get"),
    ("/mp/v1/me/providers/join", "post"),
    ("/mp/v1/me/providers/{provider_id}", "get"),
    ("/mp/v1/me/providers/{provider_id}", "put"),
    ("/mp/v1/me/providers/{provider_id}/resubmit", "post"),
    ("/mp/v1/me/providers/{provider_id}/invite-code", "post"),
    ("/mp/v1/me/providers/{provider_id}/products", "get"),
    ("/mp/v1/me/providers/{provider_id}/products", "post"),
    ("/mp/v1/me/providers/{provider_id}/products/{product_id}", "put"),
    ("/mp/v1/me/providers/{provider_id}/products/{product_id}/withdraw", "post"),
    ("/mp/v1/directory/catalogue", "get"),
    ("/mp/v1/directory/entries", "get"),
    ("/mp/v1/directory/entries/{entry_id}", "get"),
    ("/mp/v1/directory/search", "get"),
    ("/mp/v1/directory/entrances", "get"),
    ("/mp/v1/directory/parks", "get"),
    ("/mp/v1/directory/utility-guides", "get"),
    ("/mp/v1/activities", "get"),
    ("/mp/v1/activities/{activity_id}", "get"),
    ("/mp/v1/activities/{activity_id}/signups", "post"),
    ("/mp/v1/me/activity-signups", "get"),
    ("/mp/v1/me/activity-signups/{signup_id}/cancel", "post"),
    ("/mp/v1/me/activity-signups/{signup_id}/ticket", "get"),
    ("/mp/v1/surveys", "get"),
    ("/mp/v1/surveys/{survey_id}", "get"),
    ("/mp/v1/surveys/{survey_id}/answers", "put"),
    ("/mp/v1/surveys/{survey_id}/submit", "post"),
    ("/mp/v1/surveys/{survey_id}/decline", "post"),
}


async def _document(mp) -> dict:
    reply = await mp.call("GET", "/mp/v1/openapi.json")
    assert reply.status == 200, reply.text
    return reply.json


def _resolve_refs(node, document, seen=()) -> None:
    """Fail if any $ref points nowhere."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if ref is not None:
            assert ref.startswith("#/"), ref
            target = document
            for part in ref[2:].split("/"):
                assert part in target, f"dangling {ref}"
                target = target[part]
        for value in node.values():
            _resolve_refs(value, document)
    elif isinstance(node, list):
        for value in node:
            _resolve_refs(value, document)


async def test_the_document_describes_every_endpoint(mp) -> None:
    document = await _document(mp)

    assert document["openapi"].startswith("3.")
    operations = {(path, method) for path, item in document["paths"].items() for method in item}
    assert operations == EXPECTED_OPERATIONS
    _resolve_refs(document, document)

    bind = document["paths"]["/mp/v1/me/enterprises"]["post"]
    body_schema = bind["requestBody"]["content"]["application/json"]["schema"]
    request_model = document["components"]["schemas"][body_schema["$ref"].rsplit("/", 1)[-1]]
    assert set(request_model["required"]) == {"credit_code", "legal_representative", "role"}
    assert "201" in bind["responses"]
    assert {"401", "409", "422", "429"} <= set(bind["responses"])
    assert "legal_representative_mismatch" in bind["responses"]["422"]["description"]
    assert "idempotency_key_reused" in bind["responses"]["422"]["description"]
    assert any(param["name"] == "Idempotency-Key" and param["in"] == "header" for param in bind["parameters"])
    assert bind["security"] == [{"bearer": []}]

    login = document["paths"]["/mp/v1/auth/login"]["post"]
    assert login["security"] == []
    login_response = login["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert login_response.endswith("/LoginResponse")
    assert "session_key" not in str(document)

    listing = document["paths"]["/mp/v1/me/enterprises"]["get"]
    assert {param["name"] for param in listing["parameters"]} == {"cursor", "limit"}
    revoke = document["paths"]["/mp/v1/me/enterprises/{binding_id}"]["delete"]
    assert revoke["parameters"][0] == {"name": "binding_id", "in": "path", "required": True, "schema": {"type": "integer"}}
    assert "204" in revoke["responses"]


async def test_the_document_is_valid_openapi(mp) -> None:
    validator = pytest.importorskip("openapi_spec_validator")
    document = await _document(mp)

    validator.validate(document)


async def test_the_documentation_page_is_served(mp) -> None:
    reply = await mp.call("GET", "/mp/v1/docs")

    assert reply.status == 200
    assert reply.headers["Content-Type"].startswith("text/html")
    assert "/mp/v1/me/enterprises" in reply.text
    assert "法定代表人姓名" in reply.text
    assert "/mp/v1/openapi.json" in reply.text
