"""Drawing a survey's sample: stratified random sampling from the register (法人库) or from the
enterprises that used an approval service in a period.

* **Frame.** The register, or the distinct enterprises with a `ServiceUse` of one service code
  completed in the period. By default only enterprises that can be reached are in the frame
  (`reachable_only`): an unrevoked binding whose person follows the account (subscribed) or
  uses the mini-program — an invitation to anyone else could not be delivered. Staff may
  switch this off (e.g. to survey by telephone).
* **Strata.** Any subset of district, size class and ownership; the stratum key joins the
  codes in that order ("310115|small|private"; "all" without strata).
* **Allocation.** Proportional (n_h = n·N_h/N, rounded by largest remainder so the sizes add
  up to n exactly), or proportional with a minimum per stratum (small strata get
  min(m, N_h), the rest is shared proportionally among the others) so every district can be
  reported on. Within a stratum: simple random sampling without replacement; the inclusion
  probability n_h/N_h is recorded on each row, and its inverse is the design weight.
* **Reproducible.** A seed is recorded (chosen at random when staff give none); the same seed
  on the same frame draws the same enterprises: the frame's ids are sorted, strata are
  visited in sorted key order, and one `random.Random(seed)` serves them all.
* **Preview writes nothing.** It runs the same draw in memory, so the make-up it shows
  (register share vs frame share vs sample share by district, size and ownership) is exactly
  what 抽样 then writes when given the previewed seed.
* **Redraw.** Allowed until the first invitation has gone out; after that the sample is the
  survey's contact history and is never replaced (enterprises may still be added by hand).
"""

from __future__ import annotations

import math
import random
import secrets
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tortoise import connections
from tortoise.functions import Count
from tortoise.transactions import in_transaction

from app.audit import service as audit
from app.config import Settings
from app.db import db_time
from app.enterprise.models import Enterprise
from app.enterprise.reference import District, Ownership, SizeClass
from app.identity.models import EnterpriseBinding, Follower, MiniProgramUser
from app.staff.models import Staff
from app.paging import Page
from app.staff.scope import can
from app.survey.errors import SurveyError
from app.survey.models import SampleFrame, ServiceUse, Survey, SurveyKind, SurveySample, SurveyStatus
from app.survey.questionnaires import get_survey

__all__ = [
    "ALLOCATIONS",
    "STRATA_VARIABLES",
    "MakeupRow",
    "SampleDesign",
    "SamplePage",
    "SamplePreview",
    "StratumRow",
    "add_to_sample",
    "allocate",
    "design_from_survey",
    "draw",
    "sample_makeup",
    "list_sample",
    "new_seed",
    "preview",
    "stratum_key",
    "stratum_label",
]

SHANGHAI = ZoneInfo("Asia/Shanghai")
STRATA_VARIABLES: tuple[str, ...] = ("district", "size_class", "ownership")
VARIABLE_LABELS: dict[str, str] = {"district": "区", "size_class": "规模", "ownership": "所有制"}
_ENUMS = {"district": District, "size_class": SizeClass, "ownership": Ownership}
ALLOCATIONS: dict[str, str] = {"proportional": "按比例分配", "minimum": "按比例分配，每层不少于最小样本量"}
MAX_SEED = 2**31 - 1
MAX_SIZE = 1_000_000
_BATCH = 1000
_CHUNK = 500  # ids per IN (...) query: well under every backend's parameter limit


# -- the design ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SampleDesign:
    """How to draw: the frame, strata, size and allocation, the seed and who counts as reachable."""

    size: int
    frame: str = SampleFrame.register.value
    strata: tuple[str, ...] = STRATA_VARIABLES
    allocation: str = "proportional"
    min_per_stratum: int = 0
    seed: int | None = None
    reachable_only: bool = True
    service_code: str = ""
    period_from: date | None = None
    period_to: date | None = None

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["strata"] = list(self.strata)
        data["period_from"] = self.period_from.isoformat() if self.period_from else None
        data["period_to"] = self.period_to.isoformat() if self.period_to else None
        return data


