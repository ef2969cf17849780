"""Answering a survey, the same on every channel: who may answer, drafts, submission, refusal.

The chat (`handlers.flows.survey_answer`), the H5 page (`handlers.h5.surveys`) and the
mini-program (`miniprogram_api.endpoints.surveys`) all call these functions, so an answer
given in one is there in the others: a follower can answer half in chat and finish on the
phone's browser or in the mini-program.

* **Who answers.** A sampled survey is answered once per sampled enterprise, by any person
  bound to it (`EnterpriseBinding`, not revoked). A public survey (`Survey.is_public`) is
  answered once per person. A person bound to several sampled enterprises names one
  (`enterprise_id`); without it the first not yet complete is taken.
* **Where the answers live.** `SurveyResponse`, found by `response_key` (HMAC of survey and
  respondent, `app.survey.keys`); for an anonymous survey it holds no enterprise or person,
  only the stratum's district / size / ownership and the design weight for the analysis.
* **Versions.** A response stays on the questionnaire version it began with; a new
  respondent gets the newest published version.
* **Dispositions.** The first saved answer turns the sample's disposition pending →
  partial, submission → complete, refusal → refusal (and opted out: no more reminders).
* **Once.** Submission checks every visible required question, drops answers that skip logic
  hid, and is final: saving after it is refused; submitting again answers with the stored
  response (a retried confirmation changes nothing).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app.config import Settings
from app.enterprise.models import Enterprise
from app.identity.models import EnterpriseBinding, WeChatUser
from app.survey import definition as defs
from app.survey.errors import AnswersInvalid, SurveyError, SurveyNotFound
from app.survey.keys import enterprise_subject, response_key, user_subject
from app.survey.models import Disposition, Questionnaire, Survey, SurveyResponse, SurveySample, SurveyStatus

__all__ = [
    "CHANNELS",
    "Respondent",
    "ResponseView",
    "SurveyCard",
    "current_questionnaire",
    "decline",
    "get_questionnaire",
    "find_respondent",
    "my_surveys",
    "open_response",
    "open_reason",
    "save_answers",
    "submit",
]

CHANNELS = ("chat", "h5", "miniprogram")
_ANSWERED = (Disposition.complete,)
_CLOSED_TO_CHANGE = (Disposition.complete, Disposition.refusal, Disposition.ineligible)


@dataclass(frozen=True)
class Respondent:
    """Who answers: a sampled enterprise (with its sample row) or, for a public survey, the person."""

    subject: str
    enterprise: Enterprise | None
    sample: SurveySample | None


@dataclass(frozen=True)
class ResponseView:
    """A respondent's questionnaire and answers so far, as every channel shows them."""

    survey: Survey
    questionnaire: Questionnaire
    definition: defs.Definition
    answers: dict[str, Any]
    submitted: bool
    submitted_at: datetime | None
    response_id: int | None
    enterprise: Enterprise | None
    already_submitted: bool = False
    """Set by `submit` when the response had been submitted before this call."""

    @property
    def visible(self) -> list[defs.Question]:
        return defs.visible_questions(self.definition, self.answers)

    @property
    def progress(self) -> tuple[int, int]:
        return defs.progress(self.definition, self.answers)

    @property
    def percent(self) -> int:
        answered, total = self.progress
        return 100 if self.submitted or not total else round(answered * 100 / total)

    @property
    def next_question(self) -> defs.Question | None:
        """The first visible question without an answer (where a respondent resumes)."""
        for question in self.visible:
            if not defs.is_answered(question, self.answers):
                return question
        return None

    @property
    def missing(self) -> list[defs.Question]:
        return defs.missing_required(self.definition, self.answers)


@dataclass(frozen=True)
class SurveyCard:
    """One survey in a person's list: what they are asked to answer and how far they are."""

    survey: Survey
    enterprise: Enterprise | None
    state: str
    """"new", "draft" or "submitted"."""
    percent: int


def now() -> datetime:
    return datetime.now(UTC)


def open_reason(survey: Survey, *, at: datetime | None = None) -> str | None:
    """Why the survey cannot be answered now (Chinese), or None if it can."""
    at = at or now()
    if SurveyStatus(survey.status) is SurveyStatus.draft:
        return "该问卷尚未开始"
    if SurveyStatus(survey.status) is SurveyStatus.closed or (survey.closes_at is not None and survey.closes_at <= at):
        return "该问卷已结束，感谢您的关注"
    if survey.opens_at is not None and survey.opens_at > at:
        return f"该问卷将于{survey.opens_at.astimezone(_local()).strftime('%Y年%m月%d日 %H:%M')}开始"
    return None


def _local():
    from zoneinfo import ZoneInfo

    return ZoneInfo("Asia/Shanghai")


