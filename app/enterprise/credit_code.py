"""统一社会信用代码 (unified social credit identifier), GB 32100-2015.

Every enterprise in the register is keyed by this code, and people type it when they
bind themselves to an enterprise, so a typo must be caught here with a reason a person
can act on rather than surface later as "enterprise not found".

Layout of the 18 characters:

====  ===============================================================
pos   meaning
====  ===============================================================
1     登记管理部门代码 registration authority (1–9, A, N, Y)
2     机构类别代码 type of entity within that authority
3–8   登记管理机关行政区划码 GB/T 2260 division of the registering office
9–17  主体标识码 = 组织机构代码 (GB 11714), pos 17 being its own check digit
18    校验码 ISO 7064 MOD 31-3 over the first 17 characters
====  ===============================================================
"""

from __future__ import annotations

import random
import re
import unicodedata
from operator import mul

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
"""The 31 characters a credit code may contain: digits and capitals without I, O, Z, S, V."""

_VALUES = {char: index for index, char in enumerate(CHARSET)}
_ORG_VALUES = {char: int(char, 36) for char in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"}
_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
LENGTH = 18

AUTHORITIES: dict[str, tuple[str, dict[str, str]]] = {
    "1": ("机构编制", {"1": "机关", "2": "事业单位", "3": "中央编办直接管理机构编制的群众团体", "9": "其他"}),
    "2": ("外交", {"1": "外国常驻新闻机构", "9": "其他"}),
    "3": (
        "司法行政",
        {"1": "律师执业机构", "2": "公证处", "3": "基层法律服务所", "4": "司法鉴定机构", "5": "仲裁委员会", "9": "其他"},
    ),
    "4": ("文化", {"1": "外国在华文化中心", "9": "其他"}),
    "5": ("民政", {"1": "社会团体", "2": "民办非企业单位", "3": "基金会", "9": "其他"}),
    "6": ("旅游", {"1": "外国旅游部门常驻代表机构", "2": "港澳台地区旅游部门常驻内地（大陆）代表机构", "9": "其他"}),
    "7": ("宗教", {"1": "宗教活动场所", "2": "宗教院校", "9": "其他"}),
    "8": ("工会", {"1": "基层工会", "9": "其他"}),
    "9": ("工商", {"1": "企业", "2": "个体工商户", "3": "农民专业合作社"}),
    "A": ("中央军委改革和编制办公室", {"1": "军队事业单位", "9": "其他"}),
    "N": ("农业", {"1": "组级集体经济组织", "2": "村级集体经济组织", "3": "乡镇级集体经济组织", "9": "其他"}),
    "Y": ("其他", {"1": "其他"}),
}
"""Registration authorities (pos 1) and the entity types (pos 2) each may issue, per the standard's table."""

# GB/T 2260 province-level prefixes; "10" is the national level (100000) used by central registrations.
_PROVINCES = frozenset(
    "10 11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65 71 81 82".split()  # noqa: SIM905
)
_ILLEGAL_HINT = "只允许数字和除 I、O、Z、S、V 以外的大写字母"


class InvalidCreditCode(ValueError):
    """The code breaks GB 32100-2015; `str(error)` is a Chinese reason to show to people."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def normalise(code: str) -> str:
    """The canonical form: as people paste codes, with spaces (also full-width ones) and
    full-width letters or digits, and in lower case."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", code or "")).upper()


def check_character(first17: str) -> str:
    """The 18th character for the first 17 (ISO 7064 MOD 31-3 with the standard's weights).

    Raises `InvalidCreditCode` if `first17` is not 17 characters of the charset."""
    if len(first17) != LENGTH - 1:
        raise InvalidCreditCode(f"计算校验码需要前17位，实际为{len(first17)}位")
    try:
        total = sum(map(mul, map(_VALUES.__getitem__, first17), _WEIGHTS))
    except KeyError:
        position, char = next((i, c) for i, c in enumerate(first17, start=1) if c not in _VALUES)
        raise InvalidCreditCode(_illegal_character(position, char)) from None
    return CHARSET[-total % 31]


