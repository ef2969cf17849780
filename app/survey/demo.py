"""Demo surveys, so a newcomer's `qiyun dev` shows the evaluation end to end.

* **2025年度营商环境企业满意度调查** — closed: 1,000 enterprises drawn from the demo register
  (everyone, reachable or not, as staff may choose), about four in ten answered; it is last
  year's survey that this year's results compare with.
* **2026年度营商环境企业满意度调查** — open, with this year's sample drawn (seed recorded) and
  some answers in; invitations are not sent, so staff send them from the tracking page and the
  demo followers (`oDemo…`) of sampled enterprises receive them in the simulator.
* **企业服务云使用体验调查** — a short public questionnaire any follower may answer once.

The surveys are built through the same services staff use (`questionnaires`, `sampling`,
`workflow`). The historical answers are synthetic and written directly: their enterprises
have no bound follower who could have given them, and a demo must not pretend otherwise. They
carry a random response key, so nobody can answer "for" them later.
"""

from __future__ import annotations

import random
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.transactions import in_transaction

from app.enterprise.models import Enterprise
from app.survey import definition as defs
from app.survey import questionnaires, sampling, workflow
from app.staff.models import Staff
from app.survey.models import Disposition, Survey, SurveyKind, SurveyResponse, SurveySample

__all__ = ["seed_demo_surveys"]

ORGANISER = "市营商环境建设办公室"
PUBLIC_DEFINITION: dict[str, Any] = {
    "sections": [{"key": "use", "title": "使用体验", "dimension": "service"},
                 {"key": "more", "title": "意见建议", "dimension": "profile"}],
    "questions": [
        {"key": "q1", "section": "use", "type": "rating", "title": "您对企业服务云的总体满意度",
         "scale": {"min": 1, "max": 5, "min_label": "很不满意", "max_label": "很满意"}},
        {"key": "q2", "section": "use", "type": "multiple", "title": "您常用的功能（可多选）",
         "options": [{"value": "policy", "label": "政策查询"}, {"value": "appeal", "label": "诉求反映"},
                     {"value": "provider", "label": "专业服务"}, {"value": "activity", "label": "活动报名"}]},
        {"key": "q3", "section": "use", "type": "rating", "title": "您向同行推荐企业服务云的可能性（0–10分）",
         "scale": {"min": 0, "max": 10}},
        {"key": "q4", "section": "more", "type": "textarea", "title": "您希望增加哪些功能", "required": False,
         "max_length": 300},
    ],
}
SUGGESTIONS = (
    "希望进一步压缩审批时限，推行一网通办", "融资担保门槛偏高，希望加大对小微企业的支持", "人才公寓申请流程复杂",
    "执法检查频次较高，希望推行综合查一次", "用电报装时间还可以再缩短", "希望政策兑现更快，免申即享范围扩大",
    "园区配套不足，餐饮和交通不便", "招工难，希望加强职业技能培训", "跨境贸易通关效率有提升，希望继续优化",
)


async def seed_demo_surveys(*, seed: int) -> int:
    """Create the demo surveys once (nothing when any survey exists); returns how many were made."""
    if await Survey.exists():
        return 0
    if await Enterprise.all().count() < 1000:
        return 0  # a register too small for an annual sample (tests seed smaller registers)
    now = datetime.now(UTC)
    rng = random.Random(seed * 31 + 7)
    last_year = await _annual(year=2025, seed=seed, now=now)
    await _synthetic_answers(last_year, rng=rng, share=0.42, mood=-4.0)
    await workflow.transition(staff=None, survey_id=last_year.id, action="close",
                              now=last_year.closes_at + timedelta(minutes=1))
    this_year = await _annual(year=2026, seed=seed + 1, now=now, previous_id=last_year.id)
    await _synthetic_answers(this_year, rng=rng, share=0.12, mood=0.0, reachable=False)
    await _public(now=now)
    return 3


async def _annual(*, year: int, seed: int, now: datetime, previous_id: int | None = None) -> Survey:
    closed = year < now.year
    opens = datetime(year, 3, 1, tzinfo=UTC) if closed else now - timedelta(days=3)
    closes = datetime(year, 4, 30, tzinfo=UTC) if closed else now + timedelta(days=30)
    data = questionnaires.SurveyInput(
        title=f"{year}年度营商环境企业满意度调查", kind=SurveyKind.annual, year=year, organiser=ORGANISER,
        description="按区、企业规模和所有制分层抽样，评估政务、市场、社会、法治和产业五个维度的营商环境。",
        opens_at=None, closes_at=now + timedelta(days=30), estimated_minutes=8, previous_id=previous_id,
    )
    staff = await _demo_admin()
    survey = await questionnaires.create_survey(staff=staff, data=data, template="annual")
    await questionnaires.publish_questionnaire(staff=staff, survey_id=survey.id)
    design = sampling.SampleDesign(size=1000, seed=20_170_000 + seed, reachable_only=False, min_per_stratum=0)
    await sampling.draw(staff=staff, survey_id=survey.id, design=design)
    await workflow.transition(staff=staff, survey_id=survey.id, action="open", now=now)
    await Survey.filter(id=survey.id).update(opens_at=opens, closes_at=closes, opened_at=opens)
    return await Survey.get(id=survey.id)


