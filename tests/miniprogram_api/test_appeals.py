"""Appeals in the mini-program: filing with photos, following, supplementing, confirming and
rating — and that nobody reaches another person's appeal."""

from __future__ import annotations

import uuid
from typing import Any

import aiohttp
import pytest

from app.appeal import service
from app.appeal.models import Appeal, AppealAttachment, AppealStatus
from app.content_check.models import ContentCheck
from app.outbox.delivery import deliver_pending
from app.identity.models import EnterpriseBinding

from ..appeal.factories import make_cast, png
from ..identity.factories import make_enterprise
from .conftest import Reply

DESCRIPTION = "高新技术企业认定材料已提交两个月, 至今没有收到任何反馈。"
OFFICE = "上海市企业服务联席会议办公室"  # the demo coordination office, who dispatches


async def post_form(
    mp,
    path: str,
    *,
    token: str,
    fields: dict[str, Any],
    photos: list[tuple[str, bytes]] = (),
    key: str | None = None,
    base: str | None = None,
):
    """POST a multipart form as the mini-program would (a fresh boundary each time)."""
    form = aiohttp.FormData()
    for name, value in fields.items():
        form.add_field(name, str(value))
    for filename, data in photos:
        form.add_field("photos", data, filename=filename, content_type="image/png")
    headers = {"Authorization": f"Bearer {token}"}
    if key:
        headers["Idempotency-Key"] = key
    async with mp.http.post(f"{base or mp.base}{path}", data=form, headers=headers) as response:
        return Reply(response.status, dict(response.headers), await response.text())


async def file_appeal(mp, token: str, *, photos=(), key: str | None = None, **fields: Any):
    body = {"category": "technology", "description": DESCRIPTION, "contact_name": "张三",
            "contact_phone": "13812345678", "contact_preference": "phone", **fields}
    return await post_form(mp, "/mp/v1/appeals", token=token, fields=body, photos=list(photos), key=key)


@pytest.fixture
async def cast(db):
    return await make_cast()


# -- categories ------------------------------------------------------------------------------


async def test_categories_come_with_their_hints_and_resolution_deadline(mp) -> None:
    token, _ = await mp.login()

    reply = await mp.call("GET", "/mp/v1/appeal-categories", token=token)

    assert reply.status == 200, reply.text
    by_code = {item["code"]: item for item in reply.json["items"]}
    assert by_code["tax"]["label"] == "税费办理"
    assert "退税" in by_code["tax"]["hint"]
    assert by_code["tax"]["resolve_working_days"] == 15
    assert by_code["policy"]["resolve_working_days"] == 5


async def test_appeal_pages_need_a_session(mp) -> None:
    reply = await mp.call("GET", "/mp/v1/appeals")

    assert reply.status == 401
    assert reply.error["code"] == "unauthenticated"


# -- filing ----------------------------------------------------------------------------------


async def test_an_appeal_with_two_photos_is_filed_and_its_photos_checked(
    mp, cast, wechat, http, settings, resources
) -> None:
    me_openid = "mp-openid-appeal-photos"
    token, me = await mp.login(openid=me_openid)

    reply = await file_appeal(mp, token, photos=[("门口.png", png(1)), ("材料.png", png(2))], title="认定进度查询")

    assert reply.status == 201, reply.text
    body = reply.json
    assert body["number"].startswith("SQ") and len(body["number"]) == 16
    assert body["status"] == "submitted" and body["status_label"] == "已提交"
    assert body["title"] == "认定进度查询" and body["category_label"] == "科技创新"
    assert body["accept_due_at"] is not None
    assert reply.headers["Location"] == f"/mp/v1/appeals/{body['id']}"
    appeal = await Appeal.get(id=body["id"])
    assert appeal.submitter_id == me["id"] and appeal.channel == "miniprogram"
    assert appeal.contact_preference == "phone" and appeal.contact_phone == "13812345678"
    attachments = await AppealAttachment.filter(appeal_id=appeal.id).order_by("id")
    assert [(a.filename, a.content_type, a.check_result) for a in attachments] == [
        ("门口.png", "image/png", "pending"), ("材料.png", "image/png", "pending"),
    ]
    # The text was checked before filing, the photos submitted to WeChat's media check after
    # commit, by the outbox.
    await deliver_pending(resources)
    text_checks = await ContentCheck.filter(subject_type="appeal", subject_id=appeal.id)
    assert [c.kind for c in text_checks] == ["text"]
    image_checks = await ContentCheck.filter(subject_type="appeal_attachment").order_by("subject_id")
    assert [c.subject_id for c in image_checks] == [a.id for a in attachments]
    assert all(c.status == "pending" and c.trace_id for c in image_checks)
    async with http.get(f"{wechat.url}/_sim/records", params={"api": "/wxa/media_check_async"}) as response:
        records = (await response.json())["records"]
    urls = sorted(record["json"]["media_url"] for record in records)
    assert [url.split("?")[0] for url in urls] == [
        f"{settings.public_base_url}/files/appeal/{a.id}" for a in attachments
    ]
    assert all("expires=" in url and "sig=" in url for url in urls)
    assert {record["json"]["openid"] for record in records} == {me_openid}


