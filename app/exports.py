"""Lists as XLSX: the one writer, the one masking rule and the one download response that
every "导出 Excel" link of the admin uses.

Why one place: an export is where personal data leaves the platform (the file travels by
e-mail and USB stick), so what is masked, how many rows a file may hold, how formula-like
text is neutralised and what the audit log keeps must not differ from list to list.

* **Columns** — a domain export describes its sheet as `Column`s (header, width, kind) and
  yields one row of plain values per item, in the list's order. The kind decides the cell:
  `phone` and `id_number` are masked unless the person may take them out unmasked;
  `datetime` is written in Shanghai time; anything else as it is.
* **Masking** — `may_unmask(staff)` is the whole policy: `can(staff, "export.unmasked")`
  (the city administrator). Seeing a full number on screen (`follower.phone`) does not
  carry over to a file: a file outlives the screen.
* **Size** — at most `ROW_CAP` rows; a longer list is cut, and the last line of the sheet
  says so (and the audit entry records it).
* **Audit** — `export_list` records `export.<kind>` with the filters and the row count,
  never the data.
* **Download** — `xlsx_response` names the file in Chinese (RFC 6266/5987: an ASCII
  `filename` for old clients, the UTF-8 name in `filename*`).
"""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell.cell import Cell, WriteOnlyCell  # noqa: F401 (Cell: the type text_cell returns)
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from sanic.response import HTTPResponse, raw

from app.audit import service as audit
from app.identity.service import mask_phone
from app.staff.models import Staff
from app.staff.scope import can

__all__ = [
    "EXPORT_KINDS",
    "ROW_CAP",
    "SHANGHAI",
    "UNMASK_PERMISSION",
    "XLSX",
    "Column",
    "Export",
    "content_disposition",
    "export_list",
    "formula_like",
    "mask_id_number",
    "may_unmask",
    "register_export",
    "text_cell",
    "today_text",
    "write_xlsx",
    "xlsx_response",
]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHANGHAI = ZoneInfo("Asia/Shanghai")
ROW_CAP = 100_000
"""Rows per file: a spreadsheet beyond this is not read, it is processed — by then the
person wants a report (`app.reporting`), and the admin's worker should not build it."""
UNMASK_PERMISSION = "export.unmasked"

EXPORT_KINDS: dict[str, str] = {}
"""kind -> Chinese name (the audit page's label 导出<name>); filled by `register_export`."""

_FORMULA_START = ("=", "+", "-", "@")
_BOLD = Font(bold=True)
_TITLE = Font(bold=True, size=14)
_HEADER_ALIGN = Alignment(vertical="center", wrap_text=True)
_DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
_DATE_FORMAT = "yyyy-mm-dd"
_ID_NUMBER = re.compile(r"^\d{17}[\dXx]$|^\d{15}$")


@dataclass(frozen=True)
class Column:
    header: str
    width: int = 14
    """In characters (a CJK character counts about two)."""
    kind: str = "text"
    """text | phone | id_number | datetime | date | number"""


@dataclass(frozen=True)
class Export:
    content: bytes
    filename: str
    """Chinese, ends in .xlsx"""
    rows: int
    """data rows written"""
    truncated: bool
    """the list had more than ROW_CAP rows"""
    unmasked: bool
    fallback: str = "export.xlsx"
    """ASCII name for old clients"""
    media_type: str = XLSX


@dataclass
class _Written:
    content: bytes
    rows: int
    truncated: bool
    extra: dict[str, Any] = field(default_factory=dict)


def register_export(kind: str, name: str) -> None:
    """Declare an export kind (e.g. "appeals", "诉求列表"): its audit action is export.<kind>."""
    EXPORT_KINDS[kind] = name


# -- masking -----------------------------------------------------------------------------------


def may_unmask(staff: Staff | None) -> bool:
    """Whether this person's files carry phone and ID numbers in full: the one rule."""
    return can(staff, UNMASK_PERMISSION)


def mask_id_number(value: str | None) -> str:
    """身份证号 `310101199001011234` -> `3101**********1234` (region kept, birth date hidden);
    anything shorter than 9 characters keeps only its last 2."""
    text = (value or "").strip()
    if not text:
        return ""
    if len(text) < 9:
        return "*" * max(0, len(text) - 2) + text[-2:]
    return text[:4] + "*" * (len(text) - 8) + text[-4:]


_MASKS = {"phone": mask_phone, "id_number": mask_id_number}


# -- cells -------------------------------------------------------------------------------------


def formula_like(value: Any) -> bool:
    """Text a spreadsheet would run as a formula (=, +, -, @ first): CSV/formula injection."""
    return isinstance(value, str) and value.startswith(_FORMULA_START)


def text_cell(sheet: Worksheet, value: str) -> Cell:
    """A cell that stays text whatever it starts with (openpyxl would store "=..." as a formula)."""
    cell = WriteOnlyCell(sheet, value=value)  # a plain Cell at A1; `append` places it, in either kind of sheet
    cell.data_type = "s"
    return cell


