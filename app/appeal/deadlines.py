"""Appeal deadlines: reminders before them, supervision (督办) after them, and the views of
both that staff queues and the supervision page show.

**Stages** (`STAGES`, one row each): `accept` — a submitted (or held) appeal waits for the
dispatcher to accept and dispatch it, as does one returned or reopened (`accept_due_at`,
restarted on return and reopen; the owning organisation is responsible); `respond` — a
dispatched appeal waits for its lead organisation's first response (签收 or a reply,
`respond_due_at`); `resolve` — it waits for the reply (`resolve_due_at`). `confirm` is the
enterprise's: a replied appeal is reminded after `APPEAL_CONFIRM_REMINDER_DAYS`, and closed
as 未评价 at `confirm_due_at` by `app.appeal.service.close_overdue_confirmations`.

**Levels.** 0: a reminder `APPEAL_REMINDER_HOURS` before the deadline, to the responsible
organisation; 1: at the deadline, 督办 to the responsible organisation; 2: after
`APPEAL_ESCALATION_WORKING_DAYS` more working days, to its supervisor (the parent
organisation's dispatchers: a district department's district government, a city
department's coordination office); 3: after twice that, to the coordination office. A
level passed while no worker ran is still sent when one runs again (levels 1..reached; a
reminder only while the deadline is still ahead).

**Exactly once, with any number of workers.** Each notice is an `AppealSupervision` row,
unique per (appeal, stage, level, round = dispatch_count): every (re)dispatch, return or
reopen starts a new round, so the organisation that has the appeal now is supervised. The worker that inserts it writes,
in the same transaction, the outbox row that carries the notice and the timeline entry
(`service.supervise`); a worker that meets the constraint rolls back and does nothing. So
the row, the notice and the timeline entry exist together or not at all, and a crash
between them cannot lose the notice. Delivery happens later (`app.appeal.notices`), which
checks that the stage is still pending before telling anyone.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise import connections
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app.appeal.access import staff_appeals
from app.appeal.calendar import WorkingCalendar
from app.appeal.errors import AppealError
from app.appeal.models import Appeal, AppealStatus, AppealSupervision, SupervisionStage
from app.config import Settings
from app.organisation.models import Organisation, OrganisationKind
from app.outbox.service import put as outbox_put
from app.staff.models import Staff
from app.staff.scope import can
from templates_msg.fields import format_time

__all__ = [
    "LEVEL_LABELS",
    "STAGES",
    "OverdueAppeal",
    "StageRule",
    "SupervisionStats",
    "deadline_badge",
    "level_reached",
    "level_times",
    "notified_organisation_id",
    "overdue_appeals",
    "pending_stages",
    "recipients",
    "run_supervision",
    "stage_is_pending",
]

logger = logging.getLogger("qiyun.appeal.deadlines")

S = AppealStatus
LEVEL_LABELS = {0: "到期提醒", 1: "一级督办", 2: "二级督办", 3: "三级督办"}
MAX_LEVEL = 3
SUPERVISION_TOPIC = "appeal.supervision"


def _now() -> datetime:
    return datetime.now(UTC)


def _is_postgres() -> bool:
    return connections.get("default").capabilities.dialect == "postgres"


def _bound(field_name: str, lookup: str, moment: datetime) -> dict[str, Any]:
    """A time bound to put in SQL where the database compares times (PostgreSQL). SQLite
    compares the stored text, and rows hold times in whichever zone their writer used (an
    INSERT stores the database zone, an UPDATE the zone it was given), so there the bound
    is left to Python: every candidate is checked against the clock in Python anyway."""
    return {f"{field_name}__{lookup}": moment} if _is_postgres() else {}


@dataclass(frozen=True)
class StageRule:
    """One deadline staff are responsible for: when it is pending and who answers for it."""

    stage: SupervisionStage
    statuses: frozenset[AppealStatus]
    due_field: str
    responsible_field: str
    """The appeal column naming the responsible organisation."""
    permission: str
    """What the responsible organisation's staff must be allowed to do to be told (levels 0-1)."""
    awaiting_first_response: bool = False

    def filters(self) -> dict[str, Any]:
        found: dict[str, Any] = {"status__in": sorted(self.statuses, key=str), f"{self.due_field}__isnull": False}
        if self.awaiting_first_response:
            found["first_response_at__isnull"] = True
        return found

    def applies(self, appeal: Appeal) -> bool:
        if AppealStatus(appeal.status) not in self.statuses or self.due(appeal) is None:
            return False
        return not (self.awaiting_first_response and appeal.first_response_at is not None)

    def due(self, appeal: Appeal) -> datetime | None:
        return getattr(appeal, self.due_field)

    def responsible(self, appeal: Appeal) -> int | None:
        return getattr(appeal, self.responsible_field)

    @property
    def label(self) -> str:
        return SupervisionStage(self.stage).label