def _checked(design: SampleDesign) -> SampleDesign:
    """The design with a seed, or SurveyError naming the field at fault (Chinese)."""
    if design.frame not in (SampleFrame.register.value, SampleFrame.service_use.value):
        raise SurveyError("请选择抽样框：法人库或办事企业", code="invalid_frame", field="frame")
    strata = tuple(dict.fromkeys(design.strata))
    unknown = [name for name in strata if name not in STRATA_VARIABLES]
    if unknown:
        raise SurveyError("分层变量只能是区、规模、所有制", code="invalid_strata", field="strata")
    strata = tuple(name for name in STRATA_VARIABLES if name in strata)  # one order, so keys are stable
    if not isinstance(design.size, int) or design.size < 1:
        raise SurveyError("请填写样本量（正整数）", code="invalid_size", field="size")
    if design.size > MAX_SIZE:
        raise SurveyError(f"样本量不能超过{MAX_SIZE:,}", code="invalid_size", field="size")
    if design.allocation not in ALLOCATIONS:
        raise SurveyError("请选择分配方式", code="invalid_allocation", field="allocation")
    minimum = design.min_per_stratum if design.allocation == "minimum" else 0
    if design.allocation == "minimum" and (minimum is None or minimum < 1):
        raise SurveyError("请填写每层最小样本量（正整数）", code="invalid_minimum", field="min_per_stratum")
    if design.seed is not None and not 0 <= design.seed <= MAX_SEED:
        raise SurveyError(f"随机种子须为0到{MAX_SEED}之间的整数", code="invalid_seed", field="seed")
    code = design.service_code.strip()
    if design.frame == SampleFrame.service_use.value:
        if not code:
            raise SurveyError("请选择办理的事项（事项编码）", code="service_required", field="service_code")
        if design.period_from is None or design.period_to is None:
            raise SurveyError("请填写办结时间的起止日期", code="period_required", field="period_from")
        if design.period_to < design.period_from:
            raise SurveyError("结束日期不能早于开始日期", code="invalid_period", field="period_to")
    else:
        code = ""
    seed = design.seed if design.seed is not None else new_seed()
    return replace(design, strata=strata, min_per_stratum=minimum, seed=seed, service_code=code,
                   period_from=design.period_from if code else None, period_to=design.period_to if code else None)


def new_seed() -> int:
    """A fresh random seed, short enough to read out and type again."""
    return secrets.randbelow(MAX_SEED) + 1


def design_from_survey(survey: Survey, *, default_size: int = 1000) -> SampleDesign:
    """The design recorded with the survey's sample (for the form), or a default one."""
    recorded = survey.sample_design or {}
    if not recorded.get("size"):
        return SampleDesign(size=default_size)

    def day(value: Any) -> date | None:
        return date.fromisoformat(value) if value else None

    return SampleDesign(
        size=int(recorded["size"]), frame=recorded.get("frame", "register"),
        strata=tuple(recorded.get("strata", STRATA_VARIABLES)), allocation=recorded.get("allocation", "proportional"),
        min_per_stratum=int(recorded.get("min_per_stratum") or 0), seed=survey.sample_seed,
        reachable_only=bool(recorded.get("reachable_only", True)), service_code=recorded.get("service_code") or "",
        period_from=day(recorded.get("period_from")), period_to=day(recorded.get("period_to")),
    )


# -- what a preview shows --------------------------------------------------------------------


@dataclass(frozen=True)
class StratumRow:
    key: str
    labels: tuple[str, ...]
    population: int
    """N_h: enterprises of the frame in the stratum."""
    allocated: int
    """n_h."""

    @property
    def probability(self) -> float:
        return self.allocated / self.population if self.population else 0.0

    @property
    def weight(self) -> float:
        return self.population / self.allocated if self.allocated else 0.0


@dataclass(frozen=True)
class MakeupRow:
    """One category (e.g. 浦东新区) of one variable: its share of the register, the frame and the sample."""

    code: str
    label: str
    register: int
    frame: int
    sample: int
    register_share: float
    frame_share: float
    sample_share: float


@dataclass(frozen=True)
class SamplePreview:
    design: SampleDesign
    """With the seed that was (or will be) used."""
    register_size: int
    frame_size: int
    strata: list[StratumRow]
    makeup: dict[str, list[MakeupRow]]
    """variable (district, size_class, ownership) -> rows, in the enum's order."""
    frame_date: datetime
    drawn: list[tuple[int, str]] = field(default_factory=list, repr=False)
    """The drawn enterprises with their stratum keys, in stratum order."""
    written: int = 0
    """Rows written by `draw` (0 for a preview)."""

    @property
    def size(self) -> int:
        return sum(row.allocated for row in self.strata)

    @property
    def enterprise_ids(self) -> list[int]:
        return [enterprise_id for enterprise_id, _ in self.drawn]

    @property
    def variable_labels(self) -> dict[str, str]:
        return VARIABLE_LABELS

    def table(self) -> list[dict[str, Any]]:
        """The strata table as recorded in `survey.sample_design`."""
        return [{"key": row.key, "N": row.population, "n": row.allocated, "p": round(row.probability, 8)}
                for row in self.strata]


