"""Importing the legal-person register (法人库) from a CSV or XLSX export.

Staff refresh the register from exports of other systems, so the importer accepts what
such exports look like (Chinese or English headers, UTF-8 or GB18030 text, Excel cells)
and is strict about what it stores: every row is checked in full before anything is
written, each bad row is named with its line and a reason staff can act on, and the good
rows are written in one transaction (see `app.enterprise.service.upsert_enterprises`), so
an import is never half done.
"""

from __future__ import annotations

import asyncio
import codecs
import csv
import re
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import Enum
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from app.enterprise import credit_code as credit_codes
from app.enterprise import industry
from app.enterprise.reference import District, LifecycleStage, Ownership, SizeClass
from app.enterprise.service import EnterpriseRecord, upsert_enterprises

Cell = Any  # str from CSV; str, int, float, bool, date, datetime, time or timedelta from a workbook


@dataclass(frozen=True)
class Column:
    field: str
    header: str
    required: bool
    aliases: tuple[str, ...] = ()


COLUMNS: tuple[Column, ...] = (
    Column("credit_code", "统一社会信用代码", True, ("社会信用代码", "信用代码")),
    Column("name", "企业名称", True, ("名称", "单位名称")),
    Column("legal_representative", "法定代表人", True, ("法定代表人姓名", "法人代表", "负责人", "经营者")),
    Column("district", "所属区", True, ("所属区县", "所属行政区", "区")),
    Column("industry_section", "行业门类", False, ("门类",)),
    Column("industry_division", "行业大类", True, ("大类",)),
    Column("size_class", "企业规模", True, ("规模",)),
    Column("ownership", "经济类型", True, ("所有制",)),
    Column("registered_capital", "注册资本(万元)", True, ("注册资本",)),
    Column("established_on", "成立日期", True),
    Column("lifecycle_stage", "生命周期", False, ("生命周期阶段",)),
    Column("tags", "标签", False),
    Column("address", "地址", False, ("注册地址", "住所")),
    Column("contact_phone", "联系电话", False, ("电话",)),
)
"""The import format, in the order exports (and `app.enterprise.synthetic`) write it. A missing
行业门类 is taken from the 大类; a missing 生命周期 from the age (see `lifecycle_for_age`)."""

REGISTER_HEADERS: tuple[str, ...] = tuple(column.header for column in COLUMNS)

TAG_SEPARATORS = re.compile(r"[；;,，、|｜]")
MAX_CAPITAL = Decimal("99999999999999.99")  # DecimalField(max_digits=16, decimal_places=2)
EARLIEST_DATE = date(1900, 1, 1)
SHANGHAI = ZoneInfo("Asia/Shanghai")
_CENT = Decimal("0.01")
_EXCEL_EPOCH = date(1899, 12, 30)
_YIELD_EVERY = 2000


@dataclass(frozen=True)
class RejectedRow:
    line: int
    """As a person sees the file: the header is line 1 (the row number in a spreadsheet)."""
    credit_code: str
    reason: str


@dataclass
class ImportReport:
    total: int = 0
    """Data rows read (blank rows not counted)."""
    created: int = 0
    updated: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return self.created + self.updated