STAGES: tuple[StageRule, ...] = (
    StageRule(SupervisionStage.accept, frozenset({S.submitted, S.held, S.accepted}), "accept_due_at", "owner_organisation_id",
              "appeal.dispatch"),
    StageRule(SupervisionStage.respond, frozenset({S.dispatched}), "respond_due_at", "lead_organisation_id",
              "appeal.handle", awaiting_first_response=True),
    StageRule(SupervisionStage.resolve, frozenset({S.dispatched, S.in_progress}), "resolve_due_at",
              "lead_organisation_id", "appeal.handle"),
)
"""The staff deadlines, in the order an appeal meets them."""
_RULES = {rule.stage.value: rule for rule in STAGES}


# -- levels -----------------------------------------------------------------------------


def level_times(due: datetime, *, settings: Settings, calendar: WorkingCalendar | None = None) -> dict[int, datetime]:
    """When each level falls due for a deadline `due`."""
    calendar = calendar or WorkingCalendar.from_settings(settings)
    step = settings.appeal_escalation_working_days
    return {
        0: due - timedelta(hours=settings.appeal_reminder_hours),
        1: due,
        2: calendar.add_working_days(due, step),
        3: calendar.add_working_days(due, 2 * step),
    }


def level_reached(
    due: datetime, now: datetime, *, settings: Settings, calendar: WorkingCalendar | None = None
) -> int:
    """-1 before the reminder, 0 in the reminder window, 1-3 once overdue."""
    reached = -1
    for level, at in level_times(due, settings=settings, calendar=calendar).items():
        if now >= at:
            reached = level
    return reached


def _levels_to_send(reached: int) -> Iterable[int]:
    if reached == 0:
        return (0,)
    return range(1, reached + 1)


def stage_is_pending(appeal: Appeal, *, stage: str, round: int, due_at: datetime | None = None) -> bool:
    """Whether the deadline a supervision notice is about still stands (checked again just
    before the notice goes out: a reply in the meantime makes it moot)."""
    if appeal.dispatch_count != round:
        return False
    if stage == SupervisionStage.confirm:
        return AppealStatus(appeal.status) is S.replied
    rule = _RULES.get(str(stage))
    if rule is None or not rule.applies(appeal):
        return False
    due = rule.due(appeal)
    return due_at is None or abs((due - due_at).total_seconds()) < 1


# -- who is told ------------------------------------------------------------------------


async def _coordination_office_id() -> int | None:
    office = await Organisation.filter(kind=OrganisationKind.coordination_office, is_active=True).order_by("id").first()
    return office.id if office else None


async def notified_organisation_id(appeal: Appeal, *, stage: str, level: int) -> int | None:
    """The organisation a level's notice goes to: the responsible one (0, 1), its parent
    (2), the coordination office (3); the coordination office whenever there is no other."""
    rule = _RULES[str(stage)]
    responsible = rule.responsible(appeal) or appeal.owner_organisation_id
    if level <= 1 and responsible is not None:
        return responsible
    if level == 2 and responsible is not None:
        parent = await Organisation.filter(id=responsible).values_list("parent_id", flat=True)
        if parent and parent[0] is not None:
            return parent[0]
    return await _coordination_office_id()


