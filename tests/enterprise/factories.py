"""Test data for the enterprise register: valid credit codes and register rows.

Rows are dicts keyed by the import headers, valid unless a test overrides a field, so each
test states only what it is about.
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Iterable
from pathlib import Path

from app.enterprise.credit_code import CHARSET, compose
from app.enterprise.register_import import REGISTER_HEADERS

_serial = itertools.count(20_000_001)


def credit_code(serial: int | None = None, *, division: str = "310115") -> str:
    """A valid code of an enterprise registered in `division` (Pudong by default)."""
    return compose(division=division, body=f"{serial if serial is not None else next(_serial):08d}")


def with_wrong_check_character(code: str) -> str:
    return code[:-1] + next(char for char in CHARSET if char != code[-1])


def register_row(**overrides: str) -> dict[str, str]:
    """A valid row; override by header (`**{"成立日期": "2019/05/20"}`) or by field name
    (`name="…"`) for the columns tests touch most."""
    aliases = {"code": "统一社会信用代码", "name": "企业名称", "district": "所属区", "date": "成立日期"}
    row = {
        "统一社会信用代码": credit_code(),
        "企业名称": "上海测试信息科技有限公司",
        "法定代表人": "张三",
        "所属区": "浦东新区",
        "行业门类": "I",
        "行业大类": "65",
        "企业规模": "小型",
        "经济类型": "民营",
        "注册资本(万元)": "500",
        "成立日期": "2019-05-20",
        "生命周期": "成长",
        "标签": "高新技术企业；科技型中小企业",
        "地址": "上海市浦东新区张江路1号",
        "联系电话": "021-50001234",
    }
    for key, value in overrides.items():
        row[aliases.get(key, key)] = value
    return row


def write_csv(path: Path, rows: Iterable[dict[str, str]], *, encoding: str = "utf-8-sig", headers: Iterable[str] = REGISTER_HEADERS) -> Path:
    headers = list(headers)
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(headers)
        for row in rows:
            writer.writerow([row.get(header, "") for header in headers])
    return path
