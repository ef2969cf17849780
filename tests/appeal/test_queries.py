"""The enterprise's read side of appeals (`app.appeal.queries`): which appeals a person
follows, what the timeline shows and hides, and which buttons a page offers."""

from __future__ import annotations

import pytest

from app.appeal import queries, service
from app.appeal.errors import AppealError, AppealNotFound
from app.appeal.models import AppealAttachment, AppealStatus
from app.appeal.service import IncomingFile
from app.content_check.models import CheckKind, ContentCheck
from app.identity.models import EnterpriseBinding

from .factories import file_appeal, make_cast, make_enterprise_user, take_to

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
async def cast(db):
    return await make_cast()


async def test_a_person_follows_their_own_appeals_and_their_enterprises(cast, settings) -> None:
    mine = await file_appeal(cast, settings, title="我提交的")
    colleague = await make_enterprise_user(bound=False)
    binding = await EnterpriseBinding.get(user_id=cast.user.id)
    await EnterpriseBinding.create(user=colleague, enterprise_id=binding.enterprise_id, role="contact", verified_by="test")
    theirs = await file_appeal(cast, settings, user=colleague, title="同事提交的")
    stranger = await make_enterprise_user()
    await file_appeal(cast, settings, user=stranger, enterprise_id=None, title="别人的")

    page = await queries.list_for_user(user=cast.user)

    assert [item.id for item in page.items] == [theirs.id, mine.id]
    assert (page.total, page.has_next) == (2, False)
    assert [item.title for item in (await queries.list_for_user(user=stranger)).items] == ["别人的"]


async def test_the_list_filters_by_open_or_closed_and_pages(cast, settings) -> None:
    appeals = [await file_appeal(cast, settings, title=f"第{n}件") for n in range(5)]
    await service.decline(appeal_id=appeals[1].id, staff=cast.dispatcher, reason="重复提交")

    open_ = await queries.list_for_user(user=cast.user, status="open", page=1, per_page=3)
    rest = await queries.list_for_user(user=cast.user, status="open", page=2, per_page=3)
    closed = await queries.list_for_user(user=cast.user, status="closed")

    assert [item.title for item in open_.items] == ["第4件", "第3件", "第2件"]
    assert (open_.total, open_.has_next) == (4, True)
    assert [item.title for item in rest.items] == ["第0件"] and not rest.has_next
    assert [(item.title, item.status_label) for item in closed.items] == [("第1件", "不予受理")]
    with pytest.raises(AppealError) as refused:
        await queries.list_for_user(user=cast.user, status="lost")
    assert refused.value.code == "invalid_status_filter"


async def test_the_timeline_shows_public_steps_by_organisation_never_internal_ones(cast, settings) -> None:
    appeal = await take_to("in_progress", cast, settings)
    await service.add_note(appeal_id=appeal.id, staff=cast.keji, text="与企业电话沟通，对方语气强硬")
    await service.request_transfer(appeal_id=appeal.id, staff=cast.keji, reason="更适合税务局办理")
    await service.request_info(appeal_id=appeal.id, staff=cast.keji, question="请补充认定申请受理回执")

    detail = await queries.detail_for_user(user=cast.user, appeal_id=appeal.id, settings=settings)

    steps = [(entry.action, entry.label, entry.who) for entry in detail.timeline]
    assert steps == [
        ("submit", "提交诉求", "企业"),
        ("accept", "受理", cast.orgs["city.coordination"].name),
        ("dispatch", "分派", cast.orgs["city.coordination"].name),
        ("start", "签收办理", "上海市科学技术委员会"),
        ("request_info", "请企业补充材料", "上海市科学技术委员会"),
    ]
    assert detail.timeline[2].details == ["承办单位：上海市科学技术委员会"]
    assert detail.timeline[2].status is AppealStatus.dispatched and detail.timeline[2].status_label == "已分派"
    assert detail.timeline[-1].text == "请补充认定申请受理回执" and detail.timeline[-1].status is None
    shown = repr(detail)
    assert "语气强硬" not in shown and "税务局" not in shown
    assert cast.keji.display_name not in shown and cast.dispatcher.display_name not in shown
    assert detail.summary.awaiting == "请补充材料"
    assert detail.contact_phone_masked == "138****5678"
    assert detail.lead_organisation == "上海市科学技术委员会"
    assert [action.action for action in detail.actions] == ["supplement"]
    assert detail.actions[0].note_required and detail.actions[0].note_label == "补充内容"


