"""Approval-service usage (办件记录): the frame of a department-service survey.

The approval system exports its finished cases; staff import the export here (admin upload
or `qiyun import-service-uses FILE`), and a survey of "enterprises that used service X in
period P" samples from them (`app.survey.sampling`, frame `service_use`).

* **Format.** CSV (UTF-8 or GB18030) or XLSX with Chinese headers: 统一社会信用代码,
  事项编码, 事项名称, 办理部门 (optional: an organisation's name, short name or code),
  办结时间 (a date or a date and time, Shanghai time), 办件编号 (the case number).
* **All or nothing.** Every row is checked first; each bad row is named with its line (the
  header is line 1) and the reasons; only a file without a bad row is written, in one
  transaction.
* **Idempotent.** One row per case number (`ServiceUse.external_id`): a case sent again —
  in the same file or a later one — changes nothing and is counted as unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from tortoise.functions import Count, Max, Min
from tortoise.transactions import in_transaction

from app.audit import service as audit
from app.enterprise.models import Enterprise
from app.enterprise.register_import import (  # the register's reading of spreadsheets, shared
    Column,
    _excel_date,
    _FileRejected,
    _open_sheet,
    _parse_date_text,
    _present,
    _text,
    column_positions,
)
from app.organisation.models import Organisation
from app.staff.models import Staff, StaffRole
from app.staff.scope import can
from app.survey.models import ServiceUse

__all__ = [
    "IMPORT_HEADERS",
    "ImportReport",
    "RejectedRow",
    "ServiceSummary",
    "import_service_uses",
    "list_services",
    "write_template",
]

SHANGHAI = ZoneInfo("Asia/Shanghai")
COLUMNS: tuple[Column, ...] = (
    Column("credit_code", "统一社会信用代码", True, ("社会信用代码", "信用代码")),
    Column("service_code", "事项编码", True, ("办理事项编码", "事项代码")),
    Column("service_name", "事项名称", True, ("办理事项", "事项")),
    Column("organisation", "办理部门", False, ("受理部门", "办理单位")),
    Column("completed_at", "办结时间", True, ("办结日期", "完成时间")),
    Column("external_id", "办件编号", True, ("办件号", "申办编号", "受理编号")),
)
IMPORT_HEADERS: tuple[str, ...] = tuple(column.header for column in COLUMNS)
LIMITS = {"service_code": 64, "service_name": 200, "external_id": 100}
_DATETIME = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?")
_BATCH = 1000
_CHUNK = 500


@dataclass(frozen=True)
class RejectedRow:
    line: int
    """As the spreadsheet shows it: the header is line 1."""
    external_id: str
    reason: str


@dataclass
class ImportReport:
    total: int = 0
    """Data rows read (blank rows not counted)."""
    created: int = 0
    unchanged: int = 0
    """Cases already known (a resend), or repeated within the file."""
    rejected: list[RejectedRow] = field(default_factory=list)

    @property
    def imported(self) -> bool:
        return not self.rejected


@dataclass(frozen=True)
class _Case:
    line: int
    credit_code: str
    service_code: str
    service_name: str
    organisation_id: int | None
    completed_at: datetime
    external_id: str


async def import_service_uses(
    *, staff: Staff | None, path: Path | None = None, rows: Sequence[Mapping[str, Any]] | None = None,
    source: str = "import",
) -> ImportReport:
    """Import the cases in the spreadsheet at `path` (or `rows`: dicts keyed by the Chinese
    headers, as a partner system sends them), all or nothing; the report names every
    rejected row. `staff` None is the system (the command line)."""
    if (path is None) == (rows is None):
        raise ValueError("import_service_uses: pass exactly one of path, rows")
    report = ImportReport()
    if staff is not None and not can(staff, "survey.manage"):
        report.rejected.append(RejectedRow(1, "", f"您的角色（{StaffRole(staff.role).label}）无权导入办件记录"))
        return report
    organisations = await _organisation_lookup()
    cases: list[_Case] = []
    try:
        if path is not None:
            with _open_sheet(Path(path)) as sheet:
                _read(sheet.header, sheet.header_line, sheet.rows, organisations, report, cases)
        else:
            header = list(IMPORT_HEADERS)
            numbered = ((line, [row.get(name) for name in header]) for line, row in enumerate(rows or (), start=2))
            _read(header, 1, numbered, organisations, report, cases)
    except _FileRejected as rejected:
        return ImportReport(rejected=[RejectedRow(rejected.line, "", rejected.reason)])

    enterprises = await _enterprise_ids({case.credit_code for case in cases})
    for case in cases:
        if case.credit_code not in enterprises:
            report.rejected.append(RejectedRow(case.line, case.external_id,
                                               f"法人库中没有统一社会信用代码为「{case.credit_code}」的企业"))
    if report.rejected:
        report.rejected.sort(key=lambda row: row.line)
        return report
    known = await _known_external_ids([case.external_id for case in cases])
    new = [case for case in cases if case.external_id not in known]
    report.unchanged += len(cases) - len(new)
    async with in_transaction() as connection:
        objects = [
            ServiceUse(enterprise_id=enterprises[case.credit_code], service_code=case.service_code,
                       service_name=case.service_name, organisation_id=case.organisation_id,
                       completed_at=case.completed_at, external_id=case.external_id, source=source)
            for case in new
        ]
        for start in range(0, len(objects), _BATCH):
            await ServiceUse.bulk_create(objects[start : start + _BATCH], using_db=connection)
        if staff is not None:
            await audit.record(staff=staff, action="survey.service_uses", target_type="service_use", target_id="",
                               detail={"rows": report.total, "created": len(new), "unchanged": report.unchanged})
    report.created = len(new)
    return report


def _read(header, header_line, numbered, organisations, report: ImportReport, cases: list[_Case]) -> None:
    positions = column_positions(list(header), COLUMNS, header_line=header_line)
    seen: dict[str, tuple[int, tuple]] = {}
    for line, cells in numbered:
        if not any(_present(cell) for cell in cells):
            continue
        report.total += 1
        case, errors = _parse(line, cells, positions, organisations)
        external_id = case.external_id if case else _text(_cell(cells, positions, "external_id"))
        if case is not None:
            content = (case.credit_code, case.service_code, case.completed_at)
            if case.external_id in seen:
                first_line, first_content = seen[case.external_id]
                if first_content != content:
                    errors.append(f"办件编号「{case.external_id}」与第{first_line}行重复，但内容不同")
                else:
                    report.unchanged += 1
                    continue
            else:
                seen[case.external_id] = (line, content)
        if errors:
            report.rejected.append(RejectedRow(line, external_id, "；".join(errors)))
        elif case is not None:
            cases.append(case)


def _cell(cells: list[Any], positions: dict[str, int], name: str) -> Any:
    index = positions.get(name)
    return cells[index] if index is not None and index < len(cells) else None


def _parse(line: int, cells: list[Any], positions: dict[str, int],
           organisations: dict[str, Organisation]) -> tuple[_Case | None, list[str]]:
    errors: list[str] = []
    values: dict[str, str] = {}
    for name, header in (("credit_code", "统一社会信用代码"), ("service_code", "事项编码"), ("service_name", "事项名称"),
                         ("external_id", "办件编号")):
        text = _text(_cell(cells, positions, name))
        if not text:
            errors.append(f"{header}不能为空")
        elif name in LIMITS and len(text) > LIMITS[name]:
            errors.append(f"{header}过长：最多{LIMITS[name]}个字符")
        values[name] = text
    values["credit_code"] = values["credit_code"].upper().replace(" ", "")
    organisation_id = None
    organisation_text = _text(_cell(cells, positions, "organisation"))
    if organisation_text:
        organisation = organisations.get(_compact(organisation_text))
        if organisation is None:
            errors.append(f"办理部门「{organisation_text}」不在组织机构中（请填写部门全称、简称，或留空）")
        else:
            organisation_id = organisation.id
    completed_at = _moment(_cell(cells, positions, "completed_at"))
    if completed_at is None:
        raw = _text(_cell(cells, positions, "completed_at"))
        errors.append("办结时间不能为空" if not raw else f"办结时间「{raw}」无法识别（例：2026-03-05 或 2026-03-05 14:30）")
    elif completed_at > datetime.now(UTC):
        errors.append("办结时间晚于现在")
    if errors:
        return None, errors
    return _Case(line=line, credit_code=values["credit_code"], service_code=values["service_code"],
                 service_name=values["service_name"], organisation_id=organisation_id, completed_at=completed_at,
                 external_id=values["external_id"]), errors


def _moment(cell: Any) -> datetime | None:
    """A completion time, as exports write it: a workbook date or date-time, an Excel serial
    number, or text such as 2026-03-05, 2026/3/5 14:30, 2026年3月5日. Naive times are Shanghai's."""
    if cell is None or (isinstance(cell, str) and not cell.strip()):
        return None
    if isinstance(cell, datetime):
        return cell if cell.tzinfo else cell.replace(tzinfo=SHANGHAI)
    if isinstance(cell, date):
        return datetime.combine(cell, time.min, SHANGHAI)
    if isinstance(cell, (int, float)) and not isinstance(cell, bool):
        day = _excel_date(cell)
        if day is None:
            return None
        seconds = round((float(cell) - int(cell)) * 86400) if 10000 <= int(cell) <= 2958465 else 0
        return datetime.combine(day, time.min, SHANGHAI).replace(hour=seconds // 3600, minute=seconds % 3600 // 60)
    text = str(cell).strip()
    match = _DATETIME.fullmatch(text)
    if match:
        try:
            return datetime(int(match[1]), int(match[2]), int(match[3]), int(match[4] or 0), int(match[5] or 0),
                            int(match[6] or 0), tzinfo=SHANGHAI)
        except ValueError:
            return None
    day = _parse_date_text(text)
    return datetime.combine(day, time.min, SHANGHAI) if day else None


def _compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


async def _organisation_lookup() -> dict[str, Organisation]:
    lookup: dict[str, Organisation] = {}
    for organisation in await Organisation.filter(is_active=True):
        for spelling in (organisation.code, organisation.name, organisation.short_name):
            if spelling:
                lookup.setdefault(_compact(spelling), organisation)
    return lookup


async def _enterprise_ids(codes: set[str]) -> dict[str, int]:
    ordered = sorted(codes)
    found: dict[str, int] = {}
    for start in range(0, len(ordered), _CHUNK):
        pairs = await Enterprise.filter(credit_code__in=ordered[start : start + _CHUNK]).values_list("credit_code", "id")
        found.update(dict(pairs))
    return found


async def _known_external_ids(ids: list[str]) -> set[str]:
    known: set[str] = set()
    for start in range(0, len(ids), _CHUNK):
        known.update(await ServiceUse.filter(external_id__in=ids[start : start + _CHUNK]).values_list("external_id",
                                                                                                         flat=True))
    return known


# -- choosing a frame ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceSummary:
    """One approval service as staff choose it for a survey's frame."""

    service_code: str
    service_name: str
    uses: int
    enterprises: int
    first: datetime | None
    last: datetime | None


async def list_services(*, search: str = "") -> list[ServiceSummary]:
    """Every service with cases, most used first: its cases, distinct enterprises and period."""
    query = ServiceUse.all()
    search = search.strip()
    if search:
        query = query.filter(service_name__icontains=search) if not search.isascii() else \
            query.filter(service_code__icontains=search)
    grouped = await query.annotate(uses=Count("id"), enterprises=Count("enterprise_id", distinct=True),
                                   first=Min("completed_at"), last=Max("completed_at")).group_by(
        "service_code").values("service_code", "uses", "enterprises", "first", "last")
    names = dict(await query.order_by("completed_at").values_list("service_code", "service_name"))
    summaries = [
        ServiceSummary(service_code=row["service_code"], service_name=names.get(row["service_code"], ""),
                       uses=row["uses"], enterprises=row["enterprises"], first=_aware(row["first"]),
                       last=_aware(row["last"]))
        for row in grouped
    ]
    summaries.sort(key=lambda summary: (-summary.uses, summary.service_code))
    return summaries


def _aware(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=SHANGHAI)


def write_template(path: Path) -> None:
    """An empty import workbook with the headers and one example row."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "办件记录"
    sheet.append(list(IMPORT_HEADERS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.append(["91310115MA1H7XXXXX", "310115-KB-001", "企业开办", "浦东新区市场监督管理局", "2026-03-05 14:30",
                  "KB2026030500001"])
    for column, width in zip("ABCDEF", (22, 16, 24, 24, 18, 20), strict=True):
        sheet.column_dimensions[column].width = width
    book.save(path)