def stratum_key(values: dict[str, Any] | Sequence[Any], strata: Sequence[str]) -> str:
    """"310115|small|private" for the strata variables given (in `STRATA_VARIABLES` order)."""
    if not strata:
        return "all"
    if isinstance(values, dict):
        picked = [values[name] for name in strata]
    else:
        picked = [values[STRATA_VARIABLES.index(name)] for name in strata]
    return "|".join(getattr(value, "value", value) for value in picked)


def stratum_label(key: str) -> str:
    """"浦东新区 · 小型 · 民营" for a stored stratum key (the variables are told by the codes)."""
    if key in ("", "all"):
        return "全部"
    labels = []
    for code in key.split("|"):
        for enum in _ENUMS.values():
            if code in enum._value2member_map_:
                labels.append(enum(code).label)
                break
        else:
            labels.append(code)
    return " · ".join(labels)


def _stratum_labels(key: str, strata: Sequence[str]) -> tuple[str, ...]:
    if not strata:
        return ("全部",)
    labels = []
    for name, code in zip(strata, key.split("|"), strict=True):
        enum = _ENUMS[name]
        labels.append(enum(code).label if code in enum._value2member_map_ else code)
    return tuple(labels)


# -- allocation -------------------------------------------------------------------------------


def allocate(populations: dict[str, int], *, size: int, minimum: int = 0) -> dict[str, int]:
    """n_h for each stratum: proportional to N_h, summing to `size` exactly (largest remainder,
    ties by stratum key); with `minimum`, each stratum gets at least min(minimum, N_h) and the
    remainder is shared proportionally among the others.

    Raises SurveyError when the frame is smaller than `size`, or the minimums alone exceed it."""
    total = sum(populations.values())
    if size > total:
        raise SurveyError(f"样本量{size:,}超过了抽样框中的企业数{total:,}", code="sample_too_large", field="size")
    keys = sorted(key for key, count in populations.items() if count > 0)
    fixed: dict[str, int] = {}
    if minimum:
        floor_total = sum(min(minimum, populations[key]) for key in keys)
        if floor_total > size:
            raise SurveyError(
                f"每层至少{minimum}家共需{floor_total:,}家，超过了样本量{size:,}：请增大样本量或减小每层最小样本量",
                code="minimum_too_large", field="min_per_stratum")
        while True:  # fix the strata whose proportional share is below the minimum, then re-share the rest
            rest = [key for key in keys if key not in fixed]
            left = size - sum(fixed.values())
            pool = sum(populations[key] for key in rest)
            short = [key for key in rest if pool and left * populations[key] / pool < min(minimum, populations[key])]
            if not short:
                break
            for key in short:
                fixed[key] = min(minimum, populations[key])
    rest = [key for key in keys if key not in fixed]
    left = size - sum(fixed.values())
    pool = sum(populations[key] for key in rest)
    shares = {key: left * populations[key] / pool for key in rest} if pool else {}
    allocated = {key: min(math.floor(share), populations[key]) for key, share in shares.items()}
    remaining = left - sum(allocated.values())
    order = sorted(rest, key=lambda key: (-(shares[key] - math.floor(shares[key])), key))
    while remaining > 0 and order:
        progressed = False
        for key in order:
            if remaining == 0:
                break
            if allocated[key] < populations[key]:
                allocated[key] += 1
                remaining -= 1
                progressed = True
        if not progressed:
            break
    allocated.update(fixed)
    return {key: allocated.get(key, 0) for key in sorted(populations)}


# -- the frame --------------------------------------------------------------------------------


Row = tuple[int, str, str, str]  # enterprise id, district, size class, ownership (codes)


async def _reachable_enterprise_ids() -> set[int]:
    """Enterprises with an unrevoked binding of a person who follows the account or uses the mini-program."""
    users = set(await Follower.filter(subscribed=True, user_id__isnull=False).values_list("user_id", flat=True))
    users.update(await MiniProgramUser.all().values_list("user_id", flat=True))
    bindings = await EnterpriseBinding.filter(revoked_at__isnull=True).values_list("enterprise_id", "user_id")
    return {enterprise_id for enterprise_id, user_id in bindings if user_id in users}


def _code(value: Any) -> str:
    return getattr(value, "value", value)


