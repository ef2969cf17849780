"""Importing policies in bulk from a spreadsheet (XLSX or CSV) with Chinese column headers.

Departments keep their policies in spreadsheets; the knowledge base takes them as they are
(Chinese headers, dates as Excel dates or text, lists separated by 、 or ；) and is strict
about what it stores. An import is all or nothing: every row is checked first, every bad
row is named with its line and reason, and only a file with no bad row is written, in one
transaction, through the same service as the editor (`app.policy.service`), so an imported
policy passes exactly the checks a typed one does and its history says it was imported.

Imported policies are drafts, to be reviewed as usual; with `publish=True` they are
published at once, which only the system (the command line) or a city administrator may
ask for (see the four-eyes rule in `app.policy.lifecycle`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import Enum
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from tortoise.transactions import in_transaction

from app.enterprise import industry
from app.enterprise.register_import import (  # the register's reading of spreadsheets, shared
    _DISTRICTS,
    _OWNERSHIPS,
    _SIZES,
    _STAGES,
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
from app.policy.errors import PolicyError
from app.policy.models import Policy, PolicyStatus, SupportType
from app.policy.service import PolicyInput, check_input, create_policy, publish_now
from app.policy.targeting import Targeting
from app.staff.models import Staff, StaffRole
from app.staff.scope import can

__all__ = ["IMPORT_HEADERS", "PolicyImportReport", "RejectedPolicyRow", "import_policies", "write_import_template"]


COLUMNS: tuple[Column, ...] = (
    Column("title", "标题", True, ("政策名称", "政策标题", "名称")),
    Column("doc_number", "文号", False, ("发文字号", "文件编号")),
    Column("issuers", "发文单位", False, ("发文机关", "发布单位", "发文部门")),
    Column("publish_date", "发布日期", False, ("发文日期", "印发日期")),
    Column("effective_date", "生效日期", False, ("施行日期", "实施日期")),
    Column("expiry_date", "失效日期", False, ("有效期至", "截止有效期")),
    Column("summary", "摘要", False, ("政策摘要", "内容摘要")),
    Column("body", "正文", False, ("政策原文", "全文", "政策内容")),
    Column("support_type", "支持方式", True, ("扶持方式", "支持类型")),
    Column("amount_min", "最低金额(万元)", False, ("最低金额",)),
    Column("amount_max", "最高金额(万元)", False, ("最高金额", "支持金额(万元)")),
    Column("apply_start", "申报开始", False, ("申报开始日期", "受理开始")),
    Column("apply_end", "申报截止", False, ("申报截止日期", "申报结束", "受理截止")),
    Column("apply_where", "申报地点", False, ("申报方式", "受理地点", "办理地点")),
    Column("contact", "联系方式", False, ("咨询电话", "联系电话")),
    Column("districts", "适用区", False, ("适用区域", "所属区")),
    Column("industries", "适用行业", False, ("行业",)),
    Column("size_classes", "企业规模", False, ("规模",)),
    Column("ownerships", "所有制", False, ("经济类型",)),
    Column("lifecycle_stages", "生命周期", False, ("生命周期阶段",)),
    Column("min_years", "成立年限下限(年)", False, ("成立满(年)", "成立年限不少于(年)")),
    Column("max_years", "成立年限上限(年)", False, ("成立年限以内(年)", "成立年限不超过(年)")),
    Column("min_capital", "注册资本下限(万元)", False, ("注册资本不低于(万元)",)),
    Column("max_capital", "注册资本上限(万元)", False, ("注册资本不超过(万元)",)),
    Column("tags", "企业标签", False, ("标签",)),
)
IMPORT_HEADERS: tuple[str, ...] = tuple(column.header for column in COLUMNS)

LIST_SEPARATORS = re.compile(r"[、；;,，|｜\n]+")
# Industry names contain 、 themselves ("信息传输、软件和信息技术服务业"), so they are replaced by their codes before splitting.
_INDUSTRY_NAMES = sorted(
    [(name, code) for code, name in industry.SECTIONS.items()] + [(name, code) for code, name in industry.DIVISIONS.items()],
    key=lambda pair: -len(pair[0]),
)
_NO_RESTRICTION = {"不限", "全部", "全市", "所有", "无", "-", "—"}
_SUPPORT_TYPES: dict[str, SupportType] = {}
for _member in SupportType:
    for _spelling in (_member.value, _member.label, _member.name):
        _SUPPORT_TYPES[_spelling] = _member
_SUPPORT_TYPES.update({"资金扶持": SupportType.subsidy, "资金支持": SupportType.subsidy, "补贴": SupportType.subsidy,
                       "奖励": SupportType.subsidy, "税收减免": SupportType.tax, "融资": SupportType.financing,
                       "人才": SupportType.talent, "场地": SupportType.premises})  # fmt: skip


@dataclass(frozen=True)
class RejectedPolicyRow:
    line: int
    """As the spreadsheet shows it: the header is line 1."""
    title: str
    reason: str


@dataclass
class PolicyImportReport:
    total: int = 0
    """Data rows read (blank rows not counted)."""
    policy_ids: list[int] = field(default_factory=list)
    """The policies created, in file order (empty unless the whole file was imported)."""
    published: bool = False
    rejected: list[RejectedPolicyRow] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return len(self.policy_ids)


async def import_policies(*, path: Path, staff: Staff | None, publish: bool = False) -> PolicyImportReport:
    """Import every policy in the spreadsheet at `path` as a draft (published with `publish`), or
    none of them: the report names each rejected row (or line 1 for a problem with the file).

    `staff` None is the system (the command line): it may publish directly. A staff member
    needs the policy-editing permission, and to publish directly must be a city administrator."""
    report = PolicyImportReport(published=publish)
    if staff is not None:
        refusal = _staff_refusal(staff, publish=publish)
        if refusal:
            report.rejected.append(RejectedPolicyRow(line=1, title="", reason=refusal))
            return report
    organisations = await _organisation_lookup()
    inputs: list[tuple[int, PolicyInput]] = []
    try:
        with _open_sheet(Path(path)) as sheet:
            parser = _RowParser(sheet.header, header_line=sheet.header_line, organisations=organisations)
            first_seen: dict[tuple[str, str], int] = {}
            for line, cells in sheet.rows:
                if not any(_present(cell) for cell in cells):
                    continue
                report.total += 1
                title, result = parser.parse(cells)
                if isinstance(result, PolicyInput):
                    key = (result.title, result.doc_number)
                    if key in first_seen:
                        result = [f"与第{first_seen[key]}行的标题和文号相同"]
                    else:
                        first_seen[key] = line
                if isinstance(result, list):
                    report.rejected.append(RejectedPolicyRow(line=line, title=title, reason="；".join(result)))
                else:
                    inputs.append((line, result))
    except _FileRejected as rejected:
        return PolicyImportReport(total=0, published=publish, rejected=[RejectedPolicyRow(rejected.line, "", rejected.reason)])

    for line, data in inputs:
        existing = await Policy.filter(title=data.title, doc_number=data.doc_number).exclude(
            status=PolicyStatus.withdrawn
        ).first()
        if existing is not None:
            report.rejected.append(
                RejectedPolicyRow(
                    line=line,
                    title=data.title,
                    reason=f"知识库中已有同标题同文号的政策（#{existing.id}，{PolicyStatus(existing.status).label}）",
                )
            )
    if report.rejected or not inputs:
        report.rejected.sort(key=lambda row: row.line)
        return report

    created: list[int] = []
    try:
        async with in_transaction():
            for line, data in inputs:
                try:
                    policy = await create_policy(staff=staff, data=data, source="import")
                    if publish:
                        await publish_now(staff=staff, policy_id=policy.id, note="批量导入后直接发布")
                except PolicyError as exc:
                    # Checked above, but publishing can still refuse (e.g. an expiry date already past):
                    # name the row and roll back the whole file.
                    raise _RowFailed(RejectedPolicyRow(line=line, title=data.title, reason=exc.message)) from None
                created.append(policy.id)
    except _RowFailed as failed:
        report.rejected.append(failed.row)
        return report
    report.policy_ids = created
    return report


class _RowFailed(Exception):
    def __init__(self, row: RejectedPolicyRow) -> None:
        super().__init__(row.reason)
        self.row = row


def _staff_refusal(staff: Staff, *, publish: bool) -> str:
    if not can(staff, "policy.edit"):
        return f"您的角色（{StaffRole(staff.role).label}）无权导入政策"
    if publish and StaffRole(staff.role) is not StaffRole.city_admin:
        return "只有市级管理员可以在导入时直接发布（发布须经提交人以外的人审核）：请导入为草稿，再提交审核"
    return ""


async def _organisation_lookup() -> dict[str, Organisation]:
    lookup: dict[str, Organisation] = {}
    for organisation in await Organisation.filter(is_active=True):
        for spelling in (organisation.code, organisation.name, organisation.short_name):
            if spelling:
                lookup.setdefault(_compact(spelling), organisation)
    return lookup


def _compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


class _RowParser:
    """Turns the cells of one row into a `PolicyInput`, or the list of everything wrong with it."""

    def __init__(self, header: list[Any], *, header_line: int, organisations: dict[str, Organisation]) -> None:
        self.positions = column_positions(header, COLUMNS, header_line=header_line)
        self.organisations = organisations
        self.headers = {column.field: column.header for column in COLUMNS}

    def parse(self, cells: list[Any]) -> tuple[str, PolicyInput | list[str]]:
        errors: list[str] = []

        def cell(name: str) -> Any:
            index = self.positions.get(name)
            return cells[index] if index is not None and index < len(cells) else None

        title = _text(cell("title"))
        if not title:
            errors.append("标题不能为空")
        support_text = _text(cell("support_type"))
        support = _SUPPORT_TYPES.get(support_text)
        if not support_text:
            errors.append("支持方式为空")
        elif support is None:
            errors.append(f"支持方式「{support_text}」不是可用的值（可用：{'、'.join(m.label for m in SupportType)}）")
        values: dict[str, Any] = {
            "title": title,
            "doc_number": _text(cell("doc_number")),
            "summary": _text(cell("summary")),
            "body": _text(cell("body")),
            "apply_where": _text(cell("apply_where")),
            "contact": _text(cell("contact")),
            "issuing_organisation_ids": self._organisations(cell("issuers"), errors),
        }
        for name in ("publish_date", "effective_date", "expiry_date", "apply_start", "apply_end"):
            values[name] = self._date(name, cell(name), errors)
        values["amount_min"] = self._decimal("amount_min", cell("amount_min"), errors)
        values["amount_max"] = self._decimal("amount_max", cell("amount_max"), errors)
        sections, divisions = self._industries(cell("industries"), errors)
        targeting = {
            "districts": self._choices("districts", cell("districts"), _DISTRICTS, errors),
            "industry_sections": sections,
            "industry_divisions": divisions,
            "size_classes": self._choices("size_classes", cell("size_classes"), _SIZES, errors),
            "ownerships": self._choices("ownerships", cell("ownerships"), _OWNERSHIPS, errors),
            "lifecycle_stages": self._choices("lifecycle_stages", cell("lifecycle_stages"), _STAGES, errors),
            "min_years_established": self._years("min_years", cell("min_years"), errors),
            "max_years_established": self._years("max_years", cell("max_years"), errors),
            "min_registered_capital": self._decimal("min_capital", cell("min_capital"), errors),
            "max_registered_capital": self._decimal("max_capital", cell("max_capital"), errors),
            "tags": [] if _unrestricted(_text(cell("tags"))) else LIST_SEPARATORS.split(_text(cell("tags"))),
        }
        if errors:
            return title, errors
        try:
            data = PolicyInput(**values, support_type=support, targeting=Targeting(**targeting))
            return title, check_input(data)
        except ValidationError as exc:
            return title, [_pydantic_message(error) for error in exc.errors()]
        except PolicyError as exc:
            return title, [exc.message]

    def _organisations(self, value: Any, errors: list[str]) -> list[int]:
        ids = []
        for name in _split(_text(value)):
            organisation = self.organisations.get(_compact(name))
            if organisation is None:
                errors.append(f"发文单位「{name}」不在组织机构中（请用全称或简称，如“上海市科学技术委员会”或“市科委”）")
            else:
                ids.append(organisation.id)
        return ids

    def _date(self, name: str, value: Any, errors: list[str]) -> date | None:
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            parsed = _excel_date(value)
        else:
            text = _text(value)
            if not text:
                return None
            parsed = _parse_date_text(text)
        if parsed is None:
            errors.append(f"{self.headers[name]}「{_text(value)}」不是有效日期（格式应为 YYYY-MM-DD、YYYY/MM/DD 或 YYYYMMDD）")
        return parsed

    def _decimal(self, name: str, value: Any, errors: list[str]) -> Decimal | None:
        if isinstance(value, bool):
            value = str(value)
        if isinstance(value, (int, float)):
            return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        text = _text(value)
        if not text:
            return None
        cleaned = re.sub(r"[,，\s]", "", text).removesuffix("万元").removesuffix("万")
        try:
            amount = Decimal(cleaned)
        except InvalidOperation:
            amount = Decimal("NaN")
        if not amount.is_finite():
            errors.append(f"{self.headers[name]}「{text}」不是数字（单位为万元，如 50 或 12.5）")
            return None
        return amount

    def _years(self, name: str, value: Any, errors: list[str]) -> int | None:
        text = _text(value).removesuffix("年")
        if not text:
            return None
        if not text.isdigit():
            errors.append(f"{self.headers[name]}「{_text(value)}」应为整数年数")
            return None
        return int(text)

    def _choices(self, name: str, value: Any, table: dict[str, Enum], errors: list[str]) -> list[Any]:
        text = _text(value)
        if _unrestricted(text):
            return []
        members = []
        for part in _split(text):
            member = table.get(part) or table.get(_compact(part))
            if member is None:
                labels = "、".join(item.label for item in dict.fromkeys(table.values()))
                errors.append(f"{self.headers[name]}「{part}」不是可用的值（可用：{labels}，或“不限”）")
            else:
                members.append(member)
        return members

    def _industries(self, value: Any, errors: list[str]) -> tuple[list[str], list[str]]:
        text = _text(value)
        if _unrestricted(text):
            return [], []
        for name, code in _INDUSTRY_NAMES:
            text = text.replace(name, code)
        sections, divisions = [], []
        for part in _split(text):
            token = part.replace(" ", "")
            if len(token) == 1 and industry.is_section(token.upper()):
                sections.append(token.upper())
            elif token.isdigit() and industry.is_division(token.zfill(2)):
                divisions.append(token.zfill(2))
            elif len(token) > 1 and industry.is_section(token[0].upper()) and token[1:].isdigit() and industry.is_division(token[1:].zfill(2)):
                divisions.append(token[1:].zfill(2))  # "I65": a division written with its section
            else:
                errors.append(
                    f"适用行业「{part}」不是 GB/T 4754-2017 的门类或大类（用门类字母如 I、大类代码如 65，或其名称）"
                )
        return sections, divisions


def _split(text: str) -> list[str]:
    return [part.strip() for part in LIST_SEPARATORS.split(text) if part.strip()]


def _unrestricted(text: str) -> bool:
    return not text or text in _NO_RESTRICTION


def _pydantic_message(error: dict[str, Any]) -> str:
    message = str(error.get("msg", "")).removeprefix("Value error, ")
    location = ".".join(str(part) for part in error.get("loc", ()))
    return message if location in ("", "targeting") or not message.isascii() else f"{location}: {message}"


def write_import_template(path: Path) -> None:
    """An XLSX with the import headers and one example row, for staff to fill in."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "政策导入"
    sheet.append(list(IMPORT_HEADERS))
    example = {
        "标题": "关于支持科技型小微企业研发投入的若干措施",
        "文号": "沪科规〔2025〕1号",
        "发文单位": "市科委、市财政局",
        "发布日期": date(2025, 1, 15),
        "生效日期": date(2025, 2, 1),
        "失效日期": date(2027, 12, 31),
        "摘要": "对科技型小微企业上年度研发投入给予最高50万元补贴。",
        "正文": "",
        "支持方式": "资金补贴",
        "最低金额(万元)": 5,
        "最高金额(万元)": 50,
        "申报开始": date(2025, 3, 1),
        "申报截止": date(2025, 4, 30),
        "申报地点": "“一网通办”企业专属网页",
        "联系方式": "021-12345678",
        "适用区": "浦东新区",
        "适用行业": "I、M",
        "企业规模": "小型、微型",
        "所有制": "不限",
        "生命周期": "不限",
        "企业标签": "",
    }
    sheet.append([example.get(header, "") for header in IMPORT_HEADERS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for column in sheet.columns:
        sheet.column_dimensions[column[0].column_letter].width = max(12, len(str(column[0].value)) * 2 + 2)
    sheet.freeze_panes = "A2"
    workbook.save(Path(path))