async def get_survey(*, survey_id: int) -> Survey:
    """A survey respondents may see (not a draft)."""
    survey = await Survey.get_or_none(id=survey_id)
    if survey is None or SurveyStatus(survey.status) is SurveyStatus.draft:
        raise SurveyNotFound()
    return survey


async def current_questionnaire(*, survey_id: int, connection: BaseDBAsyncClient | None = None) -> Questionnaire:
    """The newest published version: what a new respondent answers."""
    questionnaire = (
        await Questionnaire.filter(survey_id=survey_id, published_at__isnull=False)
        .using_db(connection).order_by("-version").first()
    )
    if questionnaire is None:
        raise SurveyError("该问卷还没有发布题目", code="questionnaire_missing")
    return questionnaire


async def get_questionnaire(*, questionnaire_id: int) -> Questionnaire | None:
    """One questionnaire version (a conversation keeps the version it started with)."""
    return await Questionnaire.get_or_none(id=questionnaire_id)


async def _bound_enterprise_ids(user: WeChatUser) -> list[int]:
    return list(
        await EnterpriseBinding.filter(user_id=user.id, revoked_at__isnull=True)
        .order_by("id").values_list("enterprise_id", flat=True)
    )


async def find_respondent(*, survey: Survey, user: WeChatUser, enterprise_id: int | None = None) -> Respondent:
    """Whom `user` answers `survey` for; `SurveyError` if they were not invited."""
    bound = await _bound_enterprise_ids(user)
    if enterprise_id is not None and enterprise_id not in bound:
        raise SurveyError("您尚未绑定该企业，不能代表它填写问卷", code="enterprise_access_denied", field="enterprise_id")
    candidates = [enterprise_id] if enterprise_id is not None else bound
    samples = await SurveySample.filter(survey_id=survey.id, enterprise_id__in=candidates or [-1]).order_by("id")
    if samples:
        sample = next((s for s in samples if Disposition(s.disposition) not in _CLOSED_TO_CHANGE), samples[0])
        enterprise = await Enterprise.get(id=sample.enterprise_id)
        return Respondent(enterprise_subject(enterprise.id), enterprise, sample)
    if survey.is_public:
        enterprise = await Enterprise.get_or_none(id=bound[0]) if bound else None
        return Respondent(user_subject(user.id), enterprise, None)
    if not bound:
        raise SurveyError("该问卷仅邀请抽样企业填写。如您的企业收到邀请，请先绑定企业。", code="not_invited")
    raise SurveyError("您绑定的企业不在本次调查的抽样名单中，感谢您的关注", code="not_invited")


async def _response(survey: Survey, respondent: Respondent, settings: Settings,
                    connection: BaseDBAsyncClient | None = None, *, lock: bool = False) -> SurveyResponse | None:
    key = response_key(settings=settings, survey_id=survey.id, subject=respondent.subject)
    query = SurveyResponse.filter(response_key=key).using_db(connection)
    if lock:
        query = query.select_for_update()
    return await query.first()


async def _view(survey: Survey, respondent: Respondent, response: SurveyResponse | None,
                connection: BaseDBAsyncClient | None = None, *, already: bool = False) -> ResponseView:
    if response is not None:
        questionnaire = await Questionnaire.get(id=response.questionnaire_id).using_db(connection)
    else:
        questionnaire = await current_questionnaire(survey_id=survey.id, connection=connection)
    return ResponseView(
        survey=survey,
        questionnaire=questionnaire,
        definition=defs.load(questionnaire.definition),
        answers=dict(response.answers or {}) if response is not None else {},
        submitted=bool(response and response.submitted),
        submitted_at=response.submitted_at if response is not None else None,
        response_id=response.id if response is not None else None,
        enterprise=respondent.enterprise,
        already_submitted=already,
    )


def _refuse_if_closed_to_change(respondent: Respondent) -> None:
    sample = respondent.sample
    if sample is None:
        return
    if Disposition(sample.disposition) is Disposition.ineligible:
        raise SurveyError("您的企业不在本次调查范围内，无需填写", code="ineligible")
    if sample.opted_out or Disposition(sample.disposition) is Disposition.refusal:
        raise SurveyError("您已选择不参加本次调查。如需填写，请联系调查组织单位。", code="opted_out")


async def open_response(
    *, survey_id: int, user: WeChatUser, settings: Settings, enterprise_id: int | None = None
) -> ResponseView:
    """The questionnaire and the respondent's answers so far (nothing is written).

    A submitted response can be read after the survey closed; anything else needs the
    survey open."""
    survey = await get_survey(survey_id=survey_id)
    respondent = await find_respondent(survey=survey, user=user, enterprise_id=enterprise_id)
    response = await _response(survey, respondent, settings)
    if response is not None and response.submitted:
        return await _view(survey, respondent, response)
    reason = open_reason(survey)
    if reason is not None:
        raise SurveyError(reason, code="survey_not_open")
    _refuse_if_closed_to_change(respondent)
    return await _view(survey, respondent, response)