async def import_register(
    *,
    path: Path,
    progress: Callable[[int, int], None] | None = None,
    batch_size: int = 2000,
    strict: bool = False,
) -> ImportReport:
    """Import (insert or update by credit code) the register export at `path`, CSV or XLSX.

    Every row is validated before anything is written; rejected rows are reported and the
    others imported in one transaction, so a database error imports nothing. With `strict`,
    one rejected row imports nothing. Problems with the file as a whole (no header, missing
    columns, unreadable workbook) come back as a rejection of line 1 with nothing imported.

    `progress(done, total)` is in rows, each counting half when validated and half when written
    (or skipped as rejected), so `done` reaches `total` when the import is complete; `total` is
    an estimate from the file's size until validation is done."""
    report = ImportReport()
    records: list[EnterpriseRecord] = []
    try:
        with _open_sheet(Path(path)) as sheet:
            parser = _RowParser(sheet.header, header_line=sheet.header_line)
            estimate = max(sheet.estimated_rows, 1)
            first_seen: dict[str, int] = {}
            for line, cells in sheet.rows:
                if not cells or not (cells[0] or any(_present(cell) for cell in cells)):
                    continue  # blank rows, as exports and spreadsheets leave them
                report.total += 1
                code, result = parser.parse(cells)
                if code and code in first_seen:
                    # Even if the earlier row was itself rejected: which of the two is right is for staff to say.
                    reason = f"统一社会信用代码「{code}」与第{first_seen[code]}行重复"
                    result = [reason, *result] if isinstance(result, list) else [reason]
                elif code:
                    first_seen[code] = line
                if isinstance(result, list):
                    report.rejected.append(RejectedRow(line=line, credit_code=code or parser.raw_code(cells), reason="；".join(result)))
                else:
                    records.append(result)
                if report.total % _YIELD_EVERY == 0:
                    if progress is not None:
                        progress(report.total // 2, max(estimate, report.total))
                    await asyncio.sleep(0)  # validation is CPU work: let the server breathe
    except _FileRejected as rejected:
        return ImportReport(total=0, rejected=[RejectedRow(line=rejected.line, credit_code="", reason=rejected.reason)])

    if strict and report.rejected:
        records.clear()
    # Half steps: every row validated, plus the rows that will not be written.
    steps = report.total + report.total - len(records)
    if progress is not None:
        progress(steps // 2, report.total)
    if records:

        def batch_written(count: int) -> None:
            nonlocal steps
            steps += count
            if progress is not None:
                progress(steps // 2, report.total)

        counts = await upsert_enterprises(records=records, batch_size=batch_size, progress=batch_written)
        report.created, report.updated = counts.created, counts.updated
    return report


def lifecycle_for_age(established_on: date, today: date) -> LifecycleStage:
    """The stage an export without one implies: under 3 years 初创, under 10 成长, else 壮大.
    Decline cannot be read from age alone, so it is only ever stated, never inferred."""
    years = (today - established_on).days / 365.25
    if years < 3:
        return LifecycleStage.startup
    if years < 10:
        return LifecycleStage.growth
    return LifecycleStage.expansion


# -- reading files ------------------------------------------------------------------------


class _FileRejected(Exception):
    def __init__(self, reason: str, line: int = 1) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line


@dataclass
class _Sheet:
    header: list[Cell]
    header_line: int
    rows: Iterator[tuple[int, list[Cell]]]
    estimated_rows: int


@contextmanager
def _open_sheet(path: Path) -> Iterator[_Sheet]:
    """The header and a stream of (line, cells) of the file, whatever its format: workbooks
    are recognised by content (a ZIP or OLE file), not by name, everything else is CSV."""
    with path.open("rb") as probe:
        magic = probe.read(8)
    opener = _workbook_sheet if magic.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")) else _csv_sheet
    with opener(path) as sheet:
        yield sheet


@contextmanager
def _workbook_sheet(path: Path) -> Iterator[_Sheet]:
    """The first worksheet. calamine reads the sheet natively; rows become Python lists one at a time."""
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except (CalamineError, OSError, ValueError) as exc:
        raise _FileRejected(f"无法读取 Excel 文件：{exc}") from None
    with workbook:
        try:
            sheet = workbook.get_sheet_by_index(0)
        except (CalamineError, ValueError) as exc:
            raise _FileRejected(f"无法读取 Excel 文件的第一个工作表：{exc}") from None
        height = sheet.end[0] + 1 if sheet.end else 0
        # Rows are numbered from the sheet's first row, as the spreadsheet shows them.
        rows = ((index, row) for index, row in enumerate(sheet.iter_rows(), start=1))
        header_line, header = _first_nonblank(rows)
        yield _Sheet(header=header, header_line=header_line, rows=rows, estimated_rows=height - header_line)


@contextmanager
def _csv_sheet(path: Path) -> Iterator[_Sheet]:
    encoding, lines = _sniff_encoding(path)
    with path.open(encoding=encoding, newline="") as handle:
        first = handle.readline()
        handle.seek(0)
        delimiter = max((",", "\t", ";"), key=first.count) if first else ","
        reader = csv.reader(handle, delimiter=delimiter)

        def numbered() -> Iterator[tuple[int, list[str]]]:
            previous = 0
            try:
                for cells in reader:
                    # csv counts physical lines: a quoted address with a line break spans two.
                    line, previous = previous + 1, reader.line_num
                    yield line, cells
            except csv.Error as exc:
                raise _FileRejected(f"第{reader.line_num}行 CSV 格式错误：{exc}", line=reader.line_num) from None

        rows = numbered()
        header_line, header = _first_nonblank(rows)
        yield _Sheet(header=header, header_line=header_line, rows=rows, estimated_rows=lines - header_line)


def _sniff_encoding(path: Path) -> tuple[str, int]:
    """UTF-8 (with or without BOM) if the whole file decodes as such, else GB18030 (a superset of
    GBK, which government systems export). Also counts lines, for progress before parsing."""
    decoders = {"utf-8-sig": codecs.getincrementaldecoder("utf-8")(), "gb18030": codecs.getincrementaldecoder("gb18030")()}
    failures: dict[str, int] = {}
    lines = 0
    last = b""
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            for name, decoder in decoders.items():
                if name not in failures:
                    try:
                        decoder.decode(chunk)
                    except UnicodeDecodeError as exc:
                        failures[name] = lines + chunk[: exc.start].count(b"\n") + 1
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    for name, decoder in decoders.items():
        if name not in failures:
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                failures[name] = lines + 1
    if last and last != b"\n":
        lines += 1
    for name in decoders:
        if name not in failures:
            return name, lines
    line = max(failures.values())  # the encoding that read further is the file's, spoilt from there
    raise _FileRejected(f"无法识别文件编码：第{line}行起既不是 UTF-8 也不是 GB18030/GBK 文本（请另存为 UTF-8 CSV）", line=line)


def _first_nonblank(rows: Iterator[tuple[int, list[Cell]]]) -> tuple[int, list[Cell]]:
    for line, cells in rows:
        if any(_present(cell) for cell in cells):
            return line, cells
    raise _FileRejected("文件是空的：没有表头行")


def _present(cell: Cell) -> bool:
    return cell is not None and (not isinstance(cell, str) or bool(cell.strip()))


def _text(cell: Cell) -> str:
    """A cell as text, as a person would read it in the spreadsheet."""
    if isinstance(cell, str):
        return cell.strip()
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, datetime):
        return cell.isoformat(sep=" ")
    if isinstance(cell, date):
        return cell.isoformat()
    return str(cell).strip()


def _normalise_header(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).lower()


# -- validating rows ----------------------------------------------------------------------


def _lookup(enum: type[Enum], extra: dict[str, Enum] | None = None, suffixes: tuple[str, ...] = ()) -> dict[str, Enum]:
    table: dict[str, Enum] = {}
    for member in enum:
        for spelling in (member.value, member.label, member.name):
            table[spelling] = member
            for suffix in suffixes:
                table[spelling + suffix] = member
    table.update(extra or {})
    return table


_DISTRICTS = _lookup(District)
for _district in District:
    _short = _district.label.removesuffix("区").removesuffix("新")
    _DISTRICTS.update({_short: _district, "上海市" + _district.label: _district, "上海" + _district.label: _district})
_SIZES = _lookup(SizeClass, {"个体": SizeClass.individual, "个体户": SizeClass.individual}, suffixes=("企业",))
_OWNERSHIPS = _lookup(
    Ownership,
    {
        "私营": Ownership.private,
        "私营企业": Ownership.private,
        "外商投资": Ownership.foreign,
        "外商投资企业": Ownership.foreign,
        "港澳台投资": Ownership.hmt,
        "港澳台商投资": Ownership.hmt,
        "港澳台商投资企业": Ownership.hmt,
        "中央企业": Ownership.central_soe,
        "中央国有企业": Ownership.central_soe,
        "地方国有企业": Ownership.local_soe,
    },
    suffixes=("企业",),
)
_STAGES = _lookup(LifecycleStage, suffixes=("期", "阶段"))

_DATE = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
_COMPACT_DATE = re.compile(r"\d{8}")
_PHONE = re.compile(
    r"(?:\+?86[- ]?)?1[3-9]\d{9}"  # mobile
    r"|(?:0\d{2,3}[- ]?)?[2-9]\d{6,7}(?:(?:-|转|#)\d{1,6})?"  # landline, optional area code and extension
    r"|[48]00[- ]?\d{3}[- ]?\d{4}"  # 400/800 service numbers
)
_LIMITS = {"name": 200, "legal_representative": 50, "address": 300, "contact_phone": 20}
_MAX_TAGS, _MAX_TAG_LENGTH = 20, 30


def column_positions(header: list[Cell], columns: tuple[Column, ...], *, header_line: int) -> dict[str, int]:
    """Where each known column stands in a header row (field -> index), matched by its header,
    field name or aliases as people spell them. Columns we do not know are ignored (other
    columns of an export are not ours to judge); a column twice or a required one missing
    rejects the file, naming the row and the columns."""
    by_name: dict[str, Column] = {}
    for column in columns:
        for spelling in (column.header, column.field, *column.aliases):
            by_name[_normalise_header(spelling)] = column
    positions: dict[str, int] = {}
    for index, cell in enumerate(header):
        column = by_name.get(_normalise_header(_text(cell)))
        if column is None:
            continue
        if column.field in positions:
            raise _FileRejected(
                f"表头第{header_line}行：列「{column.header}」出现了两次（第{positions[column.field] + 1}列和第{index + 1}列）",
                line=header_line,
            )
        positions[column.field] = index
    missing = [column.header for column in columns if column.required and column.field not in positions]
    if missing:
        known = "、".join(column.header for column in columns)
        raise _FileRejected(f"表头第{header_line}行缺少必需的列：{'、'.join(missing)}（可用的列：{known}）", line=header_line)
    return positions


class _RowParser:
    """Turns the cells of one row into an `EnterpriseRecord`, or into the list of everything wrong with it."""

    def __init__(self, header: list[Cell], *, header_line: int) -> None:
        self.positions = column_positions(header, COLUMNS, header_line=header_line)
        self.width = len(header)
        self.today = datetime.now(SHANGHAI).date()
        self._headers = {column.field: column.header for column in COLUMNS}

    def raw_code(self, cells: list[Cell]) -> str:
        index = self.positions["credit_code"]
        return _text(cells[index]) if index < len(cells) else ""

    def parse(self, cells: list[Cell]) -> tuple[str, EnterpriseRecord | list[str]]:
        """(the normalised credit code if it is valid else "", the record or the reasons)."""
        errors: list[str] = []
        positions = self.positions
        count = len(cells)

        def cell(name: str) -> Cell:
            index = positions.get(name)
            return cells[index] if index is not None and index < count else ""

        if count > self.width and any(_present(extra) for extra in cells[self.width :]):
            errors.append(
                f"本行有{count}列，表头只有{self.width}列（某个字段中的逗号或换行是否未加引号？）"
            )

        code = self._credit_code(cell("credit_code"), errors)
        name = self._required_text("name", cell("name"), errors)
        legal = self._required_text("legal_representative", cell("legal_representative"), errors)
        district = self._choice("district", cell("district"), _DISTRICTS, errors, required=True)
        section, division = self._industry(cell("industry_section"), cell("industry_division"), errors)
        size = self._choice("size_class", cell("size_class"), _SIZES, errors, required=True)
        ownership = self._choice("ownership", cell("ownership"), _OWNERSHIPS, errors, required=True)
        capital = self._capital(cell("registered_capital"), errors)
        established = self._date(cell("established_on"), errors)
        stage = self._choice("lifecycle_stage", cell("lifecycle_stage"), _STAGES, errors, required=False)
        tags = self._tags(cell("tags"), errors)
        address = self._optional_text("address", cell("address"), errors)
        phone = self._phone(cell("contact_phone"), errors)

        if errors:
            return code, errors
        if stage is None:
            stage = lifecycle_for_age(established, self.today)
        return code, EnterpriseRecord(
            credit_code=code,
            name=name,
            legal_representative=legal,
            district=district,
            industry_section=section,
            industry_division=division,
            size_class=size,
            ownership=ownership,
            registered_capital=capital,
            established_on=established,
            lifecycle_stage=stage,
            tags=tags,
            address=address,
            contact_phone=phone,
        )

    # Each field check appends its reasons to `errors` and returns the value (or a placeholder).

    def _credit_code(self, value: Cell, errors: list[str]) -> str:
        header = self._headers["credit_code"]
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            errors.append(f"{header}「{_text(value)}」在表格中被存成了数字，已丢失精度：请把该列设为文本格式后重新导出")
            return ""
        code = credit_codes.normalise(_text(value))
        if not code:
            errors.append(f"{header}为空")
            return ""
        try:
            credit_codes.validate(code)
        except credit_codes.InvalidCreditCode as exc:
            # "统一社会信用代码「…」应为18位…" rather than naming the column twice.
            errors.append(f"{header}「{code}」{exc.reason.removeprefix(header) if exc.reason.startswith(header) else '：' + exc.reason}")
            return ""
        return code

    def _required_text(self, name: str, value: Cell, errors: list[str]) -> str:
        text = _text(value)
        if not text:
            errors.append(f"{self._headers[name]}为空")
        elif len(text) > _LIMITS[name]:
            errors.append(f"{self._headers[name]}过长：{len(text)}个字符，最多{_LIMITS[name]}个")
        return text

    def _optional_text(self, name: str, value: Cell, errors: list[str]) -> str:
        text = _text(value)
        if len(text) > _LIMITS[name]:
            errors.append(f"{self._headers[name]}过长：{len(text)}个字符，最多{_LIMITS[name]}个")
        return text

    def _choice(self, name: str, value: Cell, table: dict[str, Enum], errors: list[str], *, required: bool) -> Any:
        text = _text(value)
        if not text:
            if required:
                errors.append(f"{self._headers[name]}为空")
            return None
        member = table.get(text)
        if member is None:
            member = table.get(re.sub(r"\s+", "", text))
        if member is None:
            labels = "、".join(member.label for member in dict.fromkeys(table.values()))
            errors.append(f"{self._headers[name]}「{text}」不是可用的值（可用：{labels}）")
        return member

    def _industry(self, section_cell: Cell, division_cell: Cell, errors: list[str]) -> tuple[str, str]:
        division_text = _text(division_cell)
        section_text = _text(section_cell)
        division = section = ""
        if not division_text:
            errors.append(f"{self._headers['industry_division']}为空")
        else:
            try:
                division = industry.parse_division(division_text)
            except industry.InvalidIndustry as exc:
                errors.append(str(exc))
        if section_text:
            try:
                section = industry.parse_section(section_text)
            except industry.InvalidIndustry as exc:
                errors.append(str(exc))
        if division and section:
            try:
                industry.check_division_in_section(section, division)
            except industry.InvalidIndustry as exc:
                errors.append(str(exc))
        elif division:
            section = industry.section_of(division)
        return section, division

    def _capital(self, value: Cell, errors: list[str]) -> Decimal:
        header = self._headers["registered_capital"]
        if isinstance(value, bool):
            value = str(value)
        if isinstance(value, (int, float)):
            amount = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
            shown = _text(value)
        else:
            shown = _text(value)
            if not shown:
                errors.append(f"{header}为空")
                return Decimal(0)
            cleaned = re.sub(r"[,，\s]", "", shown).removesuffix("万元").removesuffix("万")
            try:
                amount = Decimal(cleaned)
            except InvalidOperation:
                errors.append(f"{header}「{shown}」不是数字（单位为万元，如 500 或 1200.50）")
                return Decimal(0)
        if not amount.is_finite():
            errors.append(f"{header}「{shown}」不是数字（单位为万元，如 500 或 1200.50）")
            return Decimal(0)
        if amount < 0:
            errors.append(f"{header}「{shown}」不能为负数")
            return Decimal(0)
        amount = amount.quantize(_CENT, rounding=ROUND_HALF_UP)
        if amount > MAX_CAPITAL:
            errors.append(f"{header}「{shown}」超出上限（最多 {MAX_CAPITAL} 万元）")
        return amount

    def _date(self, value: Cell, errors: list[str]) -> date:
        header = self._headers["established_on"]
        parsed: date | None = None
        if isinstance(value, datetime):
            parsed = value.date()
        elif isinstance(value, date):
            parsed = value
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            parsed = _excel_date(value)
        else:
            text = _text(value)
            if not text:
                errors.append(f"{header}为空")
                return EARLIEST_DATE
            parsed = _parse_date_text(text)
        if parsed is not None and EARLIEST_DATE <= parsed <= self.today:
            return parsed
        shown = _text(value)
        if parsed is None:
            errors.append(f"{header}「{shown}」不是有效日期（格式应为 YYYY-MM-DD、YYYY/MM/DD 或 YYYYMMDD）")
            return EARLIEST_DATE
        if parsed > self.today:
            errors.append(f"{header}「{shown}」晚于今天（{self.today.isoformat()}）")
        elif parsed < EARLIEST_DATE:
            errors.append(f"{header}「{shown}」早于 {EARLIEST_DATE.isoformat()}，不可信")
        return parsed

    def _tags(self, value: Cell, errors: list[str]) -> tuple[str, ...]:
        text = _text(value)
        if not text:
            return ()
        tags = tuple(dict.fromkeys(tag for tag in (part.strip() for part in TAG_SEPARATORS.split(text)) if tag))
        header = self._headers["tags"]
        if len(tags) > _MAX_TAGS:
            errors.append(f"{header}过多：{len(tags)}个，最多{_MAX_TAGS}个")
        long = [tag for tag in tags if len(tag) > _MAX_TAG_LENGTH]
        if long:
            errors.append(f"{header}「{long[0]}」过长：{len(long[0])}个字符，最多{_MAX_TAG_LENGTH}个")
        return tags

    def _phone(self, value: Cell, errors: list[str]) -> str:
        text = _text(value)
        if not text:
            return ""
        compact = re.sub(r"[\s()（）]", "", text) if not _PHONE.fullmatch(text) else text
        if not _PHONE.fullmatch(compact):
            errors.append(
                f"{self._headers['contact_phone']}「{text}」格式不正确（应为手机号如 13812345678、"
                f"固定电话如 021-62345678 或 400/800 号码，只填一个号码）"
            )
        elif len(compact) > _LIMITS["contact_phone"]:
            errors.append(f"{self._headers['contact_phone']}「{text}」过长：最多{_LIMITS['contact_phone']}个字符")
        return compact


def _parse_date_text(text: str) -> date | None:
    try:
        if len(text) == 10 and text[4] == "-":
            return date.fromisoformat(text)  # the common case, fast
    except ValueError:
        return None
    match = _DATE.fullmatch(text)
    try:
        if match:
            return date(int(match[1]), int(match[2]), int(match[3]))
        if _COMPACT_DATE.fullmatch(text):
            return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None
    return None


def _excel_date(number: float) -> date | None:
    """A number in a date column: YYYYMMDD typed as a number, or an Excel serial date
    (days since 1899-12-30, the epoch that absorbs Lotus's 1900 leap-year bug)."""
    number = int(number)  # the fraction of a date-time serial is the time of day
    if 19000101 <= number <= 29991231:
        return _parse_date_text(str(number))
    if 10000 <= number <= 2958465:  # 1927-05-19 onwards: a four-digit number is a year, not a date
        return _EXCEL_EPOCH + timedelta(days=number)
    return None
