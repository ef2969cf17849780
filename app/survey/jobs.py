"""arq jobs of surveys (registered in `app.jobs.worker`).

* `survey_contacts` — cron, every fifteen minutes, once per tick across workers (arq's
  unique cron job id):
  1. open surveys whose `closes_at` has passed are closed through the survey workflow
     (`app.survey.workflow.transition(action="close")`, which finalises the dispositions);
  2. the reminders due in the still-open surveys are claimed and queued
     (`app.survey.invitations.queue_reminders`: a conditional update per sample, so two
     workers running at once queue each reminder once).
  Then the outbox worker is woken to send them.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from arq import cron

from app.db import db_time
from app.survey.invitations import now as utc_now
from app.survey.invitations import queue_reminders
from app.survey.models import Survey, SurveyStatus

__all__ = ["CRON_JOBS", "FUNCTIONS", "close_due", "survey_contacts"]

logger = logging.getLogger("qiyun.survey.jobs")


async def close_due(*, at: datetime | None = None) -> int:
    """Close the open surveys whose closing date has passed; returns how many were closed."""
    from app.survey import workflow  # the lifecycle's owner; imported when needed

    at = at or utc_now()
    due = await Survey.filter(status=SurveyStatus.open, closes_at__isnull=False,
                              closes_at__lte=db_time(at)).values_list("id", flat=True)
    closed = 0
    for survey_id in due:
        try:
            await workflow.transition(staff=None, survey_id=survey_id, action="close", now=at)
            closed += 1
        except Exception:  # changed meanwhile (closed or extended by staff): nothing to do
            logger.info("survey %s not closed automatically", survey_id, exc_info=True)
    return closed


async def survey_contacts(ctx: dict[str, Any], *, at: datetime | None = None) -> dict[str, int]:
    """Every fifteen minutes: surveys past their closing date closed, due reminders queued."""
    from app.outbox.jobs import enqueue_delivery

    closed = await close_due(at=at)
    queued = await queue_reminders(at=at)
    if queued:
        try:
            await enqueue_delivery(ctx["resources"].redis)
        except Exception:  # the outbox sweep delivers anyway
            logger.warning("could not wake the outbox worker", exc_info=True)
        logger.info("survey reminders queued", extra={"queued": queued})
    return {"closed": closed, "reminders": queued}


FUNCTIONS: list[Any] = [survey_contacts]
CRON_JOBS: list[Any] = [
    cron(survey_contacts, minute=set(range(5, 60, 15)), second={40}, unique=True, run_at_startup=False)
]