async def recipients(*, organisation_id: int | None, stage: str, level: int) -> list[Staff]:
    """Active staff of the organisation who can act on the notice and have linked their
    WeChat (`Staff.follower`): the responsible role for levels 0-1 (dispatchers for
    acceptance, handlers otherwise), dispatchers (supervisors) from level 2."""
    if organisation_id is None:
        return []
    rule = _RULES.get(str(stage))
    permission = rule.permission if rule is not None and level <= 1 else "appeal.dispatch"
    staff = await Staff.filter(organisation_id=organisation_id, is_active=True, follower_id__isnull=False).order_by("id")
    return [member for member in staff if can(member, permission)]


# -- the cron ---------------------------------------------------------------------------


@dataclass
class SupervisionStats:
    reminders: int = 0
    supervisions: int = 0
    confirm_reminders: int = 0
    lost_races: int = 0
    by_level: dict[str, int] = field(default_factory=dict)

    @property
    def queued(self) -> int:
        return self.reminders + self.supervisions + self.confirm_reminders

    def as_dict(self) -> dict[str, Any]:
        return {"reminders": self.reminders, "supervisions": self.supervisions,
                "confirm_reminders": self.confirm_reminders, "lost_races": self.lost_races,
                "by_level": dict(self.by_level)}


async def _existing(appeal_ids: list[int]) -> set[tuple[int, str, int, int]]:
    if not appeal_ids:
        return set()
    rows = await AppealSupervision.filter(appeal_id__in=appeal_ids).values_list("appeal_id", "stage", "level", "round")
    return {(a, str(getattr(s, "value", s)), int(lv), int(r)) for a, s, lv, r in rows}


def _timeline_text(rule_label: str, level: int, organisation: str, due: datetime) -> str:
    if level == 0:
        return f"{rule_label}时限将到（{format_time(due)}），已提醒{organisation}"
    return f"{rule_label}超期，{LEVEL_LABELS[level]}：{organisation}（时限 {format_time(due)}）"


async def _record_once(
    appeal: Appeal,
    *,
    stage: str,
    level: int,
    due: datetime,
    organisation_id: int | None,
    topic: str,
    payload: dict[str, Any],
    text: str,
) -> bool:
    """Insert the supervision row, its outbox notice and its timeline entry, all or none.
    False when another worker inserted it first (or the appeal moved on meanwhile)."""
    from app.appeal import service

    round_ = appeal.dispatch_count
    try:
        async with in_transaction() as connection:
            row = await AppealSupervision.create(
                appeal_id=appeal.id, stage=SupervisionStage(stage), level=level, round=round_,
                organisation_id=organisation_id,
                due_at=due, using_db=connection,
            )
            await outbox_put(
                topic=topic,
                dedupe_key=f"appeal:{appeal.id}:supervision:{stage}:{level}:{round_}",
                payload={**payload, "appeal_id": appeal.id, "supervision_id": row.id, "stage": stage, "level": level,
                         "round": round_, "organisation_id": organisation_id, "due_at": due.isoformat()},
                connection=connection,
            )
            # A savepoint inside this transaction: the timeline entry commits with the row.
            await service.supervise(appeal=appeal, stage=stage, level=level, organisation_id=organisation_id, text=text)
    except IntegrityError:
        return False
    except AppealError:  # closed or moved on since it was read: nothing is due any more
        return False
    return True


async def _organisation_names(ids: Iterable[int | None]) -> dict[int, str]:
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    rows = await Organisation.filter(id__in=wanted).values_list("id", "name")
    return dict(rows)