def _read_all(definition: defs.Definition, answers: Mapping[str, Any], *, by_number: bool) -> dict[str, Any]:
    read: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for key, value in answers.items():
        try:
            question = definition.question(str(key))
        except KeyError:
            errors[str(key)] = f"问卷中没有编号为 {key} 的题目"
            continue
        try:
            read[question.key] = defs.read_answer(question, value, by_number=by_number)
        except defs.AnswerInvalid as invalid:
            errors[question.key] = invalid.message
    if errors:
        raise AnswersInvalid(errors)
    return read


async def _write(
    *, survey: Survey, respondent: Respondent, settings: Settings, answers: Mapping[str, Any], channel: str,
    by_number: bool, finish: bool, at: datetime,
) -> ResponseView:
    """Merge `answers` into the respondent's response (created on first use), and submit it if `finish`."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    for attempt in range(2):
        try:
            async with in_transaction() as connection:
                response = await _response(survey, respondent, settings, connection, lock=True)
                if response is not None and response.submitted:
                    if finish:
                        return await _view(survey, respondent, response, connection, already=True)
                    raise SurveyError("问卷已提交，不能再修改，感谢您的参与", code="already_submitted")
                view = await _view(survey, respondent, response, connection)
                merged = dict(view.answers)
                for key, value in _read_all(view.definition, answers, by_number=by_number).items():
                    if value is None:
                        merged.pop(key, None)
                    else:
                        merged[key] = value
                if finish:
                    missing = defs.missing_required(view.definition, merged)
                    if missing:
                        raise AnswersInvalid({q.key: f"请回答第{_number(view.definition, merged, q)}题：{q.title}"
                                              for q in missing})
                    merged = defs.prune(view.definition, merged)
                values: dict[str, Any] = {"answers": merged, "channel": channel}
                if finish:
                    values.update(submitted=True, submitted_at=at)
                if response is None:
                    response = await SurveyResponse.create(
                        survey_id=survey.id, questionnaire_id=view.questionnaire.id,
                        response_key=response_key(settings=settings, survey_id=survey.id, subject=respondent.subject),
                        **_design_columns(survey, respondent), **values, using_db=connection,
                    )
                else:
                    await SurveyResponse.filter(id=response.id).using_db(connection).update(**values, updated_at=at)
                    response = await SurveyResponse.get(id=response.id).using_db(connection)
                await _advance_disposition(respondent, connection, complete=finish, has_answers=bool(merged), at=at)
                return await _view(survey, respondent, response, connection)
        except IntegrityError:
            if attempt:  # the same respondent's first answer on two devices at once: take the other's row
                raise
    raise AssertionError("unreachable")


def _number(definition: defs.Definition, answers: Mapping[str, Any], question: defs.Question) -> int:
    for position, visible in enumerate(defs.visible_questions(definition, answers), 1):
        if visible.key == question.key:
            return position
    return 0


def _design_columns(survey: Survey, respondent: Respondent) -> dict[str, Any]:
    enterprise = respondent.enterprise
    sample = respondent.sample
    return {
        "weight": sample.design_weight if sample is not None else 1.0,
        "stratum": sample.stratum if sample is not None else "",
        "district": enterprise.district if enterprise is not None else None,
        "size_class": enterprise.size_class if enterprise is not None else None,
        "ownership": enterprise.ownership if enterprise is not None else None,
        "enterprise_id": enterprise.id if enterprise is not None and not survey.is_anonymous else None,
    }


async def _advance_disposition(respondent: Respondent, connection: BaseDBAsyncClient, *, complete: bool,
                               has_answers: bool, at: datetime) -> None:
    sample = respondent.sample
    if sample is None:
        return
    if complete:
        target, allowed_from = Disposition.complete, [d for d in Disposition if d not in _CLOSED_TO_CHANGE]
    elif has_answers:
        target, allowed_from = Disposition.partial, [Disposition.pending, Disposition.non_contact, Disposition.unknown]
    else:
        return
    await SurveySample.filter(id=sample.id, disposition__in=allowed_from).using_db(connection).update(
        disposition=target, disposition_at=at
    )


async def save_answers(
    *, survey_id: int, user: WeChatUser, settings: Settings, answers: Mapping[str, Any], channel: str,
    enterprise_id: int | None = None, by_number: bool = False,
) -> ResponseView:
    """Save some answers to the draft (None clears one); `AnswersInvalid` names each bad answer
    and nothing is saved then. `by_number`: chat input (choices by their number)."""
    survey = await get_survey(survey_id=survey_id)
    reason = open_reason(survey)
    if reason is not None:
        raise SurveyError(reason, code="survey_not_open")
    respondent = await find_respondent(survey=survey, user=user, enterprise_id=enterprise_id)
    _refuse_if_closed_to_change(respondent)
    return await _write(survey=survey, respondent=respondent, settings=settings, answers=answers, channel=channel,
                        by_number=by_number, finish=False, at=now())


async def submit(
    *, survey_id: int, user: WeChatUser, settings: Settings, channel: str, answers: Mapping[str, Any] | None = None,
    enterprise_id: int | None = None, by_number: bool = False,
) -> ResponseView:
    """Save `answers` (if any) and submit, once; `AnswersInvalid` lists unanswered required questions.

    Submitting a response already submitted answers with it (`already_submitted` set)."""
    survey = await get_survey(survey_id=survey_id)
    respondent = await find_respondent(survey=survey, user=user, enterprise_id=enterprise_id)
    existing = await _response(survey, respondent, settings)
    if existing is not None and existing.submitted:
        return await _view(survey, respondent, existing, already=True)
    reason = open_reason(survey)
    if reason is not None:
        raise SurveyError(reason, code="survey_not_open")
    _refuse_if_closed_to_change(respondent)
    return await _write(survey=survey, respondent=respondent, settings=settings, answers=answers or {},
                        channel=channel, by_number=by_number, finish=True, at=now())


async def decline(*, survey_id: int, user: WeChatUser, enterprise_id: int | None = None) -> SurveySample | None:
    """The respondent does not want to take part: refusal, opted out, no more reminders.

    A public survey has no sample; declining it changes nothing (None). A submitted response
    stays complete."""
    survey = await get_survey(survey_id=survey_id)
    respondent = await find_respondent(survey=survey, user=user, enterprise_id=enterprise_id)
    if respondent.sample is None:
        return None
    at = now()
    async with in_transaction() as connection:
        await SurveySample.filter(id=respondent.sample.id).using_db(connection).update(opted_out=True, opted_out_at=at)
        await SurveySample.filter(
            id=respondent.sample.id, disposition__in=[Disposition.pending, Disposition.partial, Disposition.unknown,
                                                      Disposition.non_contact]
        ).using_db(connection).update(disposition=Disposition.refusal, disposition_at=at)
    return await SurveySample.get(id=respondent.sample.id)


async def my_surveys(*, user: WeChatUser, settings: Settings) -> list[SurveyCard]:
    """The open surveys a person is asked to answer (sampled enterprises', then public ones),
    and the ones they submitted, newest first."""
    bound = await _bound_enterprise_ids(user)
    cards: list[SurveyCard] = []
    seen: set[tuple[int, int | None]] = set()
    samples = await SurveySample.filter(enterprise_id__in=bound or [-1], opted_out=False).order_by("-survey_id", "id")
    surveys = {s.id: s for s in await Survey.filter(id__in=[x.survey_id for x in samples] or [-1])}
    surveys.update({s.id: s for s in await Survey.filter(is_public=True, status=SurveyStatus.open)})
    enterprises = {e.id: e for e in await Enterprise.filter(id__in=bound or [-1])}
    entries: list[tuple[Survey, Respondent]] = []
    for sample in samples:
        survey = surveys.get(sample.survey_id)
        if survey is None or Disposition(sample.disposition) is Disposition.ineligible:
            continue
        if (survey.id, sample.enterprise_id) in seen:
            continue
        seen.add((survey.id, sample.enterprise_id))
        entries.append((survey, Respondent(enterprise_subject(sample.enterprise_id),
                                           enterprises.get(sample.enterprise_id), sample)))
    for survey in surveys.values():
        if survey.is_public and not any(s.id == survey.id for s, _ in entries):
            entries.append((survey, Respondent(user_subject(user.id), enterprises.get(bound[0]) if bound else None,
                                               None)))
    for survey, respondent in sorted(entries, key=lambda entry: -entry[0].id):
        if SurveyStatus(survey.status) is SurveyStatus.draft:
            continue
        response = await _response(survey, respondent, settings)
        if response is not None and response.submitted:
            cards.append(SurveyCard(survey, respondent.enterprise, "submitted", 100))
            continue
        if open_reason(survey) is not None:
            continue
        if response is None:
            cards.append(SurveyCard(survey, respondent.enterprise, "new", 0))
            continue
        questionnaire = await Questionnaire.get(id=response.questionnaire_id)
        answered, total = defs.progress(defs.load(questionnaire.definition), response.answers or {})
        cards.append(SurveyCard(survey, respondent.enterprise, "draft", round(answered * 100 / total) if total else 0))
    return cards