async def test_a_replied_appeal_offers_confirm_and_reopen_until_reopens_are_used_up(cast, settings) -> None:
    appeal = await take_to("replied", cast, settings)

    first = await queries.detail_for_user(user=cast.user, appeal_id=appeal.id, settings=settings)
    await service.confirm(appeal_id=appeal.id, user=cast.user, resolved=False, satisfaction="dissatisfied",
                          comment="没有说明延误原因", settings=settings)
    await take_to("replied", cast, settings, appeal=await service.get_appeal(appeal.id))
    second = await queries.detail_for_user(user=cast.user, appeal_id=appeal.id, settings=settings)

    assert [a.action for a in first.actions] == ["confirm", "reopen"] and first.reopens_left == 1
    assert first.summary.awaiting == "待您确认并评价"
    assert [a.action for a in second.actions] == ["confirm"] and second.reopens_left == 0
    reopen = next(entry for entry in second.timeline if entry.action == "reopen")
    assert (reopen.who, reopen.text) == ("企业", "没有说明延误原因")
    assert reopen.details == ["问题未解决", "满意度：不满意"]


async def test_someone_else_is_told_the_appeal_does_not_exist(cast, settings) -> None:
    appeal = await file_appeal(cast, settings)
    stranger = await make_enterprise_user()

    with pytest.raises(AppealNotFound):
        await queries.detail_for_user(user=stranger, appeal_id=appeal.id, settings=settings)
    with pytest.raises(AppealNotFound):
        await queries.detail_for_user(user=cast.user, appeal_id=appeal.id + 1000, settings=settings)


async def test_attachments_are_signed_links_and_refused_photos_are_left_out(cast, settings) -> None:
    appeal = await file_appeal(cast, settings, files=[IncomingFile(data=PNG, filename="a.png"),
                                                     IncomingFile(data=PNG + b"x", filename="b.png")])
    first, second = await AppealAttachment.filter(appeal_id=appeal.id).order_by("id")
    second.check_result = "risky"
    await second.save()

    absolute = await queries.detail_for_user(user=cast.user, appeal_id=appeal.id, settings=settings)
    relative = await queries.detail_for_user(user=cast.user, appeal_id=appeal.id, settings=settings, absolute_urls=False)

    [shown] = absolute.attachments
    assert (shown.id, shown.filename, shown.content_type, shown.is_image) == (first.id, "a.png", "image/png", True)
    assert shown.url.startswith(f"{settings.public_base_url}/files/appeal/{first.id}?expires=")
    assert relative.attachments[0].url.startswith(f"/files/appeal/{first.id}?expires=")
    assert absolute.timeline[0].attachments == [shown]


async def test_categories_carry_this_deployments_deadlines(settings) -> None:
    changed = settings.model_copy(update={"appeal_deadlines": {"tax": {"resolve": 10}}})

    by_code = {c.code: c for c in queries.categories(settings=changed)}

    assert by_code["tax"].resolve_working_days == 10
    assert by_code["technology"].resolve_working_days == 15
    assert list(by_code)[-1] == "other"


async def test_photos_to_check_are_the_uploads_not_yet_submitted(cast, settings) -> None:
    appeal = await file_appeal(cast, settings, files=[IncomingFile(data=PNG, filename="a.png"),
                                                     IncomingFile(data=PNG + b"y", filename="b.png")])
    first, second = await AppealAttachment.filter(appeal_id=appeal.id).order_by("id")
    await ContentCheck.create(subject_type="appeal_attachment", subject_id=first.id, kind=CheckKind.image)

    waiting = await queries.attachments_to_check(appeal_id=appeal.id)

    assert [a.id for a in waiting] == [second.id]


async def test_the_file_behind_a_link(cast, settings) -> None:
    appeal = await file_appeal(cast, settings, files=[IncomingFile(data=PNG, filename="现场.png")])
    attachment = await AppealAttachment.get(appeal_id=appeal.id)
    chat_photo = await AppealAttachment.create(
        appeal=appeal, filename="chat-photo.jpg", content_type="image/jpeg", size=0,
        storage_key="url:https://mmbiz.qpic.cn/mmbiz_jpg/abc/0", check_result="pass",
    )

    stored = await queries.attachment_file(attachment_id=attachment.id, settings=settings)
    kept_by_wechat = await queries.attachment_file(attachment_id=chat_photo.id, settings=settings)

    assert stored.path is not None and stored.path.read_bytes() == PNG
    assert (stored.content_type, stored.filename) == ("image/png", "现场.png")
    assert kept_by_wechat.redirect == "https://mmbiz.qpic.cn/mmbiz_jpg/abc/0" and kept_by_wechat.path is None
    with pytest.raises(AppealNotFound):
        await queries.attachment_file(attachment_id=chat_photo.id + 1, settings=settings)