async def run_supervision(*, settings: Settings, now: datetime | None = None, batch: int = 500) -> SupervisionStats:
    """Send every reminder and supervision notice due at `now` that was not sent yet (cron,
    every minute; safe to run concurrently anywhere: each notice is inserted once)."""
    now = now or _now()
    calendar = WorkingCalendar.from_settings(settings)
    horizon = now + timedelta(hours=settings.appeal_reminder_hours)
    stats = SupervisionStats()
    for rule in STAGES:
        last_id = 0
        while True:
            appeals = await (
                Appeal.filter(**rule.filters(), **_bound(rule.due_field, "lte", horizon), id__gt=last_id)
                .order_by("id")
                .limit(batch)
            )
            if not appeals:
                break
            last_id = appeals[-1].id
            existing = await _existing([a.id for a in appeals])
            for appeal in appeals:
                await _supervise_stage(appeal, rule, now=now, settings=settings, calendar=calendar,
                                       existing=existing, stats=stats)
            if len(appeals) < batch:
                break
    await _confirm_reminders(settings=settings, now=now, stats=stats, batch=batch)
    if stats.queued or stats.lost_races:
        logger.info("appeal supervision", extra=stats.as_dict())
    return stats


async def _supervise_stage(
    appeal: Appeal, rule: StageRule, *, now: datetime, settings: Settings, calendar: WorkingCalendar,
    existing: set[tuple[int, str, int, int]], stats: SupervisionStats,
) -> None:
    due = rule.due(appeal)
    if due is None or not rule.applies(appeal):
        return
    reached = level_reached(due, now, settings=settings, calendar=calendar)
    for level in _levels_to_send(reached):
        if (appeal.id, rule.stage.value, level, appeal.dispatch_count) in existing:
            continue
        organisation_id = await notified_organisation_id(appeal, stage=rule.stage.value, level=level)
        names = await _organisation_names([organisation_id])
        text = _timeline_text(rule.label, level, names.get(organisation_id, "市协调办"), due)
        if await _record_once(appeal, stage=rule.stage.value, level=level, due=due, organisation_id=organisation_id,
                              topic=SUPERVISION_TOPIC, payload={}, text=text):
            if level == 0:
                stats.reminders += 1
            else:
                stats.supervisions += 1
            key = f"{rule.stage.value}:{level}"
            stats.by_level[key] = stats.by_level.get(key, 0) + 1
        else:
            stats.lost_races += 1


async def _confirm_reminders(*, settings: Settings, now: datetime, stats: SupervisionStats, batch: int) -> None:
    """Replied appeals not confirmed after APPEAL_CONFIRM_REMINDER_DAYS: remind the enterprise once per round."""
    replied_before = now - timedelta(days=settings.appeal_confirm_reminder_days)
    last_id = 0
    while True:
        appeals = await (
            Appeal.filter(status=S.replied, submitter_id__isnull=False, replied_at__isnull=False,
                          confirm_due_at__isnull=False, **_bound("replied_at", "lte", replied_before),
                          **_bound("confirm_due_at", "gt", now), id__gt=last_id)
            .order_by("id")
            .limit(batch)
        )
        if not appeals:
            return
        last_id = appeals[-1].id
        existing = await _existing([a.id for a in appeals])
        for appeal in appeals:
            stage = SupervisionStage.confirm.value
            if appeal.replied_at > replied_before or appeal.confirm_due_at <= now:
                continue
            if (appeal.id, stage, 0, appeal.dispatch_count) in existing:
                continue
            text = f"已提醒企业确认答复并评价（{format_time(appeal.confirm_due_at)}前未评价将自动办结）"
            if await _record_once(appeal, stage=stage, level=0, due=appeal.confirm_due_at, organisation_id=None,
                                  topic="appeal.notify_enterprise", payload={"action": "confirm_reminder",
                                                                             "event_id": None}, text=text):
                stats.confirm_reminders += 1
            else:
                stats.lost_races += 1
        if len(appeals) < batch:
            return


# -- views for staff --------------------------------------------------------------------


def pending_stages(appeal: Appeal) -> list[tuple[StageRule, datetime]]:
    """The staff deadlines an appeal is waiting on now, earliest first."""
    found = [(rule, rule.due(appeal)) for rule in STAGES if rule.applies(appeal)]
    return sorted(found, key=lambda pair: pair[1])


def _late_text(late_working_days: float) -> str:
    if late_working_days >= 1:
        return f"已超期{int(late_working_days)}个工作日"
    return f"已超期{max(1, math.ceil(late_working_days * 24))}小时"