async def test_the_appeal_may_name_an_enterprise_the_person_is_bound_to(mp, cast) -> None:
    token, me = await mp.login()
    enterprise = await make_enterprise(name="上海绑定科技有限公司")
    await EnterpriseBinding.create(user_id=me["id"], enterprise=enterprise, role="contact", verified_by="test")

    reply = await file_appeal(mp, token, enterprise_id=enterprise.id)

    assert reply.status == 201, reply.text
    assert reply.json["enterprise_name"] == "上海绑定科技有限公司"
    assert (await Appeal.get(id=reply.json["id"])).enterprise_id == enterprise.id


async def test_an_enterprise_the_person_is_not_bound_to_is_refused(mp, cast) -> None:
    token, _ = await mp.login()
    stranger = await make_enterprise(name="上海别人家有限公司")

    reply = await file_appeal(mp, token, enterprise_id=stranger.id)

    assert reply.status == 403
    assert reply.error["code"] == "enterprise_access_denied"
    assert await Appeal.all().count() == 0


async def test_a_text_file_named_jpg_is_refused_in_chinese(mp, cast) -> None:
    token, _ = await mp.login()

    reply = await file_appeal(mp, token, photos=[("发票.jpg", "这其实是一段文字，不是图片".encode())])

    assert reply.status == 400
    assert reply.error["code"] == "file_type_not_allowed"
    assert reply.error["message"] == "只能上传JPG、PNG、GIF、WEBP 图片"
    assert reply.error["details"]["field"] == "attachments"
    assert await Appeal.all().count() == 0
    assert await ContentCheck.all().count() == 0  # the text check of a refused submission is not left behind


async def test_a_photo_over_the_size_limit_is_refused(mp, cast) -> None:
    token, _ = await mp.login()
    eleven_megabytes = png(3) + b"\x00" * (11 * 1024 * 1024)

    reply = await file_appeal(mp, token, photos=[("大图.png", eleven_megabytes)])

    assert reply.status in (400, 413)
    assert reply.error["code"] == "file_too_large"
    assert reply.error["message"] == "单个文件不能超过 10 MB"
    assert await Appeal.all().count() == 0


async def test_ten_photos_are_one_too_many(mp, cast) -> None:
    token, _ = await mp.login()

    reply = await file_appeal(mp, token, photos=[(f"{n}.png", png(n)) for n in range(10)])

    assert reply.status == 400
    assert reply.error["code"] == "too_many_files"
    assert reply.error["message"] == "最多上传 9 张图片或文件"
    assert await Appeal.all().count() == 0


async def test_nine_photos_are_accepted(mp, cast) -> None:
    token, _ = await mp.login()

    reply = await file_appeal(mp, token, photos=[(f"{n}.png", png(n)) for n in range(9)])

    assert reply.status == 201, reply.text
    assert await AppealAttachment.filter(appeal_id=reply.json["id"]).count() == 9


async def test_a_body_over_the_upload_limit_is_refused_before_it_is_read(mp, cast, server_with) -> None:
    base = server_with(upload_max_bytes=16 * 1024)  # route limit: 9 × 16 KiB + 1 MiB
    token, _ = await mp.login()

    reply = await post_form(
        mp, "/mp/v1/appeals", token=token, base=base,
        fields={"category": "technology", "description": DESCRIPTION},
        photos=[("huge.png", png(4) + b"\x00" * (2 * 1024 * 1024))],
    )

    assert reply.status == 413
    assert reply.error["code"] == "payload_too_large"
    assert "最多 9 个文件" in reply.error["message"]
    assert await Appeal.all().count() == 0


