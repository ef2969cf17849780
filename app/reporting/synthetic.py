"""A year of synthetic data (`qiyun generate-year`): dashboards and reports tried at a large city's scale.

Loaded on top of the demo data (`qiyun seed-demo`: organisations, staff, register, policies,
providers), deterministic by seed, ending at a chosen Shanghai day. What it writes, and why
it looks the way it does:

* **Appeals** over the year with their timelines (`AppealEvent`) and assignments, each played
  through the steps of `app.appeal.workflow` (submit, accept, dispatch, start, reply, confirm,
  and the detours: hold, decline, merge, return, transfer (redispatch), escalate, request
  info, reopen, close as 未评价) in time order; a step that would lie after the end stops the
  story there, which is how recent appeals end up open and some of them overdue. A small
  share of recent appeals stalls for good (long overdue). Deadlines come from
  `WorkingCalendar` and the category's deadlines, as the service computes them. Each
  organisation has its own steady performance (seeded from its code), so the league table
  has a spread. Texts are the demo's recurring themes (`app.appeal.demo.TOPICS`) and single
  issues, so common-issue clustering finds clusters.
* **Followers** subscribing over the year (some before it, more as it goes on; a few
  unsubscribe), each with a `WeChatUser`; about four in ten bound to an enterprise.
* **Push campaigns** for the published policies, spread over the year, and their deliveries
  (sent, delivered, failed, skipped, with reasons and times as the sender writes them),
  `deliveries` rows in all.
* **Engagements** of the demo providers' products with ratings; providers' reputation is then
  recomputed by `app.provider.management.refresh_provider` (which may warn some).
* **Activities** across the year with sign-ups and check-ins.

Rows are written with bulk inserts in chunks (PostgreSQL: COPY through asyncpg; SQLite:
executemany), ids reserved up front so timelines can refer to their appeals.

Recognisable, so `replace=True` deletes exactly what an earlier run generated: appeal numbers
start with `SY`, follower openids with `oSynth`, engagement idempotency keys with
`synthetic:`, campaigns and activities carry `"synthetic"` in their audience / their
`publish` event's payload. Enterprises added to a too-small register are register rows and
stay. Not for production: it writes history directly, bypassing the services' notices.
"""

from __future__ import annotations

import bisect
import json
import logging
import random
import tempfile
import time as clock
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from enum import Enum
from itertools import accumulate
from pathlib import Path
from typing import Any

from tortoise import connections

from app.appeal.calendar import SHANGHAI, WorkingCalendar
from app.appeal.categories import CATEGORIES, deadlines_for
from app.appeal.demo import CLOSERS, NAMES, OPENERS, SINGLE_LEADS, SINGLES, TOPICS
from app.appeal.models import AppealChannel, AppealStatus, CloseReason, Satisfaction
from app.config import Settings

__all__ = [
    "APPEAL_PREFIX",
    "ENGAGEMENT_PREFIX",
    "FOLLOWER_PREFIX",
    "YearSummary",
    "delete_generated",
    "generate_year",
]

logger = logging.getLogger("qiyun.reporting.synthetic")

APPEAL_PREFIX = "SY"
FOLLOWER_PREFIX = "oSynth"
ENGAGEMENT_PREFIX = "synthetic:"
MARK = "synthetic"
CHUNK = 10_000
DAYS = 365
MIN_ENTERPRISES = 200
UTC = timezone.utc
S = AppealStatus

Progress = Callable[[str, int, int], None]


@dataclass
class YearSummary:
    """What one run wrote (and, with replace, deleted first)."""

    start: date
    end: date
    seed: int
    appeals: int = 0
    appeal_events: int = 0
    appeal_statuses: dict[str, int] = field(default_factory=dict)
    overdue_open: int = 0
    followers: int = 0
    bindings: int = 0
    campaigns: int = 0
    deliveries: int = 0
    delivery_statuses: dict[str, int] = field(default_factory=dict)
    engagements: int = 0
    ratings: int = 0
    activities: int = 0
    signups: int = 0
    enterprises_added: int = 0
    deleted: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def lines(self) -> list[str]:
        statuses = ", ".join(f"{S(k).label} {v:,}" for k, v in sorted(self.appeal_statuses.items()))
        deliveries = ", ".join(f"{k} {v:,}" for k, v in sorted(self.delivery_statuses.items()))
        out = [
            f"year {self.start} .. {self.end} (seed {self.seed}) in {self.seconds:.1f}s",
            f"appeals: {self.appeals:,} ({statuses}); {self.appeal_events:,} timeline events; "
            f"{self.overdue_open:,} open and overdue at the end",
            f"followers: {self.followers:,}, bindings: {self.bindings:,}",
            f"push campaigns: {self.campaigns:,}, deliveries: {self.deliveries:,} ({deliveries})",
            f"engagements: {self.engagements:,}, ratings: {self.ratings:,}",
            f"activities: {self.activities:,}, sign-ups: {self.signups:,}",
        ]
        if self.enterprises_added:
            out.append(f"enterprises added to the register: {self.enterprises_added:,}")
        if self.deleted:
            out.append("deleted first: " + ", ".join(f"{k} {v:,}" for k, v in self.deleted.items()))
        return out


# -- writing ----------------------------------------------------------------------------------