async def _demo_admin() -> Staff | None:
    return await Staff.get_or_none(username="admin")


async def _public(*, now: datetime) -> Survey:
    staff = await _demo_admin()
    data = questionnaires.SurveyInput(
        title="企业服务云使用体验调查", kind=SurveyKind.adhoc, is_public=True, organiser="企业服务云",
        description="欢迎所有关注者参与，帮助我们改进企业服务云。", closes_at=now + timedelta(days=60),
        estimated_minutes=2,
    )
    survey = await questionnaires.create_survey(staff=staff, data=data, template="blank")
    questionnaire = await questionnaires.editable_questionnaire(survey_id=survey.id)
    questionnaire.definition = defs.load(PUBLIC_DEFINITION).to_json()
    await questionnaire.save(update_fields=["definition"])
    await questionnaires.publish_questionnaire(staff=staff, survey_id=survey.id)
    return await workflow.transition(staff=staff, survey_id=survey.id, action="open", now=now)


def _answers(definition: defs.Definition, rng: random.Random, mood: float) -> dict[str, Any]:
    """A plausible respondent: one underlying satisfaction, each answer near it."""
    base = min(1.0, max(0.0, rng.gauss(0.68 + mood / 100, 0.15)))
    answers: dict[str, Any] = {}
    for question in definition.questions:
        if question.key not in {q.key for q in defs.visible_questions(definition, answers)}:
            continue
        near = min(1.0, max(0.0, base + rng.gauss(0, 0.12)))
        if question.type in ("rating", "matrix"):
            scale = question.scale or defs.Scale()
            point = lambda: scale.min + round(min(1.0, max(0.0, near + rng.gauss(0, 0.08))) * (scale.max - scale.min))
            answers[question.key] = point() if question.type == "rating" else {row.key: point() for row in question.rows}
        elif question.type == "single":
            scored = [o for o in question.options if o.score is not None]
            if scored:
                answers[question.key] = min(scored, key=lambda o: abs(o.score - near * 100)).value
            else:
                answers[question.key] = question.options[0 if rng.random() < 0.35 else -1].value
        elif question.type == "multiple":
            chosen = [o.value for o in question.options if rng.random() < 0.35] or [question.options[0].value]
            answers[question.key] = chosen[: question.max_choices or len(chosen)]
        elif question.type == "number":
            low, high = question.min or 0, min(question.max or 20, 20)
            answers[question.key] = int(low + (1 - near) * (high - low))
        elif question.type in ("text", "textarea") and (question.required or rng.random() < 0.3):
            answers[question.key] = rng.choice(SUGGESTIONS)
    return defs.prune(definition, answers)


async def _synthetic_answers(survey: Survey, *, rng: random.Random, share: float, mood: float,
                             reachable: bool = True) -> int:
    """Submitted answers for a share of the sample (and a few partial and refused ones)."""
    from app.survey.answering import current_questionnaire

    questionnaire = await current_questionnaire(survey_id=survey.id)
    definition = defs.load(questionnaire.definition)
    samples = await SurveySample.filter(survey_id=survey.id).order_by("id")
    if not reachable:  # leave the demo followers' own enterprises for them to answer
        from app.identity.models import EnterpriseBinding

        bound = set(await EnterpriseBinding.filter(revoked_at__isnull=True).values_list("enterprise_id", flat=True))
        samples = [s for s in samples if s.enterprise_id not in bound]
    enterprises = {e.id: e for e in await Enterprise.filter(id__in=[s.enterprise_id for s in samples] or [-1])}
    written = 0
    async with in_transaction() as connection:
        for sample in samples:
            roll = rng.random()
            if roll >= share + 0.06:
                continue
            if roll >= share:
                disposition = Disposition.refusal if roll < share + 0.03 else Disposition.partial
                await SurveySample.filter(id=sample.id).using_db(connection).update(disposition=disposition)
                continue
            enterprise = enterprises[sample.enterprise_id]
            submitted_at = (survey.opens_at or datetime.now(UTC)) + timedelta(hours=rng.randrange(1, 24 * 20))
            submitted_at = min(submitted_at, datetime.now(UTC))
            await SurveyResponse.create(
                survey_id=survey.id, questionnaire_id=questionnaire.id, response_key=secrets.token_hex(32),
                channel=rng.choice(("chat", "h5", "miniprogram")), answers=_answers(definition, rng, mood),
                weight=sample.design_weight, stratum=sample.stratum, district=enterprise.district,
                size_class=enterprise.size_class, ownership=enterprise.ownership, submitted=True,
                submitted_at=submitted_at, using_db=connection,
            )
            await SurveySample.filter(id=sample.id).using_db(connection).update(
                disposition=Disposition.complete, disposition_at=submitted_at, invited_at=survey.opens_at,
                invite_result="sent:demo")
            written += 1
    if reachable:  # last year's: everyone was invited; some had no channel
        pending = SurveySample.filter(survey_id=survey.id, disposition=Disposition.pending)
        for sample_id in await pending.values_list("id", flat=True):
            result = "skipped:no_channel" if rng.random() < 0.15 else "sent:demo"
            await SurveySample.filter(id=sample_id).update(invited_at=survey.opens_at, invite_result=result)
    return written
