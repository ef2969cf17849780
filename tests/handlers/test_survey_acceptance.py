"""Issue 7 acceptance, as staff and enterprises meet it: a 12-question questionnaire over the
five dimensions, a sample of 1,000 drawn (and drawn again) from one seed, invitations once each
in the simulator's records, one follower answering half in chat and finishing later, another in
the mini-program, and the results page and its XLSX export showing both."""

from __future__ import annotations

import dataclasses
import io
import random
import re
from datetime import date
from decimal import Decimal

import openpyxl

from app.enterprise.models import Enterprise
from app.enterprise.reference import District, LifecycleStage, Ownership, SizeClass
from app.identity.models import EnterpriseBinding, Follower, WeChatUser
from app.outbox.delivery import deliver_pending
from app.survey.models import Disposition, SurveyResponse, SurveySample
from tests.admin.support import AdminClient, seed_accounts
from tests.identity.factories import make_credit_code
from tests.miniprogram_api.conftest import MiniProgram

REGISTER = 3000
BOUND_SHARE = 0.5


async def _register() -> None:
    """A register spread over districts, sizes and ownerships; half the enterprises have a follower."""
    rng = random.Random(7)
    districts, sizes, owners = list(District), list(SizeClass), list(Ownership)
    await Enterprise.bulk_create([
        Enterprise(credit_code=make_credit_code(), name=f"上海验收{n:05d}有限公司", legal_representative="王五",
                   district=rng.choice(districts), industry_section="C", industry_division="39",
                   size_class=rng.choices(sizes, weights=(1, 4, 20, 60, 15))[0],
                   ownership=rng.choices(owners, weights=(1, 2, 80, 8, 3, 6))[0], registered_capital=Decimal("100"),
                   established_on=date(2018, 1, 1), lifecycle_stage=LifecycleStage.growth, tags=[])
        for n in range(REGISTER)
    ], batch_size=500)
    chosen = [e for e in await Enterprise.all().order_by("id") if rng.random() < BOUND_SHARE]
    users = await WeChatUser.bulk_create([WeChatUser() for _ in chosen], batch_size=500)
    users = list(reversed(await WeChatUser.all().order_by("-id").limit(len(chosen))))
    await Follower.bulk_create([Follower(openid=f"oAccept{e.id:06d}", user_id=u.id) for e, u in zip(chosen, users)],
                               batch_size=500)
    await EnterpriseBinding.bulk_create([
        EnterpriseBinding(user_id=u.id, enterprise_id=e.id, role="legal_representative", verified_by="test")
        for e, u in zip(chosen, users)], batch_size=500)


async def _sampled_ids(survey_id: int) -> list[int]:
    return sorted(await SurveySample.filter(survey_id=survey_id).values_list("enterprise_id", flat=True))


async def _openid_of_a_sampled(survey_id: int, *, skip: int = 0) -> tuple[str, Enterprise]:
    rows = await SurveySample.filter(survey_id=survey_id, disposition=Disposition.pending).order_by("id").offset(skip).limit(1)
    enterprise = await Enterprise.get(id=rows[0].enterprise_id)
    binding = await EnterpriseBinding.get(enterprise_id=enterprise.id)
    follower = await Follower.get(user_id=binding.user_id)
    return follower.openid, enterprise