async def test_more_than_the_json_limit_is_fine_on_the_upload_route(mp, cast, settings) -> None:
    token, _ = await mp.login()
    photo = png(5) + b"\x00" * (settings.max_request_body_bytes + 1024)  # over the server-wide 1 MiB cap

    reply = await file_appeal(mp, token, photos=[("清晰大图.png", photo)])

    assert reply.status == 201, reply.text


async def test_a_json_body_is_not_a_form(mp, cast) -> None:
    token, _ = await mp.login()

    reply = await mp.call("POST", "/mp/v1/appeals", token=token, json_body={"category": "tax", "description": DESCRIPTION})

    assert reply.status == 415
    assert reply.error["code"] == "unsupported_media_type"


async def test_form_fields_are_validated_with_chinese_messages(mp, cast) -> None:
    token, _ = await mp.login()

    unknown = await file_appeal(mp, token, category="nonsense")
    short = await file_appeal(mp, token, description="太短")
    preference = await file_appeal(mp, token, contact_preference="carrier pigeon")

    assert unknown.status == 400 and unknown.error["code"] == "invalid_category"
    assert unknown.error["message"] == "请选择诉求类别"
    assert short.status == 400 and short.error["code"] == "description_too_short"
    assert preference.status == 422 and preference.error["message"].startswith("联系方式偏好：")
    assert await Appeal.all().count() == 0


async def test_the_same_idempotency_key_files_one_appeal(mp, cast, redis) -> None:
    token, _ = await mp.login()
    key = str(uuid.uuid4())
    photos = [("现场.png", png(6))]

    first = await file_appeal(mp, token, photos=photos, key=key)
    second = await file_appeal(mp, token, photos=photos, key=key)  # a retry: new boundary, same form

    assert first.status == 201, first.text
    assert second.status == 201 and second.headers.get("Idempotent-Replayed") == "true"
    assert second.json["id"] == first.json["id"]
    # Even once the replay record is gone (24 h), the key still finds the appeal filed with it.
    for replay_record in await redis.keys("qiyun:mp:idempotency:*"):
        await redis.delete(replay_record)
    third = await file_appeal(mp, token, photos=photos, key=key)
    assert third.status == 200, third.text
    assert third.json["id"] == first.json["id"]
    assert await Appeal.all().count() == 1
    assert await AppealAttachment.all().count() == 1


async def test_idempotency_keys_belong_to_one_person(mp, cast) -> None:
    key = str(uuid.uuid4())
    token_a, _ = await mp.login()
    token_b, _ = await mp.login()

    first = await file_appeal(mp, token_a, key=key)
    other = await file_appeal(mp, token_b, key=key)

    assert first.status == 201 and other.status == 201
    assert other.json["id"] != first.json["id"]


async def test_text_that_needs_review_is_filed_and_held(mp, cast) -> None:
    token, _ = await mp.login()

    reply = await file_appeal(mp, token, description="企业经营中遇到问题，人工审核测试，希望协调解决。")

    assert reply.status == 201, reply.text
    assert reply.json["status"] == "held" and reply.json["status_label"] == "待内容审核"
    check = await ContentCheck.get(subject_type="appeal", subject_id=reply.json["id"])
    assert check.status == "review"


# -- following -------------------------------------------------------------------------------


async def test_my_appeals_are_listed_newest_first_and_filtered(mp, cast) -> None:
    token, me = await mp.login()
    ids = [(await file_appeal(mp, token, title=f"诉求{n}")).json["id"] for n in range(3)]
    await service.decline(appeal_id=ids[0], staff=cast.dispatcher, reason="不属于企业诉求受理范围")
    other_token, _ = await mp.login()
    await file_appeal(mp, other_token)

    everything = await mp.call("GET", "/mp/v1/appeals", token=token)
    open_ = await mp.call("GET", "/mp/v1/appeals?status=open", token=token)
    closed = await mp.call("GET", "/mp/v1/appeals?status=closed", token=token)
    bad = await mp.call("GET", "/mp/v1/appeals?status=lost", token=token)

    assert [item["id"] for item in everything.json["items"]] == ids[::-1]
    assert everything.json["total"] == 3 and everything.json["next_cursor"] is None
    assert [item["id"] for item in open_.json["items"]] == [ids[2], ids[1]]
    assert [(item["id"], item["status_label"]) for item in closed.json["items"]] == [(ids[0], "不予受理")]
    assert bad.status == 422 and bad.error["code"] == "validation_failed"


