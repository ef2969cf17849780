"""A survey's lifecycle as one transition table, checked in one place (`transition`).

```
 create ─▶ draft ──open (开始)──▶ open ──close (结束)──▶ closed
                                   ▲                       │
                                   └──reopen (重新开放)─────┘   needs a later closing date
```

* **开始** needs a published questionnaire (`app.survey.questionnaires.publish_questionnaire`),
  a closing date in the future, and a drawn sample unless the survey is public (anyone
  may answer once). Invitations are their own step (`app.survey.invitations.invite`).
* **结束** (staff, or the closing job when `closes_at` passed: `staff=None`) settles the
  dispositions of those who never answered (`app.survey.invitations.finalise_dispositions`)
  in the same transaction.
* **重新开放** needs a closing date later than now (staff first change it in the settings).

Owned by the questionnaire-builder work (issue 7).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from tortoise.transactions import in_transaction

from app.audit import service as audit
from app.staff.models import Staff
from app.survey.errors import SurveyError, SurveyNotFound
from app.survey.models import Questionnaire, Survey, SurveySample, SurveyStatus

__all__ = ["TRANSITIONS", "Transition", "check", "get_transition", "steps_from", "transition"]

S = SurveyStatus


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[SurveyStatus]
    target: SurveyStatus
    label: str
    audit_action: str


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition("open", frozenset({S.draft}), S.open, "开始", "survey.open"),
        Transition("close", frozenset({S.open}), S.closed, "结束", "survey.close"),
        Transition("reopen", frozenset({S.closed}), S.open, "重新开放", "survey.reopen"),
    )
}
"""action -> transition: the only place that says which lifecycle step is legal."""


def get_transition(action: str) -> Transition:
    try:
        return TRANSITIONS[action]
    except KeyError:
        raise SurveyError(f"未知的调查操作「{action}」", code="unknown_action", field="action") from None


def check(step: Transition, *, status: SurveyStatus) -> None:
    """`SurveyError` unless `step` may be taken from `status`."""
    status = SurveyStatus(status)
    if status not in step.sources:
        allowed = "、".join(s.label for s in SurveyStatus if s in step.sources)
        raise SurveyError(
            f"调查当前为「{status.label}」，不能{step.label}（只有「{allowed}」的调查可以{step.label}）",
            code="wrong_state",
        )


def steps_from(status: SurveyStatus) -> list[Transition]:
    """The steps possible now (the buttons a page shows), in table order."""
    return [t for t in TRANSITIONS.values() if SurveyStatus(status) in t.sources]


async def _preconditions(step: Transition, survey: Survey, *, now: datetime, automatic: bool, connection) -> None:
    """What each step needs besides the right status (Chinese refusals staff can act on)."""
    if step.action == "close" and automatic and (survey.closes_at is None or survey.closes_at > now):
        # The closing job found the survey due, but staff extended it meanwhile.
        raise SurveyError("调查尚未到截止时间", code="not_due")
    if step.action == "open":
        published = await Questionnaire.filter(survey_id=survey.id, published_at__isnull=False).using_db(
            connection).exists()
        if not published:
            raise SurveyError("请先在“题目”页发布问卷，再开始调查", code="questionnaire_unpublished")
        if survey.closes_at is None or survey.closes_at <= now:
            raise SurveyError("请先在设置中填写晚于现在的截止时间", code="closes_at_required", field="closes_at")
        if not survey.is_public and not await SurveySample.filter(survey_id=survey.id).using_db(connection).exists():
            raise SurveyError("请先在“抽样”页抽取样本（公开问卷无需抽样）", code="sample_missing")
    elif step.action == "reopen":
        if survey.closes_at is None or survey.closes_at <= now:
            raise SurveyError("重新开放前，请先在设置中把截止时间改到现在之后", code="closes_at_passed",
                              field="closes_at")


async def transition(*, staff: Staff | None, survey_id: int, action: str, now: datetime | None = None) -> Survey:
    """Take a lifecycle step (open / close / reopen), audited; `staff=None` is the closing job.

    The survey row is locked and the status changed with a conditional update, so two
    clicks (or a click and the closing job) take a step once; the second is refused. The
    closing job closes only a survey whose closing date has passed (staff may have extended
    it since the job looked)."""
    step = get_transition(action)
    now = now or datetime.now(UTC)
    async with in_transaction() as connection:
        survey = await Survey.filter(id=survey_id).using_db(connection).select_for_update().first()
        if survey is None:
            raise SurveyNotFound("未找到该调查")
        check(step, status=survey.status)
        await _preconditions(step, survey, now=now, automatic=staff is None, connection=connection)
        changes: dict[str, object] = {"status": step.target}
        if step.action == "open":
            changes["opened_at"] = now
        elif step.action == "close":
            changes["closed_at"] = now
        else:
            changes["closed_at"] = None
        updated = await Survey.filter(id=survey.id, status=survey.status).using_db(connection).update(**changes)
        if not updated:  # cannot happen under the lock; the guard the rule relies on
            raise SurveyError("调查刚刚已被他人变更，请刷新后重试", code="survey_conflict")
        if step.action == "close":
            from app.survey.invitations import finalise_dispositions  # H3's module; imported late to avoid a cycle

            await finalise_dispositions(survey_id=survey.id, connection=connection)
        await audit.record(
            staff=staff, action=step.audit_action, target_type="survey", target_id=survey.id,
            username="" if staff is not None else "system",
            detail={"from": SurveyStatus(survey.status).value, "to": step.target.value,
                    "closes_at": survey.closes_at.isoformat() if survey.closes_at else None,
                    **({"by": "closing job"} if staff is None else {})},
        )
        return await Survey.get(id=survey.id).using_db(connection)
