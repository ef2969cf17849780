"""Code lists of the legal-person register (法人库), with their Chinese labels.

Codes are stored in the database; labels are what users and staff read and what
register exports contain. Keeping both here means importers, filters and pages
translate in one place.
"""

from __future__ import annotations

from enum import Enum


class LabelledEnum(str, Enum):
    """A string enum whose members carry a Chinese label."""

    label: str

    def __new__(cls, value: str, label: str) -> "LabelledEnum":
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member

    @classmethod
    def from_label_or_code(cls, text: str) -> "LabelledEnum":
        """Accept either the stored code or the Chinese label (as register exports use)."""
        text = text.strip()
        for member in cls:
            if text in (member.value, member.label):
                return member
        raise ValueError(text)

    @classmethod
    def labels(cls) -> dict[str, str]:
        return {member.value: member.label for member in cls}


class District(LabelledEnum):
    """Shanghai's 16 districts, coded by GB/T 2260."""

    huangpu = "310101", "黄浦区"
    xuhui = "310104", "徐汇区"
    changning = "310105", "长宁区"
    jingan = "310106", "静安区"
    putuo = "310107", "普陀区"
    hongkou = "310109", "虹口区"
    yangpu = "310110", "杨浦区"
    minhang = "310112", "闵行区"
    baoshan = "310113", "宝山区"
    jiading = "310114", "嘉定区"
    pudong = "310115", "浦东新区"
    jinshan = "310116", "金山区"
    songjiang = "310117", "松江区"
    qingpu = "310118", "青浦区"
    fengxian = "310120", "奉贤区"
    chongming = "310151", "崇明区"

    @classmethod
    def from_label_or_code(cls, text: str) -> "District":
        text = text.strip()
        for member in cls:
            # Accept "浦东新区", "浦东" and "310115" alike: exports are inconsistent.
            if text in (member.value, member.label, member.label.removesuffix("区").removesuffix("新")):
                return member
        raise ValueError(text)


class SizeClass(LabelledEnum):
    """Enterprise size classes (统计上大中小微型企业划分办法) plus sole proprietors."""

    large = "large", "大型"
    medium = "medium", "中型"
    small = "small", "小型"
    micro = "micro", "微型"
    individual = "individual", "个体工商户"


class Ownership(LabelledEnum):
    central_soe = "central_soe", "央企"
    local_soe = "local_soe", "地方国企"
    private = "private", "民营"
    foreign = "foreign", "外资"
    hmt = "hmt", "港澳台"
    other = "other", "其他"


class LifecycleStage(LabelledEnum):
    startup = "startup", "初创"
    growth = "growth", "成长"
    expansion = "expansion", "壮大"
    decline = "decline", "衰退"


class BindingRole(LabelledEnum):
    legal_representative = "legal_representative", "法定代表人"
    contact = "contact", "联系人"