async def test_the_list_pages_with_a_cursor(mp, cast) -> None:
    token, _ = await mp.login()
    ids = [(await file_appeal(mp, token)).json["id"] for _ in range(3)]

    first = await mp.call("GET", "/mp/v1/appeals?limit=2", token=token)
    second = await mp.call("GET", f"/mp/v1/appeals?limit=2&cursor={first.json['next_cursor']}", token=token)
    broken = await mp.call("GET", "/mp/v1/appeals?cursor=!!", token=token)

    assert [item["id"] for item in first.json["items"]] == [ids[2], ids[1]]
    assert [item["id"] for item in second.json["items"]] == [ids[0]]
    assert second.json["next_cursor"] is None
    assert broken.status == 400 and broken.error["code"] == "invalid_cursor"


async def test_the_detail_shows_the_public_timeline_photos_and_what_i_can_do(mp, cast, server, http) -> None:
    token, _ = await mp.login()
    created = await file_appeal(mp, token, photos=[("现场.png", png(7))])
    appeal_id = created.json["id"]
    await service.accept(appeal_id=appeal_id, staff=cast.dispatcher)
    await service.add_note(appeal_id=appeal_id, staff=cast.dispatcher, text="企业负责人电话里情绪激动")
    await service.request_info(appeal_id=appeal_id, staff=cast.dispatcher, question="请提供认定申请的受理编号")

    reply = await mp.call("GET", f"/mp/v1/appeals/{appeal_id}", token=token)

    assert reply.status == 200, reply.text
    detail = reply.json
    assert detail["status"] == "accepted" and detail["awaiting"] == "请补充材料"
    assert detail["description"] == DESCRIPTION and detail["contact_phone"] == "138****5678"
    timeline = [(e["action"], e["label"], e["who"], e["text"]) for e in detail["timeline"]]
    assert timeline == [
        ("submit", "提交诉求", "企业", ""),
        ("accept", "受理", OFFICE, ""),
        ("request_info", "请企业补充材料", OFFICE, "请提供认定申请的受理编号"),
    ]
    assert detail["timeline"][0]["details"] == ["提交渠道：小程序"]
    assert "情绪激动" not in reply.text  # internal notes never reach the enterprise
    assert "dispatcher" not in reply.text  # nor staff members' names
    assert [a["action"] for a in detail["actions"]] == ["supplement"]
    [photo] = detail["timeline"][0]["attachments"]
    assert detail["attachments"] == [photo]
    assert photo["url"].startswith("http") and "sig=" in photo["url"]
    path = photo["url"].split("/files/", 1)[1]
    async with http.get(f"{server}/files/{path}") as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "image/png"
        assert await response.read() == png(7)


async def test_a_supplement_adds_text_and_photos_to_the_timeline(mp, cast, resources) -> None:
    token, _ = await mp.login()
    appeal_id = (await file_appeal(mp, token)).json["id"]
    await service.accept(appeal_id=appeal_id, staff=cast.dispatcher)
    await service.request_info(appeal_id=appeal_id, staff=cast.dispatcher, question="请提供受理编号")

    reply = await post_form(
        mp, f"/mp/v1/appeals/{appeal_id}/supplement", token=token,
        fields={"text": "受理编号为 GX2024-0012, 附受理回执。"}, photos=[("回执.png", png(8))], key=str(uuid.uuid4()),
    )

    assert reply.status == 200, reply.text
    entry = reply.json["timeline"][-1]
    assert (entry["action"], entry["who"], entry["text"]) == ("supplement", "企业", "受理编号为 GX2024-0012, 附受理回执。")
    assert [a["filename"] for a in entry["attachments"]] == ["回执.png"]
    assert reply.json["awaiting"] == "已补充材料，等待处理"
    attachment = await AppealAttachment.get(appeal_id=appeal_id)
    await deliver_pending(resources)  # the outbox submits the new photo to WeChat's media check
    assert await ContentCheck.filter(subject_type="appeal_attachment", subject_id=attachment.id).count() == 1


