"""The opaque key that finds a respondent's answers again without naming them.

`SurveyResponse.response_key` is HMAC-SHA256(secret key, "survey:<id>:<subject>"), where the
subject is the sampled enterprise ("enterprise:<id>") or, for a public survey, the person
("user:<id>"). The answering services compute it from who is asking; nothing stored beside
the answers (and nothing staff can read) leads back from it to the enterprise, which is what
keeps an anonymous survey anonymous while its sample's dispositions are tracked.
"""

from __future__ import annotations

import hashlib
import hmac

from app.config import Settings

__all__ = ["enterprise_subject", "response_key", "user_subject"]


def enterprise_subject(enterprise_id: int) -> str:
    return f"enterprise:{enterprise_id}"


def user_subject(user_id: int) -> str:
    return f"user:{user_id}"


def response_key(*, settings: Settings, survey_id: int, subject: str) -> str:
    secret = settings.secret_key.get_secret_value().encode() or b"dev"
    return hmac.new(secret, f"survey:{survey_id}:{subject}".encode(), hashlib.sha256).hexdigest()