def _remaining_text(remaining: timedelta) -> str:
    hours = remaining.total_seconds() / 3600
    if hours < 24:
        return f"剩余{max(1, math.ceil(hours))}小时"
    return f"剩余{int(hours // 24)}天"


def deadline_badge(
    appeal: Appeal, now: datetime | None = None, *, settings: Settings | None = None,
    calendar: WorkingCalendar | None = None,
) -> tuple[str, str]:
    """("overdue" | "due_soon" | "ok", Chinese text) for the appeal's nearest staff deadline,
    e.g. ("overdue", "已超期2个工作日"), ("due_soon", "剩余5小时"), ("ok", "剩余3天"); ("ok", "")
    when no staff deadline is running (closed, replied, waiting for dispatch)."""
    now = now or _now()
    pending = pending_stages(appeal)
    if not pending:
        return "ok", ""
    if calendar is None:
        calendar = WorkingCalendar.from_settings(settings) if settings is not None else WorkingCalendar()
    reminder_hours = (settings.appeal_reminder_hours if settings is not None
                      else Settings.model_fields["appeal_reminder_hours"].default)
    _, due = pending[0]
    if now >= due:
        return "overdue", _late_text(calendar.working_days_between(due, now))
    remaining = due - now
    state = "due_soon" if remaining <= timedelta(hours=reminder_hours) else "ok"
    return state, _remaining_text(remaining)


@dataclass(frozen=True)
class OverdueAppeal:
    """One row of the supervision page."""

    appeal: Appeal
    stage: SupervisionStage
    due_at: datetime
    state: str
    """overdue or due_soon"""
    text: str
    """已超期2个工作日 / 剩余5小时"""
    late_working_days: float
    level: int
    """The level reached by time: 0 (due soon) to 3."""
    supervised_level: int | None
    """The highest level already sent for this stage and round (None: none yet)."""
    responsible_organisation_id: int | None

    @property
    def stage_label(self) -> str:
        return SupervisionStage(self.stage).label

    @property
    def level_label(self) -> str:
        return LEVEL_LABELS[self.level]


async def overdue_appeals(
    *,
    staff: Staff,
    settings: Settings,
    now: datetime | None = None,
    stage: str | None = None,
    min_level: int = 1,
    limit: int = 500,
) -> list[OverdueAppeal]:
    """Appeals in `staff`'s scope past a deadline (or due soon with `min_level=0`), most late
    first, one row per appeal (its earliest pending deadline), optionally one `stage` only."""
    now = now or _now()
    calendar = WorkingCalendar.from_settings(settings)
    horizon = now if min_level >= 1 else now + timedelta(hours=settings.appeal_reminder_hours)
    rules = [r for r in STAGES if stage is None or r.stage.value == stage]
    by_id: dict[int, Appeal] = {}
    for rule in rules:
        queryset = Appeal.filter(**rule.filters(), **_bound(rule.due_field, "lte", horizon))
        for appeal in await (await staff_appeals(staff, queryset)).all():
            by_id[appeal.id] = appeal
    existing = await _existing(list(by_id))
    rows: list[OverdueAppeal] = []
    for appeal in by_id.values():
        pending = [(r, due) for r, due in pending_stages(appeal) if r in rules]
        if not pending:
            continue
        rule, due = pending[0]
        level = level_reached(due, now, settings=settings, calendar=calendar)
        if level < min_level:
            continue
        sent = [lv for (a, s, lv, r) in existing if a == appeal.id and s == rule.stage.value and r == appeal.dispatch_count]
        late = calendar.working_days_between(due, now)
        rows.append(
            OverdueAppeal(
                appeal=appeal,
                stage=rule.stage,
                due_at=due,
                state="overdue" if now >= due else "due_soon",
                text=_late_text(late) if now >= due else _remaining_text(due - now),
                late_working_days=late,
                level=max(level, 0),
                supervised_level=max(sent) if sent else None,
                responsible_organisation_id=rule.responsible(appeal),
            )
        )
    rows.sort(key=lambda row: (row.due_at, row.appeal.id))
    return rows[:limit]