def organisation_check_character(body: str) -> str:
    """The 9th character of an organisation code (GB 11714) for its first 8: MOD 11 with
    weights 3,7,9,10,5,8,4,2, letters counting 10–35; a result of 10 is written X, 11 is 0."""
    if len(body) != 8:
        raise InvalidCreditCode(f"计算组织机构代码校验码需要8位本体代码，实际为{len(body)}位")
    try:
        total = sum(map(mul, map(_ORG_VALUES.__getitem__, body), _ORG_WEIGHTS))
    except KeyError:
        char = next(c for c in body if c not in _ORG_VALUES)
        raise InvalidCreditCode(f"组织机构代码含非法字符「{char}」") from None
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def validate(code: str) -> None:
    """Raise `InvalidCreditCode` naming the first thing wrong with `code` (already normalised:
    see `normalise`), position by position as the standard lays the code out."""
    if not code:
        raise InvalidCreditCode("统一社会信用代码为空")
    if len(code) != LENGTH:
        raise InvalidCreditCode(f"统一社会信用代码应为18位，实际为{len(code)}位")
    for position, char in enumerate(code, start=1):
        if char not in _VALUES:
            raise InvalidCreditCode(_illegal_character(position, char))

    authority = AUTHORITIES.get(code[0])
    if authority is None:
        raise InvalidCreditCode(
            f"第1位登记管理部门代码「{code[0]}」不存在（应为 {'、'.join(AUTHORITIES)} 之一）"
        )
    authority_name, categories = authority
    if code[1] not in categories:
        allowed = "、".join(f"{key} {name}" for key, name in categories.items())
        raise InvalidCreditCode(
            f"第2位机构类别代码「{code[1]}」不适用于登记管理部门「{code[0]} {authority_name}」（可用：{allowed}）"
        )

    division = code[2:8]
    if not division.isdigit():
        raise InvalidCreditCode(f"第3–8位登记管理机关行政区划码「{division}」应为6位数字")
    if division[:2] not in _PROVINCES:
        raise InvalidCreditCode(f"第3–8位登记管理机关行政区划码「{division}」不是有效的行政区划代码（省级代码「{division[:2]}」不存在）")

    expected_org = organisation_check_character(code[8:16])
    if code[16] != expected_org:
        raise InvalidCreditCode(
            f"第17位组织机构代码校验码错误：主体标识码「{code[8:17]}」的校验码应为「{expected_org}」，实际为「{code[16]}」"
        )
    expected = check_character(code[:17])
    if code[17] != expected:
        raise InvalidCreditCode(f"第18位校验码错误：应为「{expected}」，实际为「{code[17]}」")


def is_valid(code: str) -> bool:
    """True when `code` (normalised) is a well-formed credit code."""
    try:
        validate(code)
    except InvalidCreditCode:
        return False
    return True


def compose(*, division: str, body: str, authority: str = "9", category: str = "1") -> str:
    """A complete code from its parts, both check characters computed: `body` is the 8-character
    organisation code without its check digit. Raises `InvalidCreditCode` if the result is not valid."""
    first17 = authority + category + division + body + organisation_check_character(body)
    code = first17 + check_character(first17)
    validate(code)
    return code


def generate(rng: random.Random, *, division: str, authority: str = "9", category: str = "1") -> str:
    """A random valid code registered in `division` (default 91: an enterprise registered by
    market regulation). Deterministic for a seeded `rng`; not guaranteed unique."""
    body = "".join(rng.choice(CHARSET) for _ in range(8))
    return compose(division=division, body=body, authority=authority, category=category)


def _illegal_character(position: int, char: str) -> str:
    if char.isascii() and char.islower():
        return f"第{position}位「{char}」是小写字母（应为大写）"
    if char in "IOZSV":
        return f"第{position}位「{char}」不是合法字符（统一社会信用代码不使用字母 I、O、Z、S、V）"
    return f"第{position}位「{char}」不是合法字符（{_ILLEGAL_HINT}）"