async def test_build_sample_invite_answer_in_chat_and_mini_program_then_read_the_results(
    sim, server, resources, settings, http, wechat,
):
    await seed_accounts()
    await _register()
    staff = AdminClient(server)
    await staff.login("admin")

    # A staff member builds the questionnaire: the annual template's 12 questions, five dimensions.
    status, _, created = await staff.post("/admin/surveys/new", {
        "title": "2026年度营商环境企业满意度调查", "kind": "annual", "year": "2026", "template": "annual",
        "is_anonymous": "on", "closes_at": "2099-12-31T18:00", "reminder_interval_days": "3", "max_reminders": "2",
    }, token_from="/admin/surveys/new")
    assert status == 303
    survey_id = int(re.search(r"/admin/surveys/(\d+)", created.headers["Location"]).group(1))
    builder = f"/admin/surveys/{survey_id}/questionnaire"
    page = (await staff.get(builder))[1]
    assert all(name in page for name in ("政务环境", "市场环境", "社会环境", "法治环境", "产业环境"))
    assert (await staff.post(f"{builder}/publish", {}, token_from=builder))[0] == 303

    # 1,000 reachable enterprises, stratified by district, size and ownership; the preview shows
    # the make-up against the register; the same seed draws the same sample again.
    sample_page = f"/admin/surveys/{survey_id}/sample"
    design = [("frame", "register"), ("reachable_only", "on"), ("strata", "district"), ("strata", "size_class"),
              ("strata", "ownership"), ("size", "1000"), ("allocation", "proportional"), ("seed", "2017")]
    status, preview, _ = await staff.post(sample_page, [*design, ("action", "preview")], token_from=sample_page)
    assert status == 200 and "法人库" in preview and "浦东新区" in preview
    assert not await SurveySample.filter(survey_id=survey_id).exists()  # a preview writes nothing
    assert (await staff.post(sample_page, [*design, ("action", "draw")], token_from=sample_page))[0] == 303
    first = await _sampled_ids(survey_id)
    assert len(first) == 1000
    assert (await staff.post(sample_page, [*design, ("action", "draw")], token_from=sample_page))[0] == 303
    assert await _sampled_ids(survey_id) == first

    # Open and invite (twice: nothing twice); the worker sends them through the simulator.
    overview = f"/admin/surveys/{survey_id}"
    assert (await staff.post(f"{overview}/transition", {"action": "open"}, token_from=overview))[0] == 303
    tracking = f"{overview}/tracking"
    for _ in range(2):
        assert (await staff.post(f"{tracking}/invite", {}, token_from=tracking))[0] == 303
    worker = dataclasses.replace(resources, settings=settings.model_copy(
        update={"template_survey_invitation": "tpl-survey-invitation"}))
    await deliver_pending(worker, limit=200)
    await deliver_pending(worker, limit=200)
    async with http.get(f"{wechat.url}/_sim/messages", params={"kind": "template", "limit": "5000"}) as response:
        sent = (await response.json())["messages"]
    invitations = [m for m in sent if m["template_id"] == "tpl-survey-invitation"]
    assert len(invitations) == 1000 and len({m["openid"] for m in invitations}) == 1000
    assert invitations[0]["payload"]["url"].endswith(f"/h5/surveys/{survey_id}")

    # A follower answers half in chat, stops, comes back and finishes.
    openid, answering_in_chat = await _openid_of_a_sampled(survey_id)
    assert "第1/10题" in (await sim.event(openid, "CLICK", event_key="survey"))["reply"]["Content"]
    for answer in ("4", "1", "3天", "1", "8", "1 3"):
        await sim.say(openid, answer)
    assert "已保存" in await sim.say(openid, "取消")
    stopped = await SurveySample.get(survey_id=survey_id, enterprise_id=answering_in_chat.id)
    assert stopped.disposition == Disposition.partial
    resumed = await sim.say(openid, "问卷")
    assert "您上次答到第7题" in resumed
    for answer in ("5 4 4", "3", "4", "2", "5", "希望审批再快一些"):
        await sim.say(openid, answer)
    assert "问卷已提交" in await sim.say(openid, "1")

    # Another enterprise's person answers in the mini-program.
    _, other = await _openid_of_a_sampled(survey_id, skip=0)
    mini = MiniProgram(http, server, wechat.url, settings.miniprogram_appid)
    token, _ = await mini.login("oAcceptMini01")
    bound = await mini.call("POST", "/mp/v1/me/enterprises", token=token, json_body={
        "credit_code": other.credit_code, "legal_representative": "王五", "role": "contact"})
    assert bound.status == 201, bound.text
    answers = {"q1": 3, "q2": "no", "q5": 6, "q6": ["talent"], "q7": {"power": 3, "water": 4, "network": 2},
               "q8": 3, "q9": 3, "q10": "3", "q11": 4}
    submitted = await mini.call("POST", f"/mp/v1/surveys/{survey_id}/submit", token=token,
                                json_body={"answers": answers}, headers={"Idempotency-Key": "accept-1"})
    assert submitted.status == 200, submitted.text

    responses = await SurveyResponse.filter(survey_id=survey_id, submitted=True).order_by("id")
    assert [r.channel for r in responses] == ["chat", "miniprogram"]
    assert await SurveySample.filter(survey_id=survey_id, disposition=Disposition.complete).count() == 2

    # The results page shows the dimension scores and charts; the export has every answer.
    status, results, _ = await staff.get(f"{overview}/results")
    assert status == 200 and "<svg" in results and "维度得分" in results and "政务环境" in results
    async with staff.http.get(f"{server}{overview}/results.xlsx") as response:
        assert response.status == 200
        workbook = openpyxl.load_workbook(io.BytesIO(await response.read()))
    rows = list(workbook["原始答卷"].iter_rows(values_only=True))
    assert len(rows) == 3  # the header and both responses
    cells = [str(cell) for row in rows[1:] for cell in row if cell is not None]
    assert "希望审批再快一些" in cells and "招工难" in cells and "公众号对话" in cells and "小程序" in cells
    await staff.close()