async def _rows_of(ids: Iterable[int]) -> list[Row]:
    ordered = sorted(set(ids))
    rows: list[Row] = []
    for start in range(0, len(ordered), _CHUNK):
        chunk = ordered[start : start + _CHUNK]
        found = await Enterprise.filter(id__in=chunk).values_list("id", "district", "size_class", "ownership")
        rows.extend((i, _code(d), _code(s), _code(o)) for i, d, s, o in found)
    return rows


def _period(design: SampleDesign) -> tuple[datetime, datetime]:
    start = datetime.combine(design.period_from, time.min, SHANGHAI)
    end = datetime.combine(design.period_to + timedelta(days=1), time.min, SHANGHAI)
    return db_time(start), db_time(end)


async def _frame(design: SampleDesign) -> list[Row]:
    """The frame's enterprises, sorted by id (the order the draw relies on)."""
    if design.frame == SampleFrame.service_use.value:
        start, end = _period(design)
        ids = set(await ServiceUse.filter(service_code=design.service_code, completed_at__gte=start,
                                          completed_at__lt=end).values_list("enterprise_id", flat=True))
        if design.reachable_only:
            ids &= await _reachable_enterprise_ids()
        return await _rows_of(ids)
    if design.reachable_only:
        return await _rows_of(await _reachable_enterprise_ids())
    return await _whole_register()


async def _whole_register() -> list[Row]:
    """Every enterprise's id and strata codes. Plain SQL: the ORM's per-row enum conversion
    would triple the time on a register of 100,000 (the codes are all the draw needs)."""
    query = Enterprise.all().order_by("id").values_list("id", "district", "size_class", "ownership")
    sql = query.sql()
    _, rows = await connections.get("default").execute_query(sql)
    return [(int(row[0]), str(row[1]), str(row[2]), str(row[3])) for row in rows]


async def _register_counts() -> dict[str, Counter]:
    counts: dict[str, Counter] = {}
    for name in STRATA_VARIABLES:
        grouped = await Enterprise.annotate(n=Count("id")).group_by(name).values_list(name, "n")
        counts[name] = Counter({_code(value): n for value, n in grouped})
    return counts


def _select(frame: list[Row], design: SampleDesign) -> tuple[list[StratumRow], list[tuple[int, str]]]:
    """Allocate and draw (deterministic in the seed and the frame)."""
    members: dict[str, list[int]] = defaultdict(list)
    positions = [STRATA_VARIABLES.index(name) + 1 for name in design.strata]  # rows are (id, *codes)
    if positions:
        for row in frame:
            members["|".join([row[position] for position in positions])].append(row[0])
    else:
        members["all"] = [row[0] for row in frame]
    populations = {key: len(ids) for key, ids in members.items()}
    allocation = allocate(populations, size=design.size, minimum=design.min_per_stratum)
    rng = random.Random(design.seed)
    chosen: list[tuple[int, str]] = []
    strata: list[StratumRow] = []
    for key in sorted(members):
        ids = sorted(members[key])
        n = allocation[key]
        chosen.extend((enterprise_id, key) for enterprise_id in rng.sample(ids, n))
        strata.append(StratumRow(key=key, labels=_stratum_labels(key, design.strata), population=len(ids), allocated=n))
    return strata, chosen


def _makeup(register: dict[str, Counter], frame: list[Row], chosen: list[tuple[int, str]]) -> dict[str, list[MakeupRow]]:
    picked = {enterprise_id for enterprise_id, _ in chosen}
    result: dict[str, list[MakeupRow]] = {}
    for position, name in enumerate(STRATA_VARIABLES, start=1):
        in_frame = Counter(row[position] for row in frame)
        in_sample = Counter(row[position] for row in frame if row[0] in picked)
        totals = (sum(register[name].values()) or 1, len(frame) or 1, len(picked) or 1)
        result[name] = [
            MakeupRow(code=member.value, label=member.label, register=register[name][member.value],
                      frame=in_frame[member.value], sample=in_sample[member.value],
                      register_share=register[name][member.value] / totals[0],
                      frame_share=in_frame[member.value] / totals[1], sample_share=in_sample[member.value] / totals[2])
            for member in _ENUMS[name]
            if register[name][member.value] or in_frame[member.value]
        ]
    return result