async def test_a_supplement_needs_text(mp, cast) -> None:
    token, _ = await mp.login()
    appeal_id = (await file_appeal(mp, token)).json["id"]

    reply = await post_form(mp, f"/mp/v1/appeals/{appeal_id}/supplement", token=token, fields={"text": ""})

    assert reply.status == 422
    assert reply.error["message"].startswith("补充内容：")


# -- confirming ------------------------------------------------------------------------------


async def test_unresolved_reopens_once_then_the_second_answer_is_rated_and_closed(mp, cast, settings) -> None:
    token, _ = await mp.login()
    appeal_id = (await file_appeal(mp, token)).json["id"]
    keji = cast.orgs["city.science-tech"].id
    await service.accept(appeal_id=appeal_id, staff=cast.dispatcher)
    await service.dispatch(appeal_id=appeal_id, staff=cast.dispatcher, lead_organisation_id=keji, settings=settings)
    await service.start(appeal_id=appeal_id, staff=cast.keji)
    await service.reply(appeal_id=appeal_id, staff=cast.keji, settings=settings, text="认定结果将于月底公示。")
    replied = await mp.call("GET", f"/mp/v1/appeals/{appeal_id}", token=token)
    assert replied.json["awaiting"] == "待您确认并评价" and replied.json["confirm_due_at"]
    assert [a["action"] for a in replied.json["actions"]] == ["confirm", "reopen"]

    unresolved = await mp.call(
        "POST", f"/mp/v1/appeals/{appeal_id}/confirm", token=token,
        json_body={"resolved": False, "satisfaction": "dissatisfied", "comment": "只说了公示时间，没有说明为何延误。"},
    )

    assert unresolved.status == 200, unresolved.text
    assert unresolved.json["status"] == "accepted" and unresolved.json["status_label"] == "已受理"
    assert unresolved.json["awaiting"] == "已申请重办，等待重新分派"

    await service.dispatch(appeal_id=appeal_id, staff=cast.dispatcher, lead_organisation_id=keji, settings=settings)
    await service.reply(appeal_id=appeal_id, staff=cast.keji, settings=settings,
                        text="延误系专家评审排期所致，已加急处理，本周内出结果。")
    second = await mp.call("GET", f"/mp/v1/appeals/{appeal_id}", token=token)
    assert [a["action"] for a in second.json["actions"]] == ["confirm"]  # no second reopen
    assert second.json["reopens_left"] == 0

    resolved = await mp.call(
        "POST", f"/mp/v1/appeals/{appeal_id}/confirm", token=token,
        json_body={"resolved": True, "satisfaction": "满意", "comment": "感谢跟进"},
    )

    assert resolved.status == 200, resolved.text
    assert resolved.json["status"] == "closed" and resolved.json["status_label"] == "已办结"
    detail = (await mp.call("GET", f"/mp/v1/appeals/{appeal_id}", token=token)).json
    assert (detail["resolved"], detail["satisfaction"], detail["satisfaction_label"]) == (True, "satisfied", "满意")
    assert detail["close_reason_label"] == "已解决" and detail["actions"] == []
    actions = [e["action"] for e in detail["timeline"]]
    assert actions == ["submit", "accept", "dispatch", "start", "reply", "reopen", "dispatch", "reply", "confirm"]
    reopen = detail["timeline"][5]
    assert reopen["who"] == "企业" and "满意度：不满意" in reopen["details"]
    dispatch = detail["timeline"][2]
    assert (dispatch["who"], dispatch["details"]) == (OFFICE, ["承办单位：上海市科学技术委员会"])
    assert detail["lead_organisation"] == "上海市科学技术委员会"

    again = await mp.call(
        "POST", f"/mp/v1/appeals/{appeal_id}/confirm", token=token,
        json_body={"resolved": True, "satisfaction": "satisfied"},
    )
    assert again.status == 400
    assert again.error["code"] == "wrong_state" and "已办结" in again.error["message"]