class _Bulk:
    """Bulk inserts through the tortoise connection: COPY on PostgreSQL, executemany on SQLite."""

    def __init__(self) -> None:
        self.client = connections.get("default")
        self.postgres = self.client.capabilities.dialect == "postgres"

    async def insert(self, table: str, columns: Sequence[str], rows: list[tuple]) -> None:
        if not rows:
            return
        if self.postgres:
            records = [tuple(_pg(value) for value in row) for row in rows]
            async with self.client.acquire_connection() as connection:
                await connection.copy_records_to_table(table, records=records, columns=list(columns))
            return
        names = ", ".join(f'"{c}"' for c in columns)
        marks = ", ".join("?" for _ in columns)
        values = [[_lite(value) for value in row] for row in rows]
        await self.client.execute_many(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', values)

    async def scalar(self, sql: str) -> Any:
        _, rows = await self.client.execute_query(sql)
        if not rows:
            return None
        return list(dict(rows[0]).values())[0]

    async def execute(self, sql: str) -> int:
        count, _ = await self.client.execute_query(sql)
        return int(count or 0)

    async def reserve(self, table: str) -> int:
        """The first id free for explicitly numbered rows (the generator is the only writer meanwhile)."""
        highest = int(await self.scalar(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"') or 0)
        if self.postgres:
            last = await self.scalar(f"SELECT last_value FROM {table}_id_seq")
            highest = max(highest, int(last or 0))
        return highest + 1

    async def sync_sequence(self, table: str) -> None:
        if self.postgres:
            await self.client.execute_query(
                f"SELECT setval('{table}_id_seq', GREATEST((SELECT COALESCE(MAX(id), 1) FROM \"{table}\"), "
                f"(SELECT last_value FROM {table}_id_seq)))"
            )


def _pg(value: Any) -> Any:
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return value


def _lite(value: Any) -> Any:
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return int(value)
    return value


# -- helpers ----------------------------------------------------------------------------------


class _Weighted:
    """One draw from weighted values with a single random() call."""

    def __init__(self, pairs: Iterable[tuple[Any, float]]) -> None:
        pairs = list(pairs)
        self.values = [v for v, _ in pairs]
        self.cumulative = list(accumulate(w for _, w in pairs))
        self.total = self.cumulative[-1]

    def draw(self, rng: random.Random) -> Any:
        return self.values[bisect.bisect_right(self.cumulative, rng.random() * self.total)]


def _code(value: Any) -> str | None:
    """An enum column's stored code ("310115"), whatever form the query returned it in."""
    if value is None:
        return None
    return str(getattr(value, "value", value))


def _local_day(moment: datetime) -> date:
    return (moment + timedelta(hours=8)).date()


def _at(day: date, hour: float) -> datetime:
    """Shanghai `day` at `hour` (fractional), as a UTC datetime."""
    return datetime.combine(day, time.min, tzinfo=UTC) + timedelta(hours=hour - 8)


class _Deadlines:
    """WorkingCalendar.add_working_days, remembered per (Shanghai day, days): it depends on nothing else."""

    def __init__(self, settings: Settings) -> None:
        self.calendar = WorkingCalendar.from_settings(settings)
        self.cache: dict[tuple[date, int], datetime] = {}

    def add(self, start: datetime, days: int) -> datetime:
        key = (_local_day(start), days)
        found = self.cache.get(key)
        if found is None:
            found = self.calendar.add_working_days(start, days).astimezone(UTC)
            self.cache[key] = found
        return found


_CHANNELS = _Weighted([
    (AppealChannel.official_account, 28), (AppealChannel.miniprogram, 24), (AppealChannel.hotline_12345, 27),
    (AppealChannel.open311, 5), (AppealChannel.forwarded, 7), (AppealChannel.walk_in, 9),
])
_HOURS = _Weighted([(h, w) for h, w in zip(range(24), (
    1, 0.5, 0.3, 0.2, 0.2, 0.4, 1, 3, 7, 10, 11, 10, 6, 8, 10, 10, 9, 7, 4, 3, 3, 2, 2, 1.5))])
_HAPPY = _Weighted([(Satisfaction.very_satisfied, 48), (Satisfaction.satisfied, 33),
                    (Satisfaction.basically_satisfied, 13), (Satisfaction.dissatisfied, 5),
                    (Satisfaction.very_dissatisfied, 1)])
_UNHAPPY = _Weighted([(Satisfaction.basically_satisfied, 15), (Satisfaction.dissatisfied, 60),
                      (Satisfaction.very_dissatisfied, 25)])
_REPLIES = (
    "经核实，已协调相关部门办理，预计10个工作日内完成，办理结果将电话告知企业。",
    "已与企业电话沟通，相关政策口径已当面解释清楚，后续如有问题可直接联系承办人。",
    "经与主管部门会商，问题已列入专项协调事项，已明确责任处室和办结时限。",
)
_COMMENTS_HAPPY = ("", "", "问题已解决，感谢！", "答复及时，很满意。", "办理很规范。")
_COMMENTS_UNHAPPY = ("问题没有实际解决，请继续协调。", "答复内容与诉求不符。", "仍在等待落实。")


@dataclass(frozen=True)
class _Theme:
    key: str
    category: str
    texts: tuple[tuple[str, str], ...]
    lead: str
    fallback: str
    replies: tuple[str, ...]


def _themes() -> _Weighted:
    themes: list[tuple[_Theme, float]] = []
    for topic in TOPICS:
        themes.append((_Theme(topic.code, topic.category, topic.texts, topic.lead, topic.fallback,
                              topic.replies or _REPLIES), 5.0 * topic.uses))
    for number, (category, title, text) in enumerate(SINGLES):
        lead = SINGLE_LEADS.get(category, "city.coordination")
        themes.append((_Theme(f"single:{number}", category, ((title, text),), lead, "city.coordination", _REPLIES), 5.0))
    return _Weighted(themes)


# -- the context ----------------------------------------------------------------------------


@dataclass
class _World:
    """What the database already holds that the generated rows refer to."""

    office: int
    orgs: dict[str, int]
    org_names: dict[int, str]
    district_government: dict[str, int]
    district_centre: dict[str, int]
    departments: list[int]
    dispatchers: dict[int, int]
    """organisation id -> a staff id who dispatches for it"""
    handlers: dict[int, int]
    """organisation id -> a staff id who handles its appeals"""
    enterprises: list[tuple[int, str, str | None]]
    quality: dict[int, float]
    """organisation id -> its steady performance, 0 (poor) .. 1 (excellent)"""


async def _world(seed: int) -> _World:
    from app.enterprise.models import Enterprise
    from app.organisation.models import Organisation, OrganisationKind
    from app.staff.models import Staff, StaffRole

    rows = await Organisation.filter(is_active=True).values("id", "code", "kind", "district", "name", "short_name")
    if not rows:
        raise RuntimeError("no organisations: run `qiyun seed-demo` first")
    orgs = {r["code"]: r["id"] for r in rows}
    office = next((r["id"] for r in sorted(rows, key=lambda r: r["id"])
                   if r["kind"] == OrganisationKind.coordination_office), None)
    if office is None:
        raise RuntimeError("no coordination office: run `qiyun seed-demo` first")
    governments = {_code(r["district"]): r["id"] for r in rows
                   if r["kind"] == OrganisationKind.district_government and r["district"]}
    centres = {_code(r["district"]): r["id"] for r in rows
               if r["kind"] == OrganisationKind.district_department and r["district"]}
    departments = sorted(r["id"] for r in rows if r["kind"] == OrganisationKind.city_department)
    staff = await Staff.filter(is_active=True).order_by("id").values("id", "role", "organisation_id")
    dispatchers: dict[int, int] = {}
    handlers: dict[int, int] = {}
    for member in staff:
        role = StaffRole(member["role"])
        if role in (StaffRole.city_admin, StaffRole.district_admin):
            dispatchers.setdefault(member["organisation_id"], member["id"])
            handlers.setdefault(member["organisation_id"], member["id"])
        elif role is StaffRole.department_handler:
            handlers.setdefault(member["organisation_id"], member["id"])
    for district, government in governments.items():  # a district's admin handles for its service centre
        if district in centres and government in dispatchers:
            handlers.setdefault(centres[district], dispatchers[government])
    quality = {}
    for r in rows:
        rng = random.Random(f"{seed}:{r['code']}")
        quality[r["id"]] = min(1.0, max(0.0, rng.betavariate(3.0, 1.6)))
    enterprises = [(e["id"], e["name"], _code(e["district"])) for e in
                   await Enterprise.all().order_by("id").values("id", "name", "district")]
    return _World(
        office=office, orgs=orgs, org_names={r["id"]: r["name"] for r in rows}, district_government=governments,
        district_centre=centres, departments=departments, dispatchers=dispatchers, handlers=handlers,
        enterprises=enterprises, quality=quality,
    )


async def _ensure_enterprises(count: int, seed: int) -> int:
    """Top the register up (a synthetic register import) when it is too small for the year."""
    from app.enterprise.models import Enterprise
    from app.enterprise.register_import import import_register
    from app.enterprise.synthetic import write_register_csv

    existing = await Enterprise.all().count()
    if existing >= count:
        return 0
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "register.csv"
        write_register_csv(path, count, seed=seed)
        report = await import_register(path=path)
    return report.created


# -- deletion ---------------------------------------------------------------------------------


async def delete_generated() -> dict[str, int]:
    """Delete what earlier runs generated (and nothing else); returns counts per kind."""
    from app.activity.models import ActivityEvent
    from app.push.models import PushCampaign

    bulk = _Bulk()
    deleted: dict[str, int] = {}
    appeals = f"SELECT id FROM appeal WHERE number LIKE '{APPEAL_PREFIX}%'"
    await bulk.execute(f"UPDATE appeal SET duplicate_of_id = NULL WHERE duplicate_of_id IN ({appeals}) "
                       f"AND number NOT LIKE '{APPEAL_PREFIX}%'")
    for table in ("appeal_event", "appeal_assignment", "appeal_supervision", "appeal_attachment"):
        await bulk.execute(f"DELETE FROM {table} WHERE appeal_id IN ({appeals})")
    deleted["appeals"] = int(await bulk.scalar(f"SELECT COUNT(*) FROM appeal WHERE number LIKE '{APPEAL_PREFIX}%'") or 0)
    await bulk.execute(f"DELETE FROM appeal WHERE number LIKE '{APPEAL_PREFIX}%'")

    campaigns = [c["id"] for c in await PushCampaign.all().values("id", "audience")
                 if isinstance(c["audience"], dict) and c["audience"].get(MARK)]
    if campaigns:
        ids = ", ".join(str(i) for i in campaigns)
        deleted["deliveries"] = await bulk.execute(f"DELETE FROM push_delivery WHERE campaign_id IN ({ids})")
        deleted["campaigns"] = await bulk.execute(f"DELETE FROM push_campaign WHERE id IN ({ids})")

    engagements = f"SELECT id FROM engagement WHERE idempotency_key LIKE '{ENGAGEMENT_PREFIX}%'"
    for table in ("provider_rating", "engagement_event", "provider_complaint"):
        await bulk.execute(f"DELETE FROM {table} WHERE engagement_id IN ({engagements})")
    deleted["engagements"] = await bulk.execute(f"DELETE FROM engagement WHERE idempotency_key LIKE '{ENGAGEMENT_PREFIX}%'")

    activities = sorted({e["activity_id"] for e in await ActivityEvent.filter(action="publish").values("activity_id", "payload")
                         if isinstance(e["payload"], dict) and e["payload"].get(MARK)})
    if activities:
        ids = ", ".join(str(i) for i in activities)
        for table in ("activity_event", "activity_signup"):
            await bulk.execute(f"DELETE FROM {table} WHERE activity_id IN ({ids})")
        deleted["activities"] = await bulk.execute(f"DELETE FROM activity WHERE id IN ({ids})")

    synthetic = f"SELECT id FROM follower WHERE openid LIKE '{FOLLOWER_PREFIX}%'"
    users = f"SELECT user_id FROM follower WHERE openid LIKE '{FOLLOWER_PREFIX}%' AND user_id IS NOT NULL"
    user_ids = [int(r["user_id"]) for r in (await bulk.client.execute_query(users))[1]]
    await bulk.execute(f"DELETE FROM push_delivery WHERE follower_id IN ({synthetic})")
    deleted["followers"] = len(user_ids)
    await bulk.execute(f"DELETE FROM follower WHERE openid LIKE '{FOLLOWER_PREFIX}%'")
    for offset in range(0, len(user_ids), 5_000):
        ids = ", ".join(str(i) for i in user_ids[offset:offset + 5_000])
        for table in ("enterprise_binding", "activity_signup"):
            await bulk.execute(f"DELETE FROM {table} WHERE user_id IN ({ids})")
        await bulk.execute(f"DELETE FROM wechat_user WHERE id IN ({ids})")
    return {k: v for k, v in deleted.items() if v}


# -- appeals ----------------------------------------------------------------------------------

_APPEAL_COLUMNS = (
    "id", "number", "channel", "external_id", "idempotency_key", "source_client", "enterprise_id", "enterprise_name",
    "submitter_id", "contact_name", "contact_phone", "contact_preference", "category", "title", "description",
    "district", "address", "latitude", "longitude", "status", "hold_reason", "decline_reason",
    "owner_organisation_id", "lead_organisation_id", "accept_due_at", "respond_due_at", "resolve_due_at",
    "confirm_due_at", "accepted_at", "dispatched_at", "escalated_at", "first_response_at", "replied_at", "closed_at",
    "resolved", "satisfaction", "satisfaction_comment", "close_reason", "reopen_count", "dispatch_count", "flag",
    "version", "duplicate_of_id", "created_at", "updated_at",
)
_EVENT_COLUMNS = ("appeal_id", "action", "from_status", "to_status", "staff_id", "user_id", "organisation_id", "text",
                  "internal", "payload", "created_at")
_ASSIGNMENT_COLUMNS = ("appeal_id", "organisation_id", "is_lead", "assigned_at", "released_at")
_INTERNAL = frozenset({"hold", "release", "request_transfer", "note"})
_FLAGS = {"request_info": "info_requested", "supplement": "supplemented", "request_transfer": "transfer_requested",
          "return": "returned", "reopen": "reopened"}


class _Stop(Exception):
    """The story's next step lies after the end of the year: the appeal stays where it is."""


class _Appeal:
    """One appeal being played: its columns, timeline and assignments."""

    def __init__(self, appeal_id: int, horizon: datetime) -> None:
        self.id = appeal_id
        self.horizon = horizon
        self.c: dict[str, Any] = {}
        self.events: list[tuple] = []
        self.assignments: list[list] = []
        self.t: datetime | None = None

    def at(self, moment: datetime) -> datetime:
        if moment > self.horizon:
            raise _Stop
        self.t = moment
        return moment

    def event(self, action: str, moment: datetime, to: S | None = None, *, staff: int | None = None,
              user: int | None = None, org: int | None = None, text: str = "", payload: dict | None = None) -> None:
        status = self.c["status"]
        self.events.append((self.id, action, None if action == "submit" else status.value,
                            (to.value if to is not None else None), staff, user, org, text, action in _INTERNAL,
                            payload or {}, moment))
        if to is not None:
            self.c["status"] = to
            if action != "submit":
                self.c["version"] += 1
        if action in _FLAGS:
            self.c["flag"] = _FLAGS[action]
        elif to is not None:
            self.c["flag"] = ""
        self.c["updated_at"] = moment

    def assign(self, moment: datetime, lead: int, co: Sequence[int] = ()) -> None:
        self.release(moment)
        self.assignments.append([self.id, lead, True, moment, None])
        for org in co:
            self.assignments.append([self.id, org, False, moment, None])

    def release(self, moment: datetime) -> None:
        for row in self.assignments:
            if row[4] is None:
                row[4] = moment


class _AppealMaker:
    def __init__(self, *, world: _World, settings: Settings, seed: int, horizon: datetime, start: datetime,
                 bound: list[tuple[int, int, str | None]]) -> None:
        self.w = world
        self.settings = settings
        self.rng = random.Random(seed)
        self.horizon = horizon
        self.start = start
        self.deadlines = _Deadlines(settings)
        self.themes = _themes()
        self.bound = bound
        self.recent: dict[str, list[tuple[int, str, datetime, datetime | None]]] = {}
        self.confirm_days = timedelta(days=settings.appeal_confirm_days)
        self.max_reopens = settings.appeal_max_reopens
        self.category_deadlines = {code: deadlines_for(code, settings) for code in CATEGORIES}

    # -- times
    def created_times(self, count: int) -> list[datetime]:
        rng = self.rng
        first = _local_day(self.start)
        days = [first + timedelta(days=n) for n in range((_local_day(self.horizon) - first).days + 1)]
        calendar = self.deadlines.calendar
        weights = []
        for position, day in enumerate(days):
            weight = 1.0 if calendar.is_working_day(day) else 0.35
            weights.append(weight * (0.8 + 0.4 * position / max(1, len(days) - 1)))
        chooser = _Weighted(zip(days, weights))
        times = []
        while len(times) < count:
            moment = _at(chooser.draw(rng), _HOURS.draw(rng) + rng.random())
            if self.start <= moment <= self.horizon:
                times.append(moment)
        times.sort()
        return times

    def lead_for(self, theme: _Theme, district: str | None) -> int:
        rng, w = self.rng, self.w
        if rng.random() < 0.1:
            return rng.choice(w.departments) if w.departments else w.office
        local = district and district in w.district_centre
        if theme.lead == "district" or (local and rng.random() < 0.35):  # districts handle much of their own
            if local:
                return w.district_centre[district]
            return w.orgs.get(theme.fallback, w.office)
        return w.orgs.get(theme.lead, w.orgs.get(CATEGORIES[theme.category].default_organisation, w.office))

    def other_org(self, lead: int) -> int:
        choices = [o for o in self.w.departments if o != lead] or [self.w.office]
        return self.rng.choice(choices)

    # -- one appeal
    def make(self, index: int, appeal_id: int, created: datetime) -> _Appeal:
        rng, w = self.rng, self.w
        theme: _Theme = self.themes.draw(rng)
        title, text = rng.choice(theme.texts)
        description = rng.choice(OPENERS) + text + rng.choice(CLOSERS)
        channel: AppealChannel = _CHANNELS.draw(rng)
        user = None
        if channel in (AppealChannel.official_account, AppealChannel.miniprogram) and self.bound:
            user, enterprise_id, district = rng.choice(self.bound)
            enterprise_name = ""
        else:
            enterprise_id, enterprise_name, district = rng.choice(w.enterprises)
        owner = w.office
        if channel in (AppealChannel.walk_in, AppealChannel.forwarded) and district in w.district_government:
            owner = w.district_government[district]
        deadlines = self.category_deadlines.get(theme.category) or deadlines_for(theme.category, self.settings)
        a = _Appeal(appeal_id, self.horizon)
        external = f"{APPEAL_PREFIX}{index:09d}" if channel in (AppealChannel.hotline_12345, AppealChannel.open311) else None
        a.c = {
            "id": appeal_id, "number": f"{APPEAL_PREFIX}{_local_day(created):%Y%m%d}{index:07d}", "channel": channel,
            "external_id": external, "idempotency_key": None,
            "source_client": "园区企业服务平台" if channel is AppealChannel.open311 else "",
            "enterprise_id": enterprise_id, "enterprise_name": enterprise_name, "submitter_id": user,
            "contact_name": rng.choice(NAMES), "contact_phone": f"139{rng.randrange(10**8):08d}",
            "contact_preference": "wechat" if user else "phone", "category": theme.category, "title": title,
            "description": description, "district": district, "address": "", "latitude": None, "longitude": None,
            "status": S.submitted, "hold_reason": "", "decline_reason": "", "owner_organisation_id": owner,
            "lead_organisation_id": None, "accept_due_at": self.deadlines.add(created, deadlines.accept),
            "respond_due_at": None, "resolve_due_at": None, "confirm_due_at": None, "accepted_at": None,
            "dispatched_at": None, "escalated_at": None, "first_response_at": None, "replied_at": None,
            "closed_at": None, "resolved": None, "satisfaction": None, "satisfaction_comment": "",
            "close_reason": None, "reopen_count": 0, "dispatch_count": 0, "flag": "", "version": 0,
            "duplicate_of_id": None, "created_at": created, "updated_at": created,
        }
        a.t = created
        intake_staff = w.dispatchers.get(owner) if channel is AppealChannel.walk_in else None
        a.event("submit", created, S.submitted, staff=intake_staff, user=user,
                org=owner if owner != w.office else None,
                payload={"channel": channel.value, "by": channel.label, "external_id": external})
        try:
            self._play(a, theme, deadlines, owner, user, created, channel)
        except _Stop:
            pass
        self._remember(theme.key, a)
        return a

    def _remember(self, key: str, a: _Appeal) -> None:
        if a.c["close_reason"] == CloseReason.merged or a.c["status"] is S.declined:
            return
        found = self.recent.setdefault(key, [])
        found.append((a.id, a.c["number"], a.c["created_at"], a.c["closed_at"]))
        if len(found) > 30:
            del found[0]

    def _merge_target(self, key: str, moment: datetime) -> tuple[int, str] | None:
        """The latest earlier appeal on the same theme still open at `moment`: what a duplicate merges into."""
        for appeal_id, number, created, closed in reversed(self.recent.get(key, ())):
            if created < moment and (closed is None or closed > moment):
                return appeal_id, number
        return None

    def _play(self, a: _Appeal, theme: _Theme, deadlines: Any, owner: int, user: int | None, created: datetime,
              channel: AppealChannel) -> None:
        rng, w, dl = self.rng, self.w, self.deadlines
        dispatcher = w.dispatchers.get(owner)
        owner_quality = w.quality.get(owner, 0.7)
        recent = (self.horizon - created) < timedelta(days=120)
        stall = rng.choice(("accept", "dispatch", "start", "reply")) if recent and rng.random() < 0.012 else None
        roll = rng.random()
        hour = timedelta(hours=1)
        if roll < 0.01:  # held by the content check, released by the dispatcher
            a.event("hold", a.at(created + timedelta(seconds=5)), S.held, text="内容需人工审核",
                    payload={"check_id": None})
            a.c["hold_reason"] = "内容需人工审核"
            if stall == "accept":
                return
            a.event("release", a.at(a.t + hour * rng.uniform(1, 20)), S.submitted, staff=dispatcher, org=owner)
        if 0.01 <= roll < 0.05:
            moment = a.at(created + hour * rng.uniform(0.5, 8))
            reason = "该事项属于企业间民事纠纷，不属于企业诉求受理范围，建议通过司法途径解决。"
            a.event("decline", moment, S.declined, staff=dispatcher, org=owner, text=reason)
            a.c.update(decline_reason=reason, closed_at=moment)
            return
        if 0.05 <= roll < 0.08:
            moment = created + hour * rng.uniform(0.5, 6)
            target = self._merge_target(theme.key, moment)
            if target is not None:
                a.at(moment)
                a.event("merge", moment, S.closed, staff=w.dispatchers.get(w.office), org=w.office,
                        text="与在办诉求反映同一事项，合并办理。", payload={"into": target[1]})
                a.c.update(duplicate_of_id=target[0], close_reason=CloseReason.merged, closed_at=moment)
                return
        if stall == "accept":
            return
        # accept
        due = a.c["accept_due_at"]
        if rng.random() < 0.55 + 0.43 * owner_quality:
            moment = a.t + (due - a.t) * rng.uniform(0.02, 0.6)
        else:
            moment = due + hour * rng.uniform(1, 40)
        a.event("accept", a.at(moment), S.accepted, staff=dispatcher, org=owner)
        a.c["accepted_at"] = moment
        if stall == "dispatch":
            return
        lead = self.lead_for(theme, a.c["district"])
        self._dispatch(a, "dispatch", a.at(a.t + hour * rng.uniform(0.2, 6)), lead, dispatcher, owner, deadlines)
        detour = rng.random()
        if detour < 0.02:  # 退回: not theirs; dispatched again elsewhere
            handler = w.handlers.get(lead)
            a.event("return", a.at(a.t + hour * rng.uniform(1, 20)), S.accepted, staff=handler, org=lead,
                    text="该事项不属于本单位职责范围，请重新分派。")
            a.release(a.t)
            a.c.update(lead_organisation_id=None, accept_due_at=dl.add(a.t, deadlines.accept))
            lead = self.other_org(lead)
            self._dispatch(a, "dispatch", a.at(a.t + hour * rng.uniform(1, 10)), lead, dispatcher, owner, deadlines)
        elif detour < 0.05:  # transfer requested and granted: redispatched
            handler = w.handlers.get(lead)
            other = self.other_org(lead)
            a.event("request_transfer", a.at(a.t + hour * rng.uniform(2, 30)), staff=handler, org=lead,
                    text=f"建议转由{w.org_names.get(other, '')}办理。",
                    payload={"suggested_organisation_id": other, "suggested": w.org_names.get(other, "")})
            lead = other
            self._dispatch(a, "redispatch", a.at(a.t + hour * rng.uniform(1, 10)), lead, dispatcher, owner,
                           deadlines, text="同意转办。")
        self._handle(a, theme, deadlines, lead, dispatcher, owner, user, channel, stall, detour)

    def _dispatch(self, a: _Appeal, action: str, moment: datetime, lead: int, staff: int | None, org: int,
                  deadlines: Any, *, text: str = "", co: Sequence[int] = ()) -> None:
        dl = self.deadlines
        a.event(action, moment, S.dispatched, staff=staff, org=lead, text=text,
                payload={"lead": self.w.org_names.get(lead, ""), "co_handlers": [self.w.org_names.get(o, "") for o in co]})
        a.assign(moment, lead, co)
        a.c.update(lead_organisation_id=lead, dispatched_at=moment, dispatch_count=a.c["dispatch_count"] + 1,
                   respond_due_at=dl.add(moment, deadlines.respond), resolve_due_at=dl.add(moment, deadlines.resolve),
                   first_response_at=None)

    def _handle(self, a: _Appeal, theme: _Theme, deadlines: Any, lead: int, dispatcher: int | None, owner: int,
                user: int | None, channel: AppealChannel, stall: str | None, detour: float) -> None:
        rng, w = self.rng, self.w
        hour = timedelta(hours=1)
        round_number = 0
        while True:
            quality = w.quality.get(lead, 0.7)
            handler = w.handlers.get(lead)
            if stall == "start":
                return
            dispatched, respond_due = a.c["dispatched_at"], a.c["respond_due_at"]
            if rng.random() < 0.6 + 0.38 * quality:
                moment = dispatched + (respond_due - dispatched) * rng.uniform(0.03, 0.9)
            else:
                moment = respond_due + hour * rng.uniform(2, 70)
            a.event("start", a.at(moment), S.in_progress, staff=handler, org=lead)
            a.c["first_response_at"] = moment
            if rng.random() < 0.1:
                a.event("note", a.at(a.t + hour * rng.uniform(0.5, 6)), staff=handler, org=lead,
                        text="已电话联系企业了解详细情况。")
            if round_number == 0 and 0.05 <= detour < 0.07 and lead != w.office:  # escalated to the city
                moment = a.at(a.t + hour * rng.uniform(10, 80))
                previous = lead
                a.event("escalate", moment, S.dispatched, staff=handler, org=w.office,
                        text="涉及多个部门职责，需市级层面统筹协调。",
                        payload={"lead": w.org_names.get(w.office, ""), "co_handlers": [w.org_names.get(previous, "")]})
                a.assign(moment, w.office, [previous])
                lead = w.office
                a.c.update(lead_organisation_id=lead, dispatched_at=moment, escalated_at=moment,
                           dispatch_count=a.c["dispatch_count"] + 1, first_response_at=None,
                           respond_due_at=self.deadlines.add(moment, deadlines.respond),
                           resolve_due_at=self.deadlines.add(moment, deadlines.resolve))
                handler = w.handlers.get(lead)
                quality = w.quality.get(lead, 0.7)
                a.event("start", a.at(a.t + hour * rng.uniform(1, 12)), S.in_progress, staff=handler, org=lead)
                a.c["first_response_at"] = a.t
            if round_number == 0 and 0.07 <= detour < 0.12:  # more information asked for
                a.event("request_info", a.at(a.t + hour * rng.uniform(5, 48)), staff=handler, org=lead,
                        text="请补充相关合同、申请回执等材料的扫描件。")
                if user is not None:
                    a.event("supplement", a.at(a.t + hour * rng.uniform(3, 48)), user=user,
                            text="已补充合同及申请回执，请查收。")
            if stall == "reply":
                return
            dispatched, resolve_due = a.c["dispatched_at"], a.c["resolve_due_at"]
            if rng.random() < 0.5 + 0.48 * quality:
                moment = max(a.t + hour * 0.5, dispatched + (resolve_due - dispatched) * rng.uniform(0.1, 0.97))
                if moment > resolve_due:
                    moment = resolve_due - timedelta(minutes=rng.uniform(5, 120))
                    moment = max(moment, a.t + timedelta(minutes=1))
            else:
                moment = max(resolve_due, a.t) + hour * rng.uniform(6, 24 * 12)
            reply_text = ("经再次协调，" if round_number else "") + rng.choice(theme.replies)
            a.event("reply", a.at(moment), S.replied, staff=handler, org=lead, text=reply_text)
            a.c.update(replied_at=moment, confirm_due_at=moment + self.confirm_days)
            # the enterprise's verdict (or the hotline's follow-up call), else closed as 未评价
            confirm_due = a.c["confirm_due_at"]
            if rng.random() >= 0.82:
                closed = a.at(confirm_due + timedelta(minutes=10))
                a.event("close_unrated", closed, S.closed, payload={})
                a.c.update(close_reason=CloseReason.unrated, closed_at=closed)
                return
            moment = a.at(a.t + (confirm_due - a.t) * rng.uniform(0.03, 0.95))
            resolved = rng.random() < (0.55 + 0.42 * quality if round_number == 0 else 0.5 + 0.3 * quality)
            level = _HAPPY.draw(rng) if resolved else _UNHAPPY.draw(rng)
            if resolved and quality < 0.45 and rng.random() < 0.3:
                level = _UNHAPPY.draw(rng)
            hotline = channel is AppealChannel.hotline_12345 or user is None
            by = "12345热线回访" if hotline else "企业用户"
            payload = {"by": by, "resolved": resolved, "satisfaction": level.value, "satisfaction_label": level.label}
            if not resolved and a.c["reopen_count"] < self.max_reopens:
                comment = rng.choice(_COMMENTS_UNHAPPY)
                a.event("reopen", moment, S.accepted, user=user, text=comment, payload=payload)
                a.release(moment)
                a.c.update(reopen_count=a.c["reopen_count"] + 1, lead_organisation_id=None, replied_at=None,
                           confirm_due_at=None, resolved=False, satisfaction=level,
                           accept_due_at=self.deadlines.add(moment, deadlines.accept))
                self._dispatch(a, "dispatch", a.at(a.t + hour * rng.uniform(1, 24)), lead, dispatcher, owner, deadlines)
                round_number += 1
                continue
            comment = rng.choice(_COMMENTS_HAPPY if resolved else _COMMENTS_UNHAPPY)
            a.event("confirm", moment, S.closed, user=user, text=comment, payload=payload)
            a.c.update(resolved=resolved, satisfaction=level, satisfaction_comment=comment, closed_at=moment,
                       close_reason=CloseReason.resolved if resolved else CloseReason.unresolved)
            return


def _appeal_row(a: _Appeal) -> tuple:
    return tuple(value.value if isinstance(value, Enum) else value for value in (a.c[name] for name in _APPEAL_COLUMNS))


async def _generate_appeals(*, count: int, world: _World, settings: Settings, seed: int, start: datetime,
                            horizon: datetime, bound: list[tuple[int, int, str | None]], summary: YearSummary,
                            progress: Progress | None) -> None:
    bulk = _Bulk()
    maker = _AppealMaker(world=world, settings=settings, seed=seed, horizon=horizon, start=start, bound=bound)
    times = maker.created_times(count)
    first_id = await bulk.reserve("appeal")
    statuses: dict[str, int] = {}
    for offset in range(0, count, CHUNK):
        appeals = [maker.make(index, first_id + index, times[index]) for index in range(offset, min(count, offset + CHUNK))]
        rows = [_appeal_row(a) for a in appeals]
        events = [event for a in appeals for event in a.events]
        assignments = [tuple(row) for a in appeals for row in a.assignments]
        for a in appeals:
            status = a.c["status"].value
            statuses[status] = statuses.get(status, 0) + 1
            if _overdue(a.c, horizon):
                summary.overdue_open += 1
        await bulk.insert("appeal", _APPEAL_COLUMNS, rows)
        await bulk.insert("appeal_event", _EVENT_COLUMNS, events)
        await bulk.insert("appeal_assignment", _ASSIGNMENT_COLUMNS, assignments)
        summary.appeals += len(rows)
        summary.appeal_events += len(events)
        if progress:
            progress("appeals", summary.appeals, count)
    await bulk.sync_sequence("appeal")
    summary.appeal_statuses = statuses


def _overdue(c: dict[str, Any], now: datetime) -> bool:
    status = c["status"]
    if status in (S.submitted, S.held, S.accepted):
        return c["accept_due_at"] is not None and c["accept_due_at"] < now
    if status in (S.dispatched, S.in_progress):
        late = c["resolve_due_at"] is not None and c["resolve_due_at"] < now
        return late or (c["first_response_at"] is None and c["respond_due_at"] < now)
    return False


# -- followers and bindings -------------------------------------------------------------------

_SCENES = _Weighted([("ADD_SCENE_QR_CODE", 45), ("ADD_SCENE_SEARCH", 25), ("ADD_SCENE_PROFILE_CARD", 10),
                     ("ADD_SCENE_ACCOUNT_MIGRATION", 5), ("ADD_SCENE_OTHERS", 15)])


@dataclass
class _People:
    followers: list[tuple[int, int, str, datetime, datetime | None]]
    """(follower id, user id, openid, subscribed_at, unsubscribed_at), by subscription time"""
    bound: list[tuple[int, int, str | None]]
    """(user id, enterprise id, district)"""


async def _generate_followers(*, count: int, world: _World, seed: int, start: datetime, horizon: datetime,
                              summary: YearSummary, progress: Progress | None) -> _People:
    rng = random.Random(seed + 1)
    bulk = _Bulk()
    first_user = await bulk.reserve("wechat_user")
    first_follower = await bulk.reserve("follower")
    span = (horizon - start).total_seconds()
    moments = []
    for _ in range(count):
        if rng.random() < 0.3:  # followed before the year began
            moments.append(start - timedelta(seconds=rng.uniform(0, 2 * span)))
        else:  # growth: more join as the year goes on
            moments.append(start + timedelta(seconds=span * rng.random() ** 0.8))
    moments.sort()
    followers: list[tuple[int, int, str, datetime, datetime | None]] = []
    bound: list[tuple[int, int, str | None]] = []
    users: list[tuple] = []
    rows: list[tuple] = []
    bindings: list[tuple] = []
    used: set[tuple[int, int]] = set()

    async def flush() -> None:
        await bulk.insert("wechat_user", ("id", "unionid", "phone", "created_at", "messages_read_up_to"), users)
        await bulk.insert("follower", ("id", "openid", "unionid", "user_id", "subscribed", "subscribed_at",
                                       "unsubscribed_at", "subscribe_scene", "remark", "wechat_tag_ids",
                                       "last_interaction_at", "last_location", "unreachable_reason", "created_at",
                                       "updated_at"), rows)
        await bulk.insert("enterprise_binding", ("user_id", "enterprise_id", "role", "verified_by", "created_at",
                                                 "revoked_at"), bindings)
        users.clear(), rows.clear(), bindings.clear()

    for number, subscribed in enumerate(moments):
        user_id, follower_id = first_user + number, first_follower + number
        openid = f"{FOLLOWER_PREFIX}{number:09d}"
        unsubscribed = None
        if rng.random() < 0.08:
            moment = subscribed + timedelta(days=rng.uniform(1, 300))
            unsubscribed = moment if moment < horizon else None
        interaction = min(horizon, subscribed + timedelta(days=rng.uniform(0, 200)))
        users.append((user_id, None, f"13{rng.randrange(10**9):09d}" if rng.random() < 0.4 else "", subscribed, 0))
        rows.append((follower_id, openid, None, user_id, unsubscribed is None, subscribed, unsubscribed,
                     _SCENES.draw(rng), "", [], interaction, None, "", subscribed, unsubscribed or interaction))
        followers.append((follower_id, user_id, openid, subscribed, unsubscribed))
        if world.enterprises and rng.random() < 0.4:
            enterprise_id, _, district = rng.choice(world.enterprises)
            if (user_id, enterprise_id) not in used:
                used.add((user_id, enterprise_id))
                made = min(horizon, subscribed + timedelta(days=rng.uniform(0, 30)))
                revoked = None
                if rng.random() < 0.03:
                    moment = made + timedelta(days=rng.uniform(5, 200))
                    revoked = moment if moment < horizon else None
                role = "legal_representative" if rng.random() < 0.6 else "contact"
                bindings.append((user_id, enterprise_id, role, "legal_representative_name", made, revoked))
                summary.bindings += 1
                if revoked is None and unsubscribed is None:
                    bound.append((user_id, enterprise_id, district))
        if len(rows) >= CHUNK:
            await flush()
            if progress:
                progress("followers", number + 1, count)
    await flush()
    if progress:
        progress("followers", count, count)
    await bulk.sync_sequence("wechat_user")
    await bulk.sync_sequence("follower")
    summary.followers = count
    return _People(followers, bound)


# -- push campaigns and deliveries ------------------------------------------------------------

_FAILURES = _Weighted([(("not_follower", 43004, "require subscribe"), 35), (("user_block", None, "failed:user block"), 25),
                       (("system_failed", None, "failed: system failed"), 15),
                       (("retries_exhausted", -1, "system error"), 15), (("invalid_openid", 40003, "invalid openid"), 10)])
_SKIPS = _Weighted([("muted", 30), ("frequency_cap", 35), ("already_received", 20), ("unreachable", 15)])
_DELIVERY_COLUMNS = ("campaign_id", "follower_id", "openid", "status", "reason", "wechat_msgid", "errcode", "error",
                     "attempts", "uncertain", "first_attempt_at", "queued_at", "sent_at", "finished_at")


async def _generate_pushes(*, count: int, people: _People, seed: int, start: datetime, horizon: datetime,
                           summary: YearSummary, progress: Progress | None) -> None:
    from app.policy.models import Policy, PolicyStatus
    from app.staff.models import Staff, StaffRole

    rng = random.Random(seed + 2)
    bulk = _Bulk()
    policies = await Policy.filter(status=PolicyStatus.published).order_by("id").values("id", "title", "support_type")
    if not policies:
        policies = [{"id": None, "title": "惠企政策", "support_type": "other"}]
    creators = [s["id"] for s in await Staff.filter(
        is_active=True, role__in=[StaffRole.city_admin, StaffRole.policy_editor, StaffRole.district_admin,
                                  StaffRole.department_handler]).order_by("id").values("id")] or [None]
    followers = people.followers
    if not followers or count <= 0:
        return
    subscribed_times = [f[3] for f in followers]
    # campaigns over the year, each to a share of the followers subscribed when it started
    campaigns: list[dict[str, Any]] = []
    planned = max(4, count // 15_000)
    span = (horizon - start).total_seconds()
    for number in range(planned):
        started = start + timedelta(seconds=span * (number + rng.random()) / planned)
        campaigns.append({"started": min(started, horizon - timedelta(hours=2))})
    remaining = count
    while True:
        eligible = [bisect.bisect_right(subscribed_times, c["started"]) for c in campaigns]
        capacity = sum(eligible)
        if capacity >= remaining:
            break
        campaigns.append({"started": horizon - timedelta(hours=rng.uniform(3, 24 * 20))})
    total_eligible = sum(eligible)
    targets = [min(e, count * e // max(1, total_eligible)) for e in eligible]
    shortfall = count - sum(targets)
    for position in sorted(range(len(campaigns)), key=lambda p: -eligible[p]):
        if shortfall <= 0:
            break
        extra = min(shortfall, eligible[position] - targets[position])
        targets[position] += extra
        shortfall -= extra
    first_campaign = await bulk.reserve("push_campaign")
    rows = []
    for number, (campaign, target) in enumerate(zip(campaigns, targets)):
        policy = policies[number % len(policies)]
        started = campaign["started"]
        finished = min(horizon, started + timedelta(minutes=rng.uniform(5, 90) + target / 400))
        campaign.update(id=first_campaign + number, finished=finished, target=target)
        rows.append((first_campaign + number, f"政策推送：{policy['title']}"[:200], policy["id"], "policy_push",
                     {MARK: True, "description": "关注用户中按政策匹配的企业联系人", "seed": seed}, "completed", "", "",
                     policy["support_type"] or "", True, {}, None, started - timedelta(hours=1), started, finished,
                     target, rng.choice(creators), started - timedelta(hours=rng.uniform(2, 48)), finished))
    await bulk.insert("push_campaign", ("id", "title", "policy_id", "template_name", "audience", "status",
                                        "pause_reason", "pause_code", "support_type", "frequency_capped",
                                        "template_values", "message", "scheduled_at", "started_at", "finished_at",
                                        "total", "created_by_id", "created_at", "updated_at"), rows)
    await bulk.sync_sequence("push_campaign")
    summary.campaigns = len(campaigns)
    statuses: dict[str, int] = {}
    batch: list[tuple] = []
    msgid = 2_000_000_000 + seed * 10_000_000
    for campaign, eligible_count in zip(campaigns, eligible):
        if not campaign["target"]:
            continue
        chosen = rng.sample(range(eligible_count), campaign["target"])
        chosen.sort()
        started, finished = campaign["started"], campaign["finished"]
        window = max(1.0, (finished - started).total_seconds())
        for position in chosen:
            follower_id, _, openid, _, unsubscribed = followers[position]
            moment = started + timedelta(seconds=window * rng.random())
            first_attempt = int(moment.timestamp() * 1000)
            roll = rng.random()
            if unsubscribed is not None and unsubscribed < started:
                row = ("skipped", "unsubscribed", None, None, "", 0, None, moment)
            elif roll < 0.05:
                row = ("skipped", _SKIPS.draw(rng), None, None, "", 0, None, moment)
            elif roll < 0.09:
                reason, errcode, error = _FAILURES.draw(rng)
                if reason in ("user_block", "system_failed"):  # accepted, then reported failed
                    msgid += 1
                    row = ("failed", reason, msgid, 0, error, 1, moment, moment + timedelta(seconds=rng.uniform(2, 60)))
                else:
                    row = ("failed", reason, None, errcode, error, 3 if reason == "retries_exhausted" else 1, None, moment)
            elif roll < 0.12:
                msgid += 1
                row = ("sent", "", msgid, 0, "", 1, moment, None)
            else:
                msgid += 1
                row = ("delivered", "", msgid, 0, "success", 1, moment, moment + timedelta(seconds=rng.uniform(1, 30)))
            status, reason, wechat_msgid, errcode, error, attempts, sent_at, finished_at = row
            statuses[status] = statuses.get(status, 0) + 1
            batch.append((campaign["id"], follower_id, openid, status, reason, wechat_msgid, errcode, error, attempts,
                          False, first_attempt if attempts else None, started, sent_at, finished_at))
            if len(batch) >= CHUNK * 2:
                await bulk.insert("push_delivery", _DELIVERY_COLUMNS, batch)
                summary.deliveries += len(batch)
                batch = []
                if progress:
                    progress("deliveries", summary.deliveries, count)
    await bulk.insert("push_delivery", _DELIVERY_COLUMNS, batch)
    summary.deliveries += len(batch)
    if progress:
        progress("deliveries", summary.deliveries, count)
    summary.delivery_statuses = statuses


# -- engagements and ratings --------------------------------------------------------------------


async def _generate_engagements(*, count: int, people: _People, settings: Settings, seed: int, start: datetime,
                                horizon: datetime, summary: YearSummary) -> None:
    from app.provider.management import refresh_provider
    from app.provider.models import ProviderMember, ProviderProduct, ProviderStatus
    from app.provider.reputation import DIMENSIONS

    rng = random.Random(seed + 3)
    bulk = _Bulk()
    products = await ProviderProduct.filter(
        is_active=True, provider__status__in=[ProviderStatus.admitted, ProviderStatus.warned]
    ).order_by("id").values("id", "provider_id", "delivery_days")
    if not products or not people.bound or count <= 0:
        return
    members = {m["provider_id"]: m["user_id"] for m in
               await ProviderMember.filter(revoked_at__isnull=True).order_by("id").values("provider_id", "user_id")}
    quality = {p["provider_id"]: random.Random(f"{seed}:provider:{p['provider_id']}").uniform(2.6, 4.9) for p in products}
    first = await bulk.reserve("engagement")
    engagements, events, ratings = [], [], []
    open_keys: set[str] = set()
    span = (horizon - start).total_seconds()
    day = timedelta(days=1)
    for number in range(count):
        product = rng.choice(products)
        user_id, enterprise_id, _ = rng.choice(people.bound)
        provider_id = product["provider_id"]
        member = members.get(provider_id)
        engagement_id = first + number
        requested = start + timedelta(seconds=span * rng.random())
        timeline = [("request", None, "requested", "enterprise", user_id, "", requested)]
        accepted = delivered = completed = closed = confirm_due = None
        closed_by, reason, delivery_note = "", "", ""
        roll = rng.random()
        status = "requested"
        moment = requested + day * rng.uniform(0.1, 3)
        if roll < 0.05 and moment < horizon:
            status, closed, closed_by, reason = "declined", moment, "provider", "近期排期已满"
            timeline.append(("decline", "requested", "declined", "provider", member, reason, moment))
        elif roll < 0.09 and moment < horizon:
            status, closed, closed_by, reason = "cancelled", moment, "enterprise", "需求已变化"
            timeline.append(("cancel", "requested", "cancelled", "enterprise", user_id, reason, moment))
        elif moment < horizon:
            status, accepted = "accepted", moment
            timeline.append(("accept", "requested", "accepted", "provider", member, "", moment))
            moment = accepted + day * rng.uniform(1, max(2, product["delivery_days"] or 20))
            if moment < horizon:
                status, delivered, delivery_note = "delivered", moment, "服务报告已交付企业"
                confirm_due = moment + day * 7
                timeline.append(("deliver", "accepted", "delivered", "provider", member, delivery_note, moment))
                moment = delivered + day * rng.uniform(0.2, 8)
                if moment < horizon:
                    status, completed, confirm_due = "completed", moment, None
                    auto = moment > delivered + day * 7
                    if auto:
                        moment = completed = delivered + day * 7
                    timeline.append(("auto_complete" if auto else "confirm", "delivered", "completed",
                                     "system" if auto else "enterprise", None if auto else user_id, "", moment))
        open_key = None
        if status in ("requested", "accepted", "delivered"):
            open_key = f"{enterprise_id}:{product['id']}"
            if open_key in open_keys:
                continue
            open_keys.add(open_key)
        engagements.append((engagement_id, provider_id, product["id"], enterprise_id, user_id, status, "", requested,
                            accepted, delivered, completed, "miniprogram", f"{ENGAGEMENT_PREFIX}{seed}:{number}",
                            open_key, len(timeline) - 1, delivery_note, reason, closed, closed_by, confirm_due,
                            timeline[-1][-1]))
        for action, frm, to, role, actor, text, at in timeline:
            events.append((engagement_id, action, frm, to, role, actor if role in ("enterprise", "provider") else None,
                           {"enterprise": "企业用户", "provider": "服务机构", "system": "系统"}.get(role, ""), text, {}, at))
        if status == "completed" and rng.random() < 0.75:
            rated = completed + day * rng.uniform(0.1, 5)
            if rated < horizon:
                mean = quality[provider_id]
                overall = max(1, min(5, round(rng.gauss(mean, 0.8))))
                dimensions = {name: max(1, min(5, round(rng.gauss(mean, 0.9)))) for name in DIMENSIONS}
                comment = rng.choice(("", "", "服务专业，响应及时。", "整体满意。", "沟通效率有待提高。"))
                ratings.append((engagement_id, provider_id, enterprise_id, overall, dimensions, comment, rated, user_id,
                                "miniprogram", None, True, "passed" if comment else "none", None, None, None, ""))
    await bulk.insert("engagement", ("id", "provider_id", "product_id", "enterprise_id", "requested_by_id", "status",
                                     "note", "requested_at", "accepted_at", "delivered_at", "completed_at", "channel",
                                     "idempotency_key", "open_key", "version", "delivery_note", "status_reason",
                                     "closed_at", "closed_by_role", "confirm_due_at", "updated_at"), engagements)
    await bulk.insert("engagement_event", ("engagement_id", "action", "from_status", "to_status", "role", "user_id",
                                           "by", "text", "payload", "created_at"), events)
    await bulk.insert("provider_rating", ("engagement_id", "provider_id", "enterprise_id", "overall", "dimensions",
                                          "comment", "created_at", "rated_by_id", "channel", "idempotency_key", "counts",
                                          "comment_check", "check_id", "excluded_at", "excluded_by_id",
                                          "excluded_reason"), ratings)
    await bulk.sync_sequence("engagement")
    summary.engagements, summary.ratings = len(engagements), len(ratings)
    for provider_id in sorted(quality):
        await refresh_provider(provider_id=provider_id, settings=settings)


# -- activities ---------------------------------------------------------------------------------

_ACTIVITIES = (
    ("briefing", "惠企政策集中宣讲会", "全市中小企业负责人"),
    ("training", "专精特新企业培育专题培训", "拟申报专精特新的中小企业"),
    ("roadshow", "科技型中小企业投融资路演", "有融资需求的科技型企业"),
    ("diagnostic", "知识产权诊断服务日", "有专利布局需求的企业"),
    ("lecture", "数字化转型与智能制造讲座", "制造业中小企业"),
    ("briefing", "研发费用加计扣除政策解读", "科技型企业财务人员"),
    ("training", "出口退税业务实务培训", "外贸企业财务人员"),
    ("lecture", "人才引进落户政策解读", "企业人力资源负责人"),
)


async def _generate_activities(*, count: int, people: _People, world: _World, seed: int, start: datetime,
                               horizon: datetime, summary: YearSummary) -> None:
    rng = random.Random(seed + 4)
    bulk = _Bulk()
    users = [f[1] for f in people.followers if f[4] is None]
    if not users or count <= 0:
        return
    organisers = [world.orgs[c] for c in ("social.sme-association",) if c in world.orgs] + list(world.district_centre.values())
    organisers = organisers or [world.office]
    first = await bulk.reserve("activity")
    activities, signups, events = [], [], []
    span = (horizon - start).total_seconds()
    for number in range(count):
        activity_id = first + number
        kind, title, audience = _ACTIVITIES[number % len(_ACTIVITIES)]
        day = _local_day(start + timedelta(seconds=span * (number + rng.random()) / count))
        starts = _at(day, rng.choice((9, 9.5, 14, 14.5)))
        ends = starts + timedelta(hours=rng.choice((2, 3, 6)))
        capacity = rng.choice((20, 30, 50, 80, 120))
        published = starts - timedelta(days=rng.uniform(7, 21))
        finished = ends < horizon
        status = "finished" if finished else "published"
        demand = rng.uniform(0.4, 1.3)
        wanted = min(len(users), int(capacity * demand))
        people_here = rng.sample(users, wanted)
        confirmed = waiting = 0
        for position, user_id in enumerate(people_here):
            signed = published + (min(starts, horizon) - published) * rng.random()
            if signed > horizon:
                continue
            cancelled_at = checked_at = None
            waitlist_position = None
            if position >= capacity and finished:  # never moved up from the waiting list
                state, cancelled_at = "cancelled", starts
            elif position >= capacity:
                state = "waitlisted"
                waiting += 1
                waitlist_position = waiting
            elif rng.random() < 0.08:
                state, cancelled_at = "cancelled", signed + (starts - signed) * rng.random()
            else:
                confirmed += 1
                state = "confirmed"
                if finished and rng.random() < 0.78:
                    state, checked_at = "checked_in", starts + timedelta(minutes=rng.uniform(-20, 30))
            signups.append((activity_id, user_id, None, state, waitlist_position, f"{APPEAL_PREFIX}{activity_id:06d}{position:05d}",
                            checked_at, signed, "miniprogram" if rng.random() < 0.7 else "chat", rng.choice(NAMES),
                            f"139{rng.randrange(10**8):08d}", signed, signed if state != "waitlisted" else None,
                            cancelled_at, "ticket" if checked_at else "", checked_at or cancelled_at or signed))
        organiser = rng.choice(organisers)
        activities.append((activity_id, f"{title}（第{number // len(_ACTIVITIES) + 1}期）", kind, f"{title}，面向{audience}。",
                           starts, ends, "市中小企业服务中心三楼报告厅" if organiser == organisers[0] else "区企业服务中心会议室",
                           capacity, confirmed, audience, organiser, status, starts - timedelta(days=1),
                           published - timedelta(days=1), "", waiting, "", None, published, ends if finished else None,
                           "", "", None, ends if finished else published))
        events.append((activity_id, None, "publish", None, "", {MARK: True, "seed": seed}, published))
        if finished:
            events.append((activity_id, None, "finish", None, "", {}, ends))
    await bulk.insert("activity", ("id", "title", "kind", "description", "starts_at", "ends_at", "place", "capacity",
                                   "confirmed_count", "audience", "organiser_id", "status", "signup_deadline",
                                   "created_at", "organiser_name", "waitlist_count", "cancel_reason", "created_by_id",
                                   "published_at", "closed_at", "qr_ticket", "qr_url", "qr_expires_at", "updated_at"),
                      activities)
    await bulk.insert("activity_signup", ("activity_id", "user_id", "enterprise_id", "status", "waitlist_position",
                                          "ticket_code", "checked_in_at", "created_at", "channel", "contact_name",
                                          "contact_phone", "signed_up_at", "confirmed_at", "cancelled_at",
                                          "checkin_method", "updated_at"), signups)
    await bulk.insert("activity_event", ("activity_id", "signup_id", "action", "staff_id", "note", "payload",
                                         "created_at"), events)
    await bulk.sync_sequence("activity")
    summary.activities, summary.signups = len(activities), len(signups)


# -- the whole year -----------------------------------------------------------------------------


async def generate_year(
    *,
    settings: Settings,
    appeals: int,
    deliveries: int,
    seed: int,
    end: date,
    replace: bool,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> YearSummary:
    """Load a year of synthetic data ending at Shanghai day `end` (see the module docstring).

    Needs the demo organisations (`qiyun seed-demo`); the database must be open. Nothing
    generated lies after `now` (default: the clock), so a year ending today has open
    appeals. With `replace`, what earlier runs generated is deleted first.
    """
    started = clock.monotonic()
    now = (now or datetime.now(UTC)).astimezone(UTC)
    horizon = min(now, datetime.combine(end + timedelta(days=1), time.min, tzinfo=SHANGHAI).astimezone(UTC)
                  - timedelta(microseconds=1))
    start = datetime.combine(end - timedelta(days=DAYS - 1), time.min, tzinfo=SHANGHAI).astimezone(UTC)
    summary = YearSummary(start=end - timedelta(days=DAYS - 1), end=end, seed=seed)
    if replace:
        summary.deleted = await delete_generated()
    elif await _Bulk().scalar(f"SELECT COUNT(*) FROM follower WHERE openid LIKE '{FOLLOWER_PREFIX}%'") or \
            await _Bulk().scalar(f"SELECT COUNT(*) FROM appeal WHERE number LIKE '{APPEAL_PREFIX}%'"):
        raise RuntimeError("synthetic data is already loaded: use replace to load it again")
    summary.enterprises_added = await _ensure_enterprises(min(max(MIN_ENTERPRISES, appeals // 100), 10_000), seed)
    world = await _world(seed)
    if not world.enterprises:
        raise RuntimeError("the enterprise register is empty")
    follower_count = max(1_000, deliveries // 15, appeals // 20) if (appeals or deliveries) else 0
    people = await _generate_followers(count=follower_count, world=world, seed=seed, start=start, horizon=horizon,
                                       summary=summary, progress=progress)
    await _generate_appeals(count=appeals, world=world, settings=settings, seed=seed, start=start, horizon=horizon,
                            bound=people.bound, summary=summary, progress=progress)
    await _generate_pushes(count=deliveries, people=people, seed=seed, start=start, horizon=horizon, summary=summary,
                           progress=progress)
    await _generate_engagements(count=max(100, appeals // 200) if appeals else 0, people=people, settings=settings,
                                seed=seed, start=start, horizon=horizon, summary=summary)
    await _generate_activities(count=max(12, appeals // 5_000) if appeals else 0, people=people, world=world, seed=seed,
                               start=start, horizon=horizon, summary=summary)
    summary.seconds = clock.monotonic() - started
    logger.info("generated a synthetic year", extra={"appeals": summary.appeals, "deliveries": summary.deliveries})
    return summary
