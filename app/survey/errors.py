"""Errors of the survey services.

`message` is what the person who asked is told, in Chinese (the follower in the chat, the
mini-program user, staff in the admin); `code` is stable for programs; `field` names the
input at fault (a question key for an answer) so a form can show the message beside it.
"""

from __future__ import annotations

from app.errors import DomainError

__all__ = ["AnswersInvalid", "SurveyError", "SurveyNotFound"]


class SurveyError(DomainError):
    """A rule refused the request: invalid input, or a step not allowed now."""

    default_code = "survey_refused"


class SurveyNotFound(SurveyError):
    """No such survey, or not one the caller may see (drafts are staff-only)."""

    status = 404

    def __init__(self, message: str = "未找到该问卷") -> None:
        super().__init__(message, code="survey_not_found")


class AnswersInvalid(SurveyError):
    """One or more answers do not fit their questions; `errors` maps question key -> message.

    `message` and `field` are the first problem's, so a transport that shows one error shows
    the first question at fault."""

    status = 422

    def __init__(self, errors: dict[str, str]) -> None:
        first = next(iter(errors))
        super().__init__(errors[first], code="answer_invalid", field=first)
        self.errors = errors
