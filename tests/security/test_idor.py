"""Another person's things, by id, through the mini-program API: an engagement and an activity
sign-up (ticket, cancel) answer exactly as an id that does not exist — 404 with the same body —
and nothing changes. Appeals, enterprise bindings, survey drafts and the H5 pages have theirs
in their own packages (listed in docs/security.md)."""

from __future__ import annotations

import uuid

from app.activity.models import ActivitySignup, SignupStatus
from app.engagement.models import Engagement, EngagementStatus
from app.identity.models import EnterpriseBinding
from tests.activity.factories import make_activity
from tests.engagement.factories import make_cast

MISSING = 2_000_000_000  # an id no row has (and within the id column's range)


def without_ids(text: str, *ids: int) -> str:
    for one in ids:
        text = text.replace(str(one), "ID")
    return text


async def test_someone_elses_engagement_is_indistinguishable_from_none(mp) -> None:
    cast = await make_cast()
    owner, me = await mp.login()
    await EnterpriseBinding.create(user_id=me["id"], enterprise=cast.enterprise, role="contact", verified_by="test")
    created = await mp.call("POST", "/mp/v1/engagements", token=owner,
                            json_body={"product_id": cast.product.id, "enterprise_id": cast.enterprise.id, "note": "年内申报"})
    assert created.status == 201, created.text
    engagement_id = created.json["summary"]["id"]
    stranger, _ = await mp.login()

    for method, suffix, body in [
        ("GET", "", None),
        ("POST", "/cancel", {"reason": "不需要了"}),
        ("POST", "/confirm", {}),
        ("POST", "/reopen", {"reason": "没有完成"}),
        ("POST", "/rating", {"overall": 1, "dimensions": {"专业能力": 1, "响应速度": 1, "服务态度": 1, "收费合理": 1}, "comment": "差"}),
    ]:
        theirs = await mp.call(method, f"/mp/v1/engagements/{engagement_id}{suffix}", token=stranger, json_body=body)
        nobodys = await mp.call(method, f"/mp/v1/engagements/{MISSING}{suffix}", token=stranger, json_body=body)
        assert theirs.status == nobodys.status == 404, (suffix, theirs.text, nobodys.text)
        assert theirs.error["code"] == nobodys.error["code"] == "engagement_not_found"
    listed = await mp.call("GET", "/mp/v1/engagements", token=stranger)
    assert listed.status == 200 and listed.json["items"] == []
    assert (await Engagement.get(id=engagement_id)).status is EngagementStatus.requested


async def test_someone_elses_activity_signup_is_indistinguishable_from_none(mp) -> None:
    activity = await make_activity(capacity=5)
    owner, _ = await mp.login()
    signed = await mp.call("POST", f"/mp/v1/activities/{activity.id}/signups", token=owner,
                           json_body={"contact_name": "李四"}, headers={"Idempotency-Key": uuid.uuid4().hex})
    assert signed.status == 201, signed.text
    signup_id = signed.json["signup"]["id"]
    stranger, _ = await mp.login()

    for method, suffix in [("GET", "/ticket"), ("POST", "/cancel")]:
        theirs = await mp.call(method, f"/mp/v1/me/activity-signups/{signup_id}{suffix}", token=stranger, json_body={})
        nobodys = await mp.call(method, f"/mp/v1/me/activity-signups/{MISSING}{suffix}", token=stranger, json_body={})
        assert theirs.status == nobodys.status == 404, (suffix, theirs.text)
        assert without_ids(theirs.text, signup_id) == without_ids(nobodys.text, MISSING)
    mine = await mp.call("GET", "/mp/v1/me/activity-signups", token=stranger)
    assert mine.status == 200 and mine.json["items"] == []
    assert (await ActivitySignup.get(id=signup_id)).status is SignupStatus.confirmed


async def test_ids_beyond_the_id_column_are_not_found_on_every_door(mp, server, http, signed_in) -> None:
    """Found by the schemathesis run: a 30-digit id in the path was a 500 (the driver's
    integer overflow); now it is no route, 404, in each door's own format."""
    token, _ = await mp.login()
    huge = "9" * 30
    for path in (f"/mp/v1/appeals/{huge}", f"/mp/v1/engagements/{huge}", f"/mp/v1/me/activity-signups/{huge}/ticket",
                 f"/mp/v1/policies/{huge}", f"/mp/v1/appeals/-{huge}", "/mp/v1/appeals/2147483648"):
        reply = await mp.call("GET", path, token=token)
        assert reply.status == 404 and reply.error["code"] == "not_found", (path, reply.text)
    admin = await signed_in("admin")
    for path in (f"/admin/appeals/{huge}", f"/admin/staff/{huge}"):
        status, page, _ = await admin.get(path)
        assert status == 404, (path, status, page[:300])
    async with http.get(f"{server}/h5/policies/{huge}") as response:
        assert response.status == 404
