"""Request and response models of the survey endpoints (营商环境调查问卷).

The questionnaire is sent as the client renders it: sections in order, each with its
questions and everything a question needs on screen (options, scale and its end labels,
matrix rows, number range and unit, text length, and the `show_if` rule the client applies
live). The server applies the same rule again when saving and submitting
(`app.survey.definition`), so a client that ignores it cannot store hidden answers.

Answers travel as the definition stores them: `single` an option's `value`, `multiple` a
list of values, `rating` an integer on the scale, `matrix` {row key: integer}, `number` a
number, `text` / `textarea` a string; `null` (or an empty string / list) clears an answer.
Nothing here names the respondent beyond the enterprise the person chose to answer for.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from app.survey import definition as defs
from app.survey.answering import ResponseView, SurveyCard
from app.survey.models import Survey, SurveyKind, SurveyStatus

_BODY = ConfigDict(extra="forbid", str_strip_whitespace=True)
_QUERY = ConfigDict(extra="ignore", str_strip_whitespace=True)

_ENTERPRISE_ID = Field(
    default=None, ge=1, title="代表企业",
    description="我已绑定的企业编号；绑定了多家被抽中的企业时用来选择，不填则取第一家尚未完成的企业",
)
_ANSWERS_DESCRIPTION = (
    "题目编号 → 答案：单选为选项 value，多选为 value 数组，评分为整数，矩阵为 {行编号: 整数}，数字为数值，"
    "简答/问答为文字；null 或空值表示清除该题答案"
)


# -- requests ------------------------------------------------------------------


class SurveyQuery(BaseModel):
    model_config = _QUERY

    enterprise_id: int | None = _ENTERPRISE_ID


class AnswersRequest(BaseModel):
    """`PUT /surveys/{id}/answers`: a partial save of the draft."""

    model_config = _BODY

    answers: dict[str, Any] = Field(title="答案", description=_ANSWERS_DESCRIPTION, max_length=200)
    enterprise_id: int | None = _ENTERPRISE_ID


class SubmitRequest(BaseModel):
    """`POST /surveys/{id}/submit`: optional last answers, then submission."""

    model_config = _BODY

    answers: dict[str, Any] = Field(
        default_factory=dict, title="答案", description="提交前一并保存的答案（可为空）；" + _ANSWERS_DESCRIPTION,
        max_length=200,
    )
    enterprise_id: int | None = _ENTERPRISE_ID


class DeclineRequest(BaseModel):
    """`POST /surveys/{id}/decline`."""

    model_config = _BODY

    enterprise_id: int | None = _ENTERPRISE_ID


# -- responses -----------------------------------------------------------------


class SurveyOut(BaseModel):
    id: int
    title: str
    kind: SurveyKind
    kind_label: str
    status: SurveyStatus
    status_label: str
    description: str
    organiser: str = Field(description="组织单位")
    closes_at: datetime | None = Field(description="截止时间")
    estimated_minutes: int | None = Field(description="预计作答分钟数")
    is_anonymous: bool = Field(description="匿名调查：答卷不与企业关联，仅用于统计分析")
    is_public: bool = Field(description="公开问卷：任何关注者均可填写一次")

    @classmethod
    def build(cls, survey: Survey) -> SurveyOut:
        return cls(
            id=survey.id, title=survey.title, kind=SurveyKind(survey.kind), kind_label=SurveyKind(survey.kind).label,
            status=SurveyStatus(survey.status), status_label=SurveyStatus(survey.status).label,
            description=survey.description, organiser=survey.organiser, closes_at=survey.closes_at,
            estimated_minutes=survey.estimated_minutes, is_anonymous=survey.is_anonymous, is_public=survey.is_public,
        )


class RespondingEnterpriseOut(BaseModel):
    id: int
    name: str = Field(description="代表作答的企业名称")


class SurveyCardOut(BaseModel):
    survey: SurveyOut
    enterprise: RespondingEnterpriseOut | None = Field(description="代表作答的企业（公开问卷可为 null）")
    state: str = Field(description="new 未作答 / draft 已保存草稿 / submitted 已提交")
    state_label: str
    percent: int = Field(description="作答进度（0–100）")

    @classmethod
    def build(cls, card: SurveyCard) -> SurveyCardOut:
        labels = {"new": "未作答", "draft": f"已答{card.percent}%", "submitted": "已提交"}
        enterprise = card.enterprise
        return cls(
            survey=SurveyOut.build(card.survey),
            enterprise=RespondingEnterpriseOut(id=enterprise.id, name=enterprise.name) if enterprise else None,
            state=card.state, state_label=labels.get(card.state, card.state), percent=card.percent,
        )


class SurveyListOut(BaseModel):
    items: list[SurveyCardOut] = Field(description="邀请我（或我的企业）填写的进行中问卷，以及已提交的问卷，新的在前")


class OptionOut(BaseModel):
    value: str = Field(description="提交答案时使用的值")
    label: str


class ScaleOut(BaseModel):
    min: int
    max: int
    min_label: str = Field(description="最低分的含义，如 很不满意")
    max_label: str = Field(description="最高分的含义，如 很满意")


class RowOut(BaseModel):
    key: str
    label: str


class ShowIfOut(BaseModel):
    question: str = Field(description="条件题的编号（总在本题之前）")
    values: list[str] = Field(description="条件题的答案为（或包含）其中之一时才显示本题")


class QuestionOut(BaseModel):
    key: str = Field(description="题目编号，答案以它为键")
    type: str = Field(description="single 单选 / multiple 多选 / rating 评分 / matrix 矩阵评分 / number 数字 / "
                                  "text 简答 / textarea 问答")
    type_label: str
    title: str
    help: str = Field(description="填写说明（可为空）")
    required: bool
    options: list[OptionOut] = Field(description="选择题的选项")
    min_choices: int | None
    max_choices: int | None
    scale: ScaleOut | None = Field(description="评分题、矩阵题的量表")
    rows: list[RowOut] = Field(description="矩阵题的行")
    min: float | None = Field(description="数字题的最小值")
    max: float | None = Field(description="数字题的最大值")
    integer: bool = Field(description="数字题只接受整数")
    unit: str = Field(description="数字题的单位")
    max_length: int = Field(description="简答/问答题的字数上限")
    show_if: ShowIfOut | None = Field(description="显示条件（跳题逻辑）；为 null 时总是显示")

    @classmethod
    def build(cls, question: defs.Question) -> QuestionOut:
        scale = question.scale
        return cls(
            key=question.key, type=question.type, type_label=question.type_label, title=question.title,
            help=question.help, required=question.required,
            options=[OptionOut(value=o.value, label=o.label) for o in question.options],
            min_choices=question.min_choices, max_choices=question.max_choices,
            scale=ScaleOut(min=scale.min, max=scale.max, min_label=scale.min_label, max_label=scale.max_label)
            if scale is not None and question.type in ("rating", "matrix") else None,
            rows=[RowOut(key=r.key, label=r.label) for r in question.rows],
            min=question.min, max=question.max, integer=question.integer, unit=question.unit,
            max_length=question.text_limit if question.type in ("text", "textarea") else 0,
            show_if=ShowIfOut(question=question.show_if.question, values=list(question.show_if.values))
            if question.show_if is not None else None,
        )


class SectionOut(BaseModel):
    key: str
    title: str
    description: str
    dimension: str = Field(description="评估维度代码")
    dimension_label: str = Field(description="评估维度，如 政务环境")
    questions: list[QuestionOut]


class QuestionnaireOut(BaseModel):
    version: int = Field(description="问卷版本；已开始作答的答卷始终停留在开始时的版本")
    sections: list[SectionOut]

    @classmethod
    def build(cls, version: int, definition: defs.Definition) -> QuestionnaireOut:
        return cls(version=version, sections=[
            SectionOut(
                key=section.key, title=section.title, description=section.description, dimension=section.dimension,
                dimension_label=defs.DIMENSIONS.get(section.dimension, section.dimension),
                questions=[QuestionOut.build(q) for q in definition.questions if q.section == section.key],
            )
            for section in definition.sections
        ])


class ProgressOut(BaseModel):
    answered: int = Field(description="已回答的题数（只计当前显示的题）")
    total: int = Field(description="当前需显示的题数（随跳题逻辑变化）")
    percent: int


class ResponseOut(BaseModel):
    """A respondent's questionnaire and answers so far."""

    survey: SurveyOut
    enterprise: RespondingEnterpriseOut | None
    questionnaire: QuestionnaireOut
    answers: dict[str, Any] = Field(description="已保存的答案（题目编号 → 答案）")
    visible: list[str] = Field(description="按当前答案应显示的题目编号，按顺序")
    progress: ProgressOut
    next_question: str | None = Field(description="第一道尚未回答的显示题（继续作答从这里开始）；全部答完为 null")
    missing_required: list[str] = Field(description="尚未回答的必答题编号（提交前须答完）")
    submitted: bool
    submitted_at: datetime | None
    already_submitted: bool = Field(default=False, description="提交接口：此前已提交过，本次未做任何更改")

    @classmethod
    def build(cls, view: ResponseView) -> ResponseOut:
        answered, total = view.progress
        enterprise = view.enterprise
        following = view.next_question
        return cls(
            survey=SurveyOut.build(view.survey),
            enterprise=RespondingEnterpriseOut(id=enterprise.id, name=enterprise.name) if enterprise else None,
            questionnaire=QuestionnaireOut.build(view.questionnaire.version, view.definition),
            answers=view.answers, visible=[q.key for q in view.visible],
            progress=ProgressOut(answered=answered, total=total, percent=view.percent),
            next_question=following.key if following is not None and not view.submitted else None,
            missing_required=[] if view.submitted else [q.key for q in view.missing],
            submitted=view.submitted, submitted_at=view.submitted_at, already_submitted=view.already_submitted,
        )


class DeclineOut(BaseModel):
    declined: bool = Field(description="已记录为不参加（公开问卷没有邀请名单，始终为 false）")
    message: str