def _local(moment: datetime) -> datetime:
    """A naive Shanghai wall-clock time (XLSX has no time zones)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(SHANGHAI)
    return moment.replace(tzinfo=None)


def _cell(sheet: Any, column: Column, value: Any, *, unmasked: bool) -> Any:
    if value is None:
        return ""
    mask = _MASKS.get(column.kind)
    if mask is not None:
        value = str(value) if unmasked else mask(str(value))
    if isinstance(value, datetime):
        cell = WriteOnlyCell(sheet, value=_local(value))
        cell.number_format = _DATETIME_FORMAT
        return cell
    if isinstance(value, date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = _DATE_FORMAT
        return cell
    if hasattr(value, "label") and hasattr(value, "value"):  # a LabelledEnum: what the page shows
        value = value.label
    if isinstance(value, (list, tuple, set)):
        value = "、".join(str(v) for v in value)
    if formula_like(value):
        return text_cell(sheet, value)
    return value


# -- the writer --------------------------------------------------------------------------------


async def _each(rows: Iterable[Sequence[Any]] | AsyncIterable[Sequence[Any]]):
    if isinstance(rows, AsyncIterable):
        async for row in rows:
            yield row
    else:
        for row in rows:
            yield row


async def write_xlsx(
    *,
    sheet_title: str,
    columns: Sequence[Column],
    rows: Iterable[Sequence[Any]] | AsyncIterable[Sequence[Any]],
    unmasked: bool,
    cap: int = ROW_CAP,
    preamble: Sequence[str] = (),
) -> _Written:
    """One sheet: the preamble lines (the first is a title: bold, larger), the bold frozen
    header, then the rows (at most `cap`; a last line says when the list was cut). Streams
    (write-only workbook), so a list of 100,000 rows does not hold 100,000 cell objects."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=sheet_title[:31] or "Sheet1")
    for position, column in enumerate(columns, 1):
        sheet.column_dimensions[get_column_letter(position)].width = column.width
    sheet.freeze_panes = f"A{len(preamble) + 2}"
    for number, line in enumerate(preamble):
        cell = text_cell(sheet, line) if formula_like(line) else WriteOnlyCell(sheet, value=line)
        if number == 0:
            cell.font = _TITLE
        sheet.append([cell])
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=column.header)
        cell.font = _BOLD
        cell.alignment = _HEADER_ALIGN
        header.append(cell)
    sheet.append(header)
    written = 0
    truncated = False
    async for row in _each(rows):
        if written >= cap:
            truncated = True
            break
        sheet.append([_cell(sheet, column, value, unmasked=unmasked) for column, value in zip(columns, row)])
        written += 1
    if truncated:
        sheet.append([f"列表超过 {cap:,} 行，仅导出前 {cap:,} 行；请缩小筛选范围后分批导出。"])
    buffer = io.BytesIO()
    book.save(buffer)
    return _Written(buffer.getvalue(), written, truncated)


async def export_list(
    *,
    staff: Staff,
    kind: str,
    filters: Mapping[str, Any],
    filename: str,
    sheet_title: str,
    columns: Sequence[Column],
    rows: Iterable[Sequence[Any]] | AsyncIterable[Sequence[Any]],
    preamble: Sequence[str] = (),
    fallback: str = "",
    target_type: str = "",
    target_id: object = "",
    cap: int = ROW_CAP,
) -> Export:
    """Write the list as `staff` may take it out (masking by `may_unmask`) and audit it
    (export.<kind>, with the filters and the row count — not the data)."""
    unmasked = may_unmask(staff)
    written = await write_xlsx(sheet_title=sheet_title, columns=columns, rows=rows, unmasked=unmasked, cap=cap,
                               preamble=preamble)
    await audit.record(
        staff=staff, action=f"export.{kind}", target_type=target_type or kind, target_id=target_id,
        detail={"filters": {k: _plain(v) for k, v in filters.items() if v not in (None, "")},
                "rows": written.rows, "truncated": written.truncated, "unmasked": unmasked},
    )
    return Export(content=written.content, filename=filename, rows=written.rows, truncated=written.truncated,
                  unmasked=unmasked, fallback=fallback or f"{kind}.xlsx")


def _plain(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return getattr(value, "value", value)


# -- the download ------------------------------------------------------------------------------


def content_disposition(filename: str, *, fallback: str) -> str:
    """attachment; filename="<ascii>"; filename*=UTF-8''<percent-encoded UTF-8>"""
    ascii_name = re.sub(r'[^A-Za-z0-9._-]', "_", fallback) or "export.xlsx"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


def xlsx_response(export: Export) -> HTTPResponse:
    """The file as a download, named in Chinese (every export route returns this)."""
    return raw(export.content, content_type=export.media_type,
               headers={"Content-Disposition": content_disposition(export.filename, fallback=export.fallback),
                        "Cache-Control": "no-store"})


def today_text() -> str:
    """For file names: 20261203."""
    return datetime.now(SHANGHAI).strftime("%Y%m%d")
