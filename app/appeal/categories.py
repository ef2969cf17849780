"""Appeal categories: what an enterprise can ask about, who usually handles it, and its deadlines.

Deadlines are in working days (`app.appeal.calendar`): `accept` from submission to
acceptance by the dispatcher, `respond` from dispatch to the handler's first response
(签收 or a reply), `resolve` from dispatch to the reply. The defaults follow common 12345
practice (受理 1 个工作日, 响应 2 个工作日, 办结 15 个工作日; 咨询类 5 个工作日) and are
overridden per category with the setting `APPEAL_DEADLINES`, e.g.
`{"tax": {"resolve": 10}}`. `default_organisation` is the organisation code rules fall
back on when no routing rule matches (see `app.appeal.routing`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from app.config import Settings

__all__ = ["CATEGORIES", "Category", "Deadlines", "category_choices", "deadlines_for", "get_category"]


@dataclass(frozen=True)
class Deadlines:
    accept: int = 1
    respond: int = 2
    resolve: int = 15


@dataclass(frozen=True)
class Category:
    code: str
    label: str
    hint: str
    """One line shown to the enterprise when choosing (what belongs here)."""
    default_organisation: str
    deadlines: Deadlines = Deadlines()
    open311_keywords: str = ""


_CONSULT = Deadlines(accept=1, respond=1, resolve=5)

CATEGORIES: dict[str, Category] = {
    c.code: c
    for c in (
        Category("policy", "政策咨询与兑现", "政策条款咨询、申报进度、补贴兑现", "city.coordination", _CONSULT),
        Category("financing", "融资贷款", "银行贷款、担保、融资对接", "city.financial-regulation"),
        Category("tax", "税费办理", "纳税申报、退税、发票、减税降费", "city.taxation"),
        Category("technology", "科技创新", "科技项目、高新技术企业认定、研发费用", "city.science-tech"),
        Category("talent", "人才与用工", "人才引进、落户、社保、劳动用工", "city.human-resources"),
        Category("licence", "证照与准入", "企业开办、变更、许可证照、市场准入", "city.market-regulation"),
        Category("construction", "项目建设", "用地规划、施工许可、竣工验收", "city.housing-construction"),
        Category("utilities", "水电气网", "用电报装、用水用气、通信网络接入", "city.economy-it"),
        Category("trade", "外贸与通关", "进出口、通关、跨境贸易", "city.commerce"),
        Category("environment", "生态环保", "环评审批、排污许可、环保执法", "city.ecology-environment"),
        Category("ip", "知识产权", "专利商标、知识产权保护与维权", "city.intellectual-property"),
        Category("rights", "权益保护", "不公平对待、拖欠账款、执法检查问题", "city.market-regulation"),
        Category("other", "其他诉求", "以上都不是", "city.coordination"),
    )
}


def get_category(code: str) -> Category:
    """The category `code`; KeyError if it does not exist (callers validate input first)."""
    return CATEGORIES[code]


def category_choices() -> list[tuple[str, str]]:
    """(code, label) in display order."""
    return [(c.code, c.label) for c in CATEGORIES.values()]


def deadlines_for(code: str, settings: Settings) -> Deadlines:
    """The category's deadlines with the deployment's overrides applied."""
    base = CATEGORIES[code].deadlines if code in CATEGORIES else Deadlines()
    override = settings.appeal_deadlines.get(code) or {}
    return replace(base, **{k: int(v) for k, v in override.items() if k in ("accept", "respond", "resolve")})