async def preview(*, design: SampleDesign) -> SamplePreview:
    """The sample this design would draw — strata (N_h, n_h, probability) and the make-up
    against the register — without writing anything. The returned design carries the seed
    used, so drawing with it writes exactly this sample (on an unchanged frame)."""
    design = _checked(design)
    frame_date = datetime.now(UTC)
    frame = await _frame(design)
    if not frame:
        raise SurveyError(_empty_frame_message(design), code="empty_frame", field="frame")
    strata, chosen = _select(frame, design)
    if design.frame == SampleFrame.register.value and not design.reachable_only:  # the frame is the register
        register = {name: Counter(row[position] for row in frame)
                    for position, name in enumerate(STRATA_VARIABLES, start=1)}
    else:
        register = await _register_counts()
    return SamplePreview(design=design, register_size=sum(register["district"].values()), frame_size=len(frame),
                         strata=strata, makeup=_makeup(register, frame, chosen), frame_date=frame_date,
                         drawn=chosen)


def _empty_frame_message(design: SampleDesign) -> str:
    if design.frame == SampleFrame.service_use.value:
        text = f"所选期间内没有办理过事项「{design.service_code}」的企业"
    else:
        text = "法人库中没有企业"
    if design.reachable_only:
        text += "（仅统计已绑定且关注公众号或使用小程序的企业；如需电话调查等方式，可取消“仅抽取可联系的企业”）"
    return text


# -- drawing -----------------------------------------------------------------------------------


def _refuse_unless_manager(staff: Staff | None) -> None:
    if staff is not None and not can(staff, "survey.manage"):
        raise SurveyError("您的角色无权管理调查样本", code="forbidden")


async def _survey(survey_id: int, connection=None) -> Survey:
    """The survey, locked for the transaction when `connection` is given."""
    return await get_survey(survey_id=survey_id, connection=connection, lock=connection is not None)


async def draw(*, staff: Staff | None, survey_id: int, design: SampleDesign,
               settings: Settings | None = None) -> SamplePreview:
    """Draw and write the survey's sample (replacing a previous one while no invitation has gone out).

    Refused for a closed or public survey, for an annual evaluation smaller than
    `settings.survey_annual_min_sample`, and for a size larger than the frame. In one
    transaction: the old rows go, the new `SurveySample` rows (stratum, n_h/N_h) are written
    in batches, and the seed, design, frame date and strata table are recorded on the
    survey, with the audit entry."""
    _refuse_unless_manager(staff)
    survey = await _survey(survey_id)
    _check_survey(survey)
    minimum = (settings.survey_annual_min_sample if settings is not None
               else Settings.model_fields["survey_annual_min_sample"].default)
    if SurveyKind(survey.kind) is SurveyKind.annual and design.size < minimum:
        raise SurveyError(f"年度营商环境评估的样本量不能少于{minimum:,}家", code="sample_too_small", field="size")
    result = await preview(design=design)
    design = result.design
    drawn_at = datetime.now(UTC)
    async with in_transaction() as connection:
        survey = await _survey(survey_id, connection)
        _check_survey(survey)
        if await SurveySample.filter(survey_id=survey.id, invited_at__isnull=False).using_db(connection).exists():
            raise SurveyError("已向样本企业发出邀请，不能重新抽样；如需补充，可手工添加企业", code="already_invited")
        await SurveySample.filter(survey_id=survey.id).using_db(connection).delete()
        probability = {row.key: row.probability for row in result.strata}
        frame_kind = SampleFrame(design.frame)
        objects = []
        for enterprise_id, key in result.drawn:
            objects.append(SurveySample(survey_id=survey.id, enterprise_id=enterprise_id, frame=frame_kind, stratum=key,
                                        inclusion_probability=probability[key]))
        for start in range(0, len(objects), _BATCH):
            await SurveySample.bulk_create(objects[start : start + _BATCH], using_db=connection)
        recorded = {
            **design.as_json(),
            "frame_size": result.frame_size,
            "register_size": result.register_size,
            "frame_date": result.frame_date.isoformat(),
            "drawn_at": drawn_at.isoformat(),
            "drawn_by": staff.username if staff is not None else "",
            "strata_table": result.table(),
        }
        await Survey.filter(id=survey.id).using_db(connection).update(sample_seed=design.seed, sample_design=recorded)
        await audit.record(staff=staff, action="survey.sample", target_type="survey", target_id=survey.id,
                           detail={"frame": design.frame, "size": result.size, "strata": list(design.strata),
                                   "allocation": design.allocation, "seed": design.seed,
                                   "frame_size": result.frame_size})
    return replace(result, written=len(objects))


def _check_survey(survey: Survey) -> None:
    if SurveyStatus(survey.status) is SurveyStatus.closed:
        raise SurveyError("调查已结束，不能再抽样", code="survey_closed")
    if survey.is_public:
        raise SurveyError("公开问卷任何关注者均可作答，无需抽样", code="public_survey")