async def test_an_unresolved_verdict_must_say_what_is_left(mp, cast, settings) -> None:
    token, _ = await mp.login()
    appeal_id = (await file_appeal(mp, token)).json["id"]
    await service.accept(appeal_id=appeal_id, staff=cast.dispatcher)
    await service.dispatch(appeal_id=appeal_id, staff=cast.dispatcher,
                           lead_organisation_id=cast.orgs["city.science-tech"].id, settings=settings)
    await service.reply(appeal_id=appeal_id, staff=cast.keji, settings=settings, text="已答复。")

    reply = await mp.call("POST", f"/mp/v1/appeals/{appeal_id}/confirm", token=token,
                          json_body={"resolved": False, "satisfaction": "dissatisfied"})
    bad_level = await mp.call("POST", f"/mp/v1/appeals/{appeal_id}/confirm", token=token,
                              json_body={"resolved": True, "satisfaction": "五星"})

    assert reply.status == 400
    assert reply.error["code"] == "note_required" and reply.error["message"] == "请说明还有哪些问题没有解决"
    assert bad_level.status == 422 and bad_level.error["message"].startswith("满意度：")
    assert (await Appeal.get(id=appeal_id)).status == AppealStatus.replied


# -- other people's appeals --------------------------------------------------------------------


async def test_another_persons_appeal_does_not_exist_for_me(mp, cast, settings) -> None:
    owner_token, _ = await mp.login()
    appeal_id = (await file_appeal(mp, owner_token, photos=[("p.png", png(9))])).json["id"]
    token, _ = await mp.login()

    detail = await mp.call("GET", f"/mp/v1/appeals/{appeal_id}", token=token)
    supplement = await post_form(mp, f"/mp/v1/appeals/{appeal_id}/supplement", token=token, fields={"text": "我来补充一下"})
    confirm = await mp.call("POST", f"/mp/v1/appeals/{appeal_id}/confirm", token=token,
                            json_body={"resolved": True, "satisfaction": "satisfied"})
    listed = await mp.call("GET", "/mp/v1/appeals", token=token)
    missing = await mp.call("GET", "/mp/v1/appeals/999999", token=token)

    for reply in (detail, supplement, confirm):
        assert reply.status == 404, reply.text
        assert reply.error["code"] == "appeal_not_found" and reply.error["message"] == "未找到该诉求"
    assert detail.text == missing.text  # no difference between "not yours" and "not there"
    assert listed.json["items"] == []
    assert (await Appeal.get(id=appeal_id)).flag == ""


async def test_colleagues_bound_to_the_same_enterprise_follow_its_appeals(mp, cast) -> None:
    enterprise = await make_enterprise(name="上海同事科技有限公司")
    owner_token, owner = await mp.login()
    colleague_token, colleague = await mp.login()
    for person in (owner, colleague):
        await EnterpriseBinding.create(user_id=person["id"], enterprise=enterprise, role="contact", verified_by="test")
    appeal_id = (await file_appeal(mp, owner_token, enterprise_id=enterprise.id)).json["id"]

    reply = await mp.call("GET", f"/mp/v1/appeals/{appeal_id}", token=colleague_token)
    listed = await mp.call("GET", "/mp/v1/appeals", token=colleague_token)

    assert reply.status == 200 and reply.json["is_submitter"] is False
    assert [item["id"] for item in listed.json["items"]] == [appeal_id]


# -- documentation -----------------------------------------------------------------------------


async def test_the_upload_endpoints_are_documented_as_forms(mp) -> None:
    document = (await mp.call("GET", "/mp/v1/openapi.json")).json

    submit = document["paths"]["/mp/v1/appeals"]["post"]
    form = submit["requestBody"]["content"]["multipart/form-data"]
    model_ref, files = form["schema"]["allOf"]
    model = document["components"]["schemas"][model_ref["$ref"].rsplit("/", 1)[-1]]
    assert {"category", "description"} <= set(model["required"])
    assert files["properties"]["photos"]["maxItems"] == 9
    assert "too_many_files" in submit["responses"]["400"]["description"]
    assert "413" in submit["responses"] and "415" in submit["responses"]
    assert any(p["name"] == "Idempotency-Key" for p in submit["parameters"])
    page = await mp.call("GET", "/mp/v1/docs")
    assert "诉求描述" in page.text