async def add_to_sample(*, staff: Staff | None, survey_id: int, credit_code: str) -> SurveySample:
    """Add one enterprise to the sample by hand (frame manual, inclusion probability 1.0:
    it represents only itself). Allowed while the survey is not closed, also after invitations."""
    _refuse_unless_manager(staff)
    code = credit_code.strip().upper()
    if not code:
        raise SurveyError("请填写统一社会信用代码", code="credit_code_required", field="credit_code")
    async with in_transaction() as connection:
        survey = await _survey(survey_id, connection)
        _check_survey(survey)
        enterprise = await Enterprise.get_or_none(credit_code=code).using_db(connection)
        if enterprise is None:
            raise SurveyError(f"法人库中没有统一社会信用代码为「{code}」的企业", code="enterprise_not_found",
                              field="credit_code")
        if await SurveySample.filter(survey_id=survey.id, enterprise_id=enterprise.id).using_db(connection).exists():
            raise SurveyError(f"「{enterprise.name}」已在样本中", code="already_sampled", field="credit_code")
        strata = tuple((survey.sample_design or {}).get("strata", STRATA_VARIABLES))
        key = stratum_key({"district": enterprise.district, "size_class": enterprise.size_class,
                           "ownership": enterprise.ownership}, strata)
        sample = await SurveySample.create(survey_id=survey.id, enterprise_id=enterprise.id, frame=SampleFrame.manual,
                                           stratum=key, inclusion_probability=1.0, using_db=connection)
        await audit.record(staff=staff, action="survey.sample_add", target_type="survey", target_id=survey.id,
                           detail={"credit_code": code, "enterprise": enterprise.name})
    return sample


# -- reading the sample ---------------------------------------------------------------------


@dataclass(frozen=True)
class SamplePage(Page[SurveySample]):
    """One page of the sample (`items` with `enterprise` loaded) and the sample's totals."""

    counts: dict[str, int] = field(default_factory=dict)
    """Rows by frame (register, service_use, manual)."""
    invited: int = 0

    @property
    def rows(self) -> list[SurveySample]:
        return self.items


async def list_sample(*, survey_id: int, page: int = 1, per_page: int = 50, search: str = "") -> SamplePage:
    """One page of the survey's sample (enterprise, stratum, probability; never answers)."""
    query = SurveySample.filter(survey_id=survey_id)
    search = search.strip()
    if search and search.isascii() and search.isalnum():
        query = query.filter(enterprise__credit_code__icontains=search)
    elif search:
        query = query.filter(enterprise__name__icontains=search)
    total = await query.count()
    page = max(1, min(page, max(1, -(-total // per_page))))
    rows = await query.select_related("enterprise").order_by("stratum", "id").offset((page - 1) * per_page).limit(per_page)
    counts = dict(await SurveySample.filter(survey_id=survey_id).annotate(n=Count("id")).group_by("frame")
                  .values_list("frame", "n"))
    invited = await SurveySample.filter(survey_id=survey_id, invited_at__isnull=False).count()
    return SamplePage(items=list(rows), number=page, per_page=per_page, total=total,
                      counts={_code(key): value for key, value in counts.items()}, invited=invited)


async def sample_makeup(*, survey_id: int) -> dict[str, list[MakeupRow]]:
    """The drawn sample's make-up by district, size and ownership against the register's
    (the frame columns repeat the register: the frame itself is not kept after the draw)."""
    rows = await SurveySample.filter(survey_id=survey_id).values_list(
        "enterprise_id", "enterprise__district", "enterprise__size_class", "enterprise__ownership")
    register = await _register_counts()
    sample_rows = [(i, _code(d), _code(s), _code(o)) for i, d, s, o in rows]
    result: dict[str, list[MakeupRow]] = {}
    register_total = sum(register["district"].values()) or 1
    sample_total = len(sample_rows) or 1
    for position, name in enumerate(STRATA_VARIABLES, start=1):
        in_sample = Counter(row[position] for row in sample_rows)
        result[name] = [
            MakeupRow(code=member.value, label=member.label, register=register[name][member.value],
                      frame=register[name][member.value], sample=in_sample[member.value],
                      register_share=register[name][member.value] / register_total,
                      frame_share=register[name][member.value] / register_total,
                      sample_share=in_sample[member.value] / sample_total)
            for member in _ENUMS[name]
            if register[name][member.value] or in_sample[member.value]
        ]
    return result
