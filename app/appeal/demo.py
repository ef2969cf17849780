"""Demo appeals: about 150 appeals over the last 90 days, so `qiyun dev` shows a working loop.

They are filed and moved through the real service functions (`submit_appeal`, `accept`,
`dispatch`, `start`, `reply`, `confirm`, ...) by the demo staff and by demo followers bound
to demo enterprises (`app.identity.demo`), so every timeline, assignment and outbox row is
what the service writes. Each appeal plays one story — resolved and rated, reopened once,
escalated, returned, transferred, asked for more information, declined, merged into an
earlier one, or left waiting — through every channel, category and a spread of districts and
organisations. Six topics recur in realistic Chinese wording (租金补贴 not paid, 用电增容
slow, 出口退税 slow, 人才落户, 高新技术企业认定, 通关), so the 共性问题 view finds them.

History, confined to this module. The service stamps every step with the clock, so each step
is played now and paired with the moment it stands for in the story (spread over 90 days,
never later than now); afterwards the seeded rows' timestamps are rewritten to those moments
by direct updates — the appeal's dates (its number's date too), its deadlines recomputed with
the working calendar from the backdated dates, its events' and assignments' times. A story
whose next step would lie in the future stops there, which is how the recent appeals end up
open, some of them overdue. Replied appeals whose confirmation window has passed are then
closed as 未评价 by the service's own `close_overdue_confirmations`, dated at their deadline.

Notices. Every step queues its notices in the outbox like any other. Delivering them at
`qiyun dev` start would send hundreds of stale messages about the past to the simulator, so
the outbox rows of the demo appeals are marked `skipped` with the result `skipped:demo_seed`
once seeding ends (`qiyun dev` seeds before the worker starts, so none is sent first). The
deadline cron may still send a handful of genuine 督办 notices for the demo appeals that are
overdue now: that is the feature working.

Idempotent: every demo appeal carries an idempotency key starting `demo-appeal:`; if any
exists, seeding does nothing. Besides the demo staff of `app.demo`, it adds handler accounts
for the organisations the stories need (DEMO_APPEAL_STAFF; development passwords, like the
others).
"""

from __future__ import annotations

import functools
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from app.appeal import service
from app.appeal.calendar import SHANGHAI, WorkingCalendar
from app.appeal.categories import deadlines_for
from app.appeal.errors import AppealError
from app.appeal.models import (
    Appeal,
    AppealAssignment,
    AppealChannel,
    AppealEvent,
    AppealStatus,
    ContactPreference,
    Satisfaction,
)
from app.appeal.workflow import OPEN_STATUSES
from app.config import Settings
from app.demo import DemoStaff
from app.enterprise.models import Enterprise
from app.identity.demo import DEMO_OPENID_PREFIX
from app.identity.models import EnterpriseBinding, Follower, WeChatUser
from app.organisation.models import Organisation
from app.outbox.models import OutboxMessage, OutboxStatus
from app.staff.models import Staff, StaffRole
from app.staff.service import create_staff

__all__ = ["DEMO_APPEAL_COUNT", "DEMO_APPEAL_STAFF", "DEMO_KEY_PREFIX", "DEMO_OUTBOX_RESULT", "seed_demo_appeals"]

logger = logging.getLogger("qiyun.appeal.demo")

DEMO_KEY_PREFIX = "demo-appeal:"
DEMO_OUTBOX_RESULT = "skipped:demo_seed"
DEMO_APPEAL_COUNT = 150
DEMO_DAYS = 90

DEMO_APPEAL_STAFF: tuple[DemoStaff, ...] = (
    DemoStaff("renshe", "市人力资源社会保障局承办人", StaffRole.department_handler, "city.human-resources",
              "qiyun-renshe-2017"),
    DemoStaff("jingxin", "市经济信息化委承办人", StaffRole.department_handler, "city.economy-it", "qiyun-jingxin-2017"),
    DemoStaff("shangwu", "市商务委承办人", StaffRole.department_handler, "city.commerce", "qiyun-shangwu-2017"),
    DemoStaff("caizheng", "市财政局承办人", StaffRole.department_handler, "city.finance", "qiyun-caizheng-2017"),
    DemoStaff("xuhui", "徐汇区管理员", StaffRole.district_admin, "district.310104", "qiyun-xuhui-2017"),
)

COORDINATION = "city.coordination"
PUDONG, XUHUI = "310115", "310104"
PUDONG_CENTRE = "district.310115.service-centre"
XUHUI_CENTRE = "district.310104.service-centre"

HANDLERS: dict[str, str] = {
    COORDINATION: "admin",
    "city.science-tech": "keji",
    "city.taxation": "shuiwu",
    "city.human-resources": "renshe",
    "city.economy-it": "jingxin",
    "city.commerce": "shangwu",
    "city.finance": "caizheng",
    PUDONG_CENTRE: "pudong",
    XUHUI_CENTRE: "xuhui",
}
"""Lead organisation code -> the demo account that handles its appeals."""

DISTRICT_CENTRES = {PUDONG: PUDONG_CENTRE, XUHUI: XUHUI_CENTRE}
DISTRICT_ADMINS = {PUDONG: "pudong", XUHUI: "xuhui"}


@dataclass(frozen=True)
class Topic:
    code: str
    category: str
    texts: tuple[tuple[str, str], ...]
    lead: str
    """Organisation code; "district" means the district's service centre, else `fallback`."""
    fallback: str = COORDINATION
    uses: int = 1
    replies: tuple[str, ...] = ()


_GENERIC_REPLIES = (
    "经核实，已协调相关部门办理，预计10个工作日内完成，办理结果将电话告知企业。",
    "已与企业电话沟通，相关政策口径已当面解释清楚，后续如有问题可直接联系承办人。",
    "经与主管部门会商，问题已列入专项协调事项，已明确责任处室和办结时限。",
)

TOPICS: tuple[Topic, ...] = (
    Topic("rent", "policy", (
        ("租金补贴迟迟未到账", "我公司2024年度租金补贴申请已于三个月前通过区里审核，至今未拨付到账，请帮忙催办。"),
        ("租金补贴拨付进度咨询", "园区入驻企业租金补贴公示结束两个多月了，补贴资金还没有到账，想了解具体拨付时间。"),
        ("办公用房租金补贴一直未发放", "申请的办公用房租金补贴一直没有发放，材料齐全且已审核通过，希望尽快拨付补贴资金。"),
        ("租金补贴审核通过后长时间未兑现", "租金补贴审核通过后长时间未兑现，企业现金流紧张，请协调财政部门加快租金补贴拨付。"),
        ("孵化器租金补贴何时发放", "我们是入驻孵化器的初创企业，去年申报的租金补贴名单已公示，但补贴款至今未收到，请告知发放时间。"),
        ("研发用房租金补贴延迟", "研发用房租金补贴按政策应在审核后一个月内拨付，现已超过三个月仍未到账，请协助查询原因。"),
        ("租金补贴到账时间", "区里的租金补贴审核早已通过，财政拨付环节一直没有消息，企业多次电话询问租金补贴未果。"),
        ("小微企业租金补贴未到位", "小微企业租金补贴申请材料已按要求补齐，审核结果显示通过，但租金补贴资金迟迟未到位。"),
    ), lead="district", fallback="city.finance", uses=16, replies=(
        "经核实，贵公司租金补贴已完成审核，资金已进入财政拨付流程，预计本月底前到账。",
        "租金补贴拨付因年度预算调整有所延迟，现已协调财政部门优先拨付，预计两周内到账。",
    )),
    Topic("power", "utilities", (
        ("用电增容迟迟未批复", "新生产线投产需要用电增容，已向供电公司申请两个月，用电增容方案仍未批复。"),
        ("用电增容进度缓慢影响投产", "用电增容报装进度缓慢，新增设备无法通电，影响订单交付，请协调供电公司加快用电增容。"),
        ("申请用电增容至2000千伏安", "工厂申请用电增容至2000千伏安，供电公司的供电方案迟迟不出，希望协调加快。"),
        ("厂房扩建用电增容排期太长", "厂房扩建后需要用电增容，供电公司答复施工排期要到半年以后，企业无法按期投产。"),
        ("数据机房用电增容申请", "公司新建数据机房需要用电增容，提交申请后一直没有现场勘察，请帮助协调供电公司。"),
        ("用电增容费用和时限咨询", "想了解用电增容的收费标准和办理时限，目前用电增容申请已受理一个多月仍无进展。"),
        ("冷库用电增容无人对接", "新建冷库需要用电增容，供电公司客户经理一直联系不上，用电增容申请递交后无人对接。"),
        ("用电增容外线工程拖延", "用电增容的外线工程迟迟未开工，供电公司说需要等道路开挖许可，企业不知道该找哪个部门。"),
    ), lead="city.economy-it", uses=12, replies=(
        "已协调供电公司上门勘察，用电增容供电方案将于5个工作日内答复企业。",
        "经协调，外线工程已列入本月施工计划，道路开挖许可由区建管委并联办理。",
    )),
    Topic("rebate", "tax", (
        ("出口退税审核进度慢", "出口退税审核进度慢，单证齐全但退税款两个月仍未到账，影响资金周转。"),
        ("出口退税款迟迟未退", "公司上季度申报的出口退税款迟迟未退，电子税务局显示一直在审核中。"),
        ("出口退税函调时间过长", "我司出口退税被发函调查，已按要求提供材料，但函调回复时间过长，出口退税一直被暂缓。"),
        ("新出口企业退税分类等级", "新办出口企业出口退税分类管理等级为三类，退税审核时间太长，希望了解如何提升等级加快退税。"),
        ("出口退税申报系统报错", "通过出口退税申报系统申报时反复报错，无法完成出口退税申报，咨询多次未解决。"),
        ("外贸企业出口退税到账慢", "外贸企业出口退税到账比以前慢了很多，请税务部门说明原因并加快出口退税审核。"),
        ("出口退税单证备案疑问", "出口退税单证备案要求不清楚，出口退税审核被退回两次，希望税务部门给予明确指导。"),
        ("生产企业免抵退税审批滞后", "生产企业免抵退税申报后审批滞后，出口退税款长时间不到账，资金压力很大。"),
    ), lead="city.taxation", uses=11, replies=(
        "经核查，贵公司出口退税函调已回复，退税款已审核通过，预计3个工作日内退库。",
        "已安排专人辅导出口退税申报，系统报错系申报数据格式问题，已现场协助完成申报。",
    )),
    Topic("hukou", "talent", (
        ("人才引进落户审核时间过长", "公司引进的硕士研究生申请人才引进落户，材料提交已三个月，系统一直显示审核中。"),
        ("留学回国人员落户进度", "我司员工为留学回国人员，申请人才落户上海材料已受理，但落户进度迟迟没有更新。"),
        ("应届毕业生落户打分疑问", "应届毕业生落户打分结果与预期不符，企业提交的人才落户材料是否被认可，希望人社部门说明。"),
        ("人才落户社保基数要求", "引进人才落户对社保缴费基数有要求，我司员工社保补缴后能否申请人才落户，咨询多次口径不一。"),
        ("居转户申请被退回", "员工居转户落户申请被退回，理由不明确，企业不知道需要补充什么材料，希望给予指导。"),
        ("高层次人才落户绿色通道", "公司引进的高层次人才申请落户，希望了解人才落户绿色通道的办理条件和时限。"),
        ("人才落户材料重复提交", "人才引进落户申请中同一份材料被要求重复提交多次，落户审核周期一再延长。"),
    ), lead="city.human-resources", uses=10, replies=(
        "经核实，该人才引进落户申请已完成审核，将于近日公示，请留意人才落户系统通知。",
        "已电话告知企业人才落户所需补充材料清单，补正后10个工作日内办结。",
    )),
    Topic("hightech", "technology", (
        ("高新技术企业认定结果何时公布", "我司去年提交了高新技术企业认定申请，至今未公布结果，影响企业享受税收优惠。"),
        ("高新技术企业认定材料退回", "高新技术企业认定材料被退回，说研发费用归集不符合要求，但没有具体说明哪里有问题。"),
        ("高新技术企业复审进度", "高新技术企业资格到期复审材料已经提交，高新技术企业认定进度一直没有更新，担心资格中断。"),
        ("高企认定研发费用口径", "高新技术企业认定中研发费用的归集口径与税务加计扣除口径不一致，企业无所适从。"),
        ("高新技术企业认定奖励未兑现", "区里的高新技术企业认定奖励政策承诺的奖励资金至今未兑现，申请已审核通过。"),
        ("科技型中小企业评价与高企认定", "想咨询科技型中小企业评价入库和高新技术企业认定的关系，两者材料能否共用。"),
        ("高新技术企业认定专家评审", "高新技术企业认定专家评审意见未反馈企业，企业无法针对问题整改后重新申请认定。"),
    ), lead="city.science-tech", uses=10, replies=(
        "经核实，本批次高新技术企业认定结果将于本月底公示，请留意市科委网站。",
        "已安排专家就研发费用归集口径对企业进行一对一辅导。",
    )),
    Topic("customs", "trade", (
        ("跨境电商货物通关查验慢", "跨境电商进口货物通关查验时间过长，货物在口岸滞留一周以上，仓储费用很高。"),
        ("进口原料通关时间长", "进口生产原料通关时间比以往明显延长，影响生产计划，希望协调口岸部门提高通关效率。"),
        ("出口货物通关查验率高", "我司出口货物近期通关查验率明显升高，每次查验都要延误船期，希望了解原因。"),
        ("通关单证要求变化", "通关单证要求近期有变化但没有提前告知，导致货物通关被退单，希望有关部门提前公告。"),
        ("两步申报通关咨询", "想了解两步申报通关模式的适用条件，我司进口货物能否采用以缩短通关时间。"),
        ("冷链货物通关消杀等待", "进口冷链货物通关前消杀等待时间过长，货物在港口积压，通关成本大幅增加。"),
    ), lead="city.commerce", uses=9, replies=(
        "已会同海关就通关时效问题进行协调，企业可申请适用两步申报，通关时间可缩短一半以上。",
    )),
)

SINGLES: tuple[tuple[str, str, str], ...] = (
    ("financing", "申请创业担保贷款被拒", "小微企业申请创业担保贷款被银行以无抵押为由拒绝，希望了解是否有其他融资渠道。"),
    ("financing", "银行抽贷断贷", "合作银行在贷款到期前突然要求提前还款，企业资金链紧张，希望协调银行续贷。"),
    ("financing", "知识产权质押融资咨询", "公司拥有多项发明专利，想了解知识产权质押融资的办理流程和贴息政策。"),
    ("financing", "政府性融资担保费率", "政府性融资担保机构的担保费率是否有减免政策，我司符合小微企业标准。"),
    ("licence", "食品经营许可证延续办理", "食品经营许可证即将到期，网上申请延续一直提示材料不全，但不清楚缺少哪项。"),
    ("licence", "企业名称变更后证照更新", "企业名称变更后，多个许可证照需要逐一变更，希望能一次办理。"),
    ("licence", "医疗器械经营备案", "二类医疗器械经营备案提交后一直未出备案凭证，咨询窗口说在排队。"),
    ("licence", "跨区迁移营业执照", "公司注册地从外区迁入，迁移手续在两个区之间来回跑了多次仍未办完。"),
    ("construction", "施工许可证办理卡在消防审查", "新建厂房施工许可证办理卡在消防设计审查环节，已补正两次仍未通过。"),
    ("construction", "竣工验收多部门重复检查", "项目竣工验收时多个部门分别到场检查，要求不一致，希望实行联合验收。"),
    ("construction", "工业用地容积率调整", "企业希望在现有工业用地上加层扩建，咨询容积率调整的审批流程。"),
    ("construction", "项目规划许可时间过长", "产业项目建设工程规划许可申请已提交两个月，审批进度不明。"),
    ("environment", "环评审批时限", "新建生产线需要办理环评审批，想了解环评报告表的审批时限和是否可以告知承诺。"),
    ("environment", "排污许可证变更", "生产工艺调整后需要变更排污许可证，网上系统无法提交变更申请。"),
    ("environment", "环保检查频次过高", "一个月内接到三次不同部门的环保检查，内容基本相同，影响正常生产。"),
    ("ip", "商标被抢注", "我司品牌商标被他人抢注，想咨询如何提出异议和维权。"),
    ("ip", "专利侵权维权援助", "发现竞争对手产品侵犯我司发明专利，希望获得知识产权维权援助。"),
    ("ip", "专利资助申请", "今年的专利资助申请通知迟迟未发布，企业想了解申报时间。"),
    ("rights", "国有企业拖欠工程款", "我司为某国有企业完成的工程已验收一年，工程款仍被拖欠，多次催讨无果。"),
    ("rights", "事业单位拖欠服务款", "为区内某事业单位提供的信息化服务合同已履行完毕，尾款拖欠两年未付。"),
    ("rights", "执法检查不规范", "执法人员到企业检查时未出示证件，也未出具检查记录，企业对检查结果有异议。"),
    ("rights", "招投标设置不合理门槛", "某政府采购项目招标文件要求本地注册企业，对外地企业设置不合理门槛。"),
    ("talent", "员工社保转移", "外地员工社保关系转入上海手续复杂，转移申请两个月未完成。"),
    ("talent", "稳岗补贴申领", "企业符合稳岗补贴条件，但申领系统显示不在名单内，希望核实。"),
    ("talent", "职业技能培训补贴", "企业组织员工参加职业技能培训，培训补贴申请后一直未审核。"),
    ("technology", "研发费用加计扣除", "研发费用加计扣除备案资料要求不清楚，希望税务和科技部门联合辅导。"),
    ("technology", "科技创新券使用", "科技创新券在服务机构使用时被告知额度已冻结，原因不明。"),
    ("technology", "首台套认定申请", "公司研制的装备申请首台套认定，想了解申报条件和时间安排。"),
    ("utilities", "天然气接入报装", "新厂区天然气接入报装已申请一个月，燃气公司尚未出具接入方案。"),
    ("utilities", "宽带网络接入慢", "园区新址宽带网络接入需要等待一个多月，影响企业正常办公。"),
    ("utilities", "供水管网压力不足", "厂区供水管网压力不足，生产用水经常中断，希望协调水务部门。"),
    ("tax", "增值税留抵退税", "企业申请增值税留抵退税，资料提交后被要求反复补充，留抵退税迟迟未到。"),
    ("tax", "发票额度不够用", "业务量增长后增值税发票额度不够用，申请提额流程太长。"),
    ("tax", "小规模纳税人减免政策", "想咨询小规模纳税人增值税减免政策的具体适用条件。"),
    ("trade", "外贸订单汇率风险", "想了解政府对外贸企业汇率避险的支持政策和保险补贴。"),
    ("trade", "境外展会补贴申请", "参加境外展会的补贴申请已提交半年，仍未收到审核结果。"),
    ("policy", "政策申报系统无法登录", "区企业服务平台政策申报系统无法登录，申报截止日期临近，十分着急。"),
    ("policy", "专精特新企业奖励", "我司已获评专精特新企业，想了解市级和区级奖励如何申请，是否可以叠加。"),
    ("policy", "首次进规奖励", "企业今年首次纳入规模以上工业统计，咨询首次进规奖励的申报流程。"),
    ("other", "园区道路施工影响经营", "园区门口道路施工长期封闭，货车无法进出，影响企业经营。"),
    ("other", "企业周边停车难", "企业周边缺少停车位，员工和客户停车困难，希望规划建设停车场。"),
    ("other", "员工通勤公交线路", "园区新入驻企业较多，员工通勤不便，建议增设公交线路。"),
)

SINGLE_LEADS: dict[str, str] = {
    "financing": COORDINATION, "licence": "district", "construction": "district", "environment": COORDINATION,
    "ip": "city.science-tech", "rights": COORDINATION, "talent": "city.human-resources",
    "technology": "city.science-tech", "utilities": "city.economy-it", "tax": "city.taxation",
    "trade": "city.commerce", "policy": "district", "other": "district",
}

OPENERS = ("", "", "", "您好，", "我司反映：", "企业反映：")
CLOSERS = ("", "请帮忙协调。", "盼复。", "望相关部门尽快给予答复。", "谢谢！")
NAMES = ("王伟", "李娜", "张敏", "刘洋", "陈静", "杨帆", "赵磊", "黄丽", "周婷", "吴强", "徐斌", "孙悦")

# Stories, with how often each is chosen. Open stories ("stalled_*", "held") are only given
# to recent appeals; any story stops where its next step would lie in the future.
FATES: dict[str, int] = {
    "resolved": 38, "resolved_unhappy": 5, "unrated": 9, "reopen_resolved": 6, "reopen_unresolved": 6,
    "escalated": 4, "returned": 3, "transfer": 3, "info": 5, "declined": 5, "merged": 4,
    "stalled_accept": 2, "stalled_dispatch": 2, "stalled_respond": 3, "stalled_resolve": 5, "held": 2,
}
RECENT_ONLY = {"stalled_accept", "stalled_dispatch", "stalled_respond", "stalled_resolve", "held"}
RECENT_DAYS = 25
OPEN_FATES = ("stalled_respond", "stalled_accept", "stalled_resolve", "stalled_dispatch", "held", "stalled_respond",
              "stalled_resolve")

HAPPY = (Satisfaction.very_satisfied, Satisfaction.satisfied, Satisfaction.basically_satisfied,
         Satisfaction.dissatisfied)
HAPPY_WEIGHTS = (50, 32, 13, 5)
UNHAPPY = (Satisfaction.basically_satisfied, Satisfaction.dissatisfied, Satisfaction.very_dissatisfied)
UNHAPPY_WEIGHTS = (15, 60, 25)

Call = Callable[[], Awaitable[Any]]


@dataclass
class _Person:
    user: WeChatUser
    enterprise_id: int
    district: str | None


@dataclass
class _Story:
    number: int
    topic: str
    category: str
    title: str
    description: str
    lead: str
    channel: AppealChannel
    person: _Person
    fate: str
    submitted: datetime
    replies: tuple[str, ...]
    appeal_id: int | None = None


@dataclass
class _Clock:
    """Pairs each service call with the moment it stands for in the story."""

    now: datetime
    virtual: datetime
    marks: list[tuple[datetime, datetime]] = field(default_factory=list)
    """(real time just before the call, the story's time for it), in order."""

    async def step(self, hours: float, call: Call) -> Any:
        """Run `call` as happening `hours` after the previous step; None (and nothing done) if that is in the future."""
        when = self.virtual + timedelta(hours=hours)
        if when > self.now:
            return None
        self.virtual = when
        self.marks.append((datetime.now(timezone.utc), when))
        result = await call()
        return result if result is not None else True

    def story_time(self, moment: datetime | None) -> datetime | None:
        """The story's time for a timestamp the service wrote during one of the steps."""
        if moment is None:
            return None
        chosen = self.marks[0][1]
        for real, virtual in self.marks:
            if real > moment:
                break
            chosen = virtual
        return chosen


async def seed_demo_appeals(
    *, seed: int, settings: Settings | None = None, now: datetime | None = None, count: int = DEMO_APPEAL_COUNT
) -> int:
    """File and play the demo appeals; 0 if they exist already (or there are no demo followers)."""
    if await Appeal.filter(idempotency_key__startswith=DEMO_KEY_PREFIX).exists():
        return 0
    if settings is None:
        from app.config import load_settings

        settings = load_settings()
    people = await _people()
    if not people:
        logger.warning("no demo followers bound to enterprises: demo appeals skipped")
        return 0
    staff = await _staff()
    orgs = {org.code: org for org in await Organisation.all()}
    missing = [code for code in HANDLERS if code not in orgs]
    if missing:
        raise RuntimeError(f"demo organisations missing: {', '.join(missing)} (load app.demo organisations first)")
    now = now or datetime.now(timezone.utc)
    rng = random.Random(seed * 104729 + 5)
    last_ids = await OutboxMessage.all().order_by("-id").limit(1).values_list("id", flat=True)
    first_outbox = last_ids[0] if last_ids else 0
    stories = _write_stories(rng, people, now=now, count=count)
    failures = 0
    played: list[tuple[int, _Clock]] = []
    for story in stories:
        clock = _Clock(now=now - timedelta(minutes=5), virtual=story.submitted)
        try:
            await _play(story, clock, rng=rng, staff=staff, orgs=orgs, stories=stories, settings=settings)
        except AppealError as exc:  # a story the rules refuse: keep what was done, say so
            failures += 1
            logger.warning("demo appeal %s stopped: %s", story.number, exc.message)
        if story.appeal_id is not None:
            played.append((story.appeal_id, clock))
    for appeal_id, clock in played:
        await _backdate(appeal_id, clock, settings)
    await _close_unconfirmed(now, [appeal_id for appeal_id, _ in played])
    await _skip_outbox(first_outbox, {appeal_id for appeal_id, _ in played})
    if failures:
        logger.warning("%d demo appeal stories stopped early", failures)
    return len(played)


async def _people() -> list[_Person]:
    rows = await Follower.filter(openid__startswith=DEMO_OPENID_PREFIX, user_id__isnull=False).order_by("id").values(
        "user_id"
    )
    user_ids = [row["user_id"] for row in rows]
    bindings = await EnterpriseBinding.filter(user_id__in=user_ids or [-1], revoked_at__isnull=True).order_by(
        "id").values("user_id", "enterprise_id")
    districts = dict(await Enterprise.filter(id__in=[b["enterprise_id"] for b in bindings] or [-1]).values_list(
        "id", "district"))
    users = {user.id: user for user in await WeChatUser.filter(id__in=user_ids or [-1])}
    seen: set[int] = set()
    people = []
    for binding in bindings:
        if binding["user_id"] in seen:
            continue
        seen.add(binding["user_id"])
        district = districts.get(binding["enterprise_id"])
        people.append(_Person(users[binding["user_id"]], binding["enterprise_id"],
                              str(getattr(district, "value", district)) if district else None))
    return people


async def _staff() -> dict[str, Staff]:
    for member in DEMO_APPEAL_STAFF:
        if not await Staff.filter(username=member.username).exists():
            await create_staff(username=member.username, display_name=member.display_name, password=member.password,
                               role=member.role, organisation_code=member.organisation_code)
    usernames = set(HANDLERS.values()) | set(DISTRICT_ADMINS.values())
    found = {member.username: member for member in await Staff.filter(username__in=sorted(usernames))}
    missing = usernames - set(found)
    if missing:
        raise RuntimeError(f"demo staff missing: {', '.join(sorted(missing))} (load app.demo staff first)")
    return found


def _lead_for(lead: str, fallback: str, district: str | None) -> str:
    if lead != "district":
        return lead
    return DISTRICT_CENTRES.get(district or "", fallback)


def _write_stories(rng: random.Random, people: list[_Person], *, now: datetime, count: int) -> list[_Story]:
    """Who files what, through which channel, when, and how it goes: deterministic for a seed."""
    texts: list[tuple[str, str, str, str, tuple[str, ...]]] = []  # topic, category, title, description, replies
    for topic in TOPICS:
        for use in range(topic.uses):
            title, description = topic.texts[use % len(topic.texts)]
            texts.append((topic.code, topic.category, title, description, topic.replies))
    for category, title, description in SINGLES:
        for _ in range(2):
            texts.append(("single:" + title, category, title, description, ()))
    rng.shuffle(texts)
    texts = texts[:count]
    pudong = [p for p in people if p.district == PUDONG]
    xuhui = [p for p in people if p.district == XUHUI]
    channels = (AppealChannel.official_account, AppealChannel.miniprogram, AppealChannel.hotline_12345,
                AppealChannel.walk_in, AppealChannel.forwarded, AppealChannel.open311)
    stories = []
    for number, (topic, category, title, description, replies) in enumerate(texts, start=1):
        roll = rng.random()
        pool = pudong if roll < 0.3 and pudong else xuhui if roll < 0.42 and xuhui else people
        person = rng.choice(pool)
        channel = rng.choices(channels, weights=(30, 35, 18, 8, 5, 4))[0]
        if channel is AppealChannel.walk_in and person.district not in DISTRICT_ADMINS:
            channel = AppealChannel.miniprogram
        opener, closer = rng.choice(OPENERS), rng.choice(CLOSERS)
        days_ago = DEMO_DAYS * rng.random() ** 1.15
        submitted = (now - timedelta(days=days_ago)).astimezone(SHANGHAI)
        if submitted.hour < 8 or submitted.hour > 20:
            submitted = submitted.replace(hour=rng.randint(8, 19))
        submitted = min(submitted, now - timedelta(hours=1))
        fate = rng.choices(list(FATES), weights=list(FATES.values()))[0]
        if fate in RECENT_ONLY and days_ago > RECENT_DAYS:
            fate = "resolved"
        if fate == "merged" and topic.startswith("single:"):
            fate = "declined"
        base = next((t for t in TOPICS if t.code == topic), None)
        lead = _lead_for(base.lead if base else SINGLE_LEADS[category], base.fallback if base else COORDINATION,
                         person.district)
        stories.append(_Story(
            number=number, topic=topic, category=category, title=title, description=f"{opener}{description}{closer}",
            lead=lead, channel=channel, person=person, fate=fate, submitted=submitted,
            replies=replies or _GENERIC_REPLIES,
        ))
    stories.sort(key=lambda story: story.submitted)
    # However the dice fell, the present shows every open state: spread these over the recent appeals.
    recent = [story for story in stories if story.submitted > now - timedelta(days=RECENT_DAYS)]
    for story in stories[-4::2]:
        story.fate = "quick_reply"  # answered within the last days: waiting for the enterprise's verdict
    for position, fate in enumerate(OPEN_FATES if recent else ()):
        recent[position * len(recent) // len(OPEN_FATES)].fate = fate
    _ensure_a_merge(stories, recent)
    return stories


def _ensure_a_merge(stories: list[_Story], recent: list[_Story]) -> None:
    """However the dice fell, one later report of an appeal still being handled is merged into
    it: a "merged" story needs an open sibling on its topic, which chance (and the hour the demo
    is seeded at, which shifts submission times) may not give."""
    if any(story.fate == "merged" and _has_open_sibling(story, stories) for story in stories):
        return
    handled = [s for s in recent if s.fate in ("stalled_respond", "stalled_resolve")]
    # A shared topic reads most naturally; at some seeding hours every handled one is a
    # one-off story, and then a second report of that one-off is the merge.
    originals = sorted(handled, key=lambda s: s.topic.startswith("single:"))
    for original in originals:
        later = [s for s in stories if s.submitted > original.submitted and s.fate not in OPEN_FATES
                 and s.fate != "quick_reply"]
        if later:
            duplicate = later[0]
            duplicate.topic, duplicate.category, duplicate.title = original.topic, original.category, original.title
            duplicate.description, duplicate.lead, duplicate.replies = original.description, original.lead, original.replies
            duplicate.fate = "merged"
            return


def _has_open_sibling(story: _Story, stories: list[_Story]) -> bool:
    return any(other.topic == story.topic and other.submitted < story.submitted and other.fate in OPEN_FATES
               for other in stories)


def _hours(rng: random.Random, low: float, high: float) -> float:
    return rng.uniform(low, high)


def _natural_hours(working_days: int) -> float:
    """Roughly how many clock hours `working_days` take (five working days a week)."""
    return working_days * 24 * 7 / 5


async def _play(
    story: _Story, clock: _Clock, *, rng: random.Random, staff: dict[str, Staff], orgs: dict[str, Organisation],
    stories: list[_Story], settings: Settings,
) -> None:
    """File the appeal and take it as far along its story as the present allows."""
    person = story.person
    walk_in_admin = staff[DISTRICT_ADMINS[person.district]] if story.channel is AppealChannel.walk_in else None
    by_user = story.channel in (AppealChannel.official_account, AppealChannel.miniprogram)
    draft = service.AppealDraft(
        channel=story.channel, category=story.category, title=story.title, description=story.description,
        user=person.user if by_user else None, enterprise_id=person.enterprise_id,
        contact_name=rng.choice(NAMES), contact_phone=f"139{rng.randint(0, 99_999_999):08d}",
        contact_preference=ContactPreference.wechat if by_user else ContactPreference.phone,
        idempotency_key=f"{DEMO_KEY_PREFIX}{story.number:03d}",
        external_id=f"DEMO{story.number:05d}" if story.channel in (AppealChannel.hotline_12345, AppealChannel.open311)
        else None,
        source_client="园区企业服务平台" if story.channel is AppealChannel.open311 else "",
        forwarded_by=orgs[f"district.{person.district}"] if story.channel is AppealChannel.forwarded
        and person.district else None,
        staff=walk_in_admin,
    )
    result = await clock.step(0, functools.partial(service.submit_appeal, draft=draft, settings=settings))
    appeal_id = result.appeal.id
    story.appeal_id = appeal_id
    step = clock.step
    dispatcher = walk_in_admin or staff["admin"]
    lead = story.lead
    handler = staff[HANDLERS[lead]]
    user = person.user
    fate = story.fate

    def call(function: Callable[..., Awaitable[Any]], **kwargs: Any) -> Call:
        return functools.partial(function, appeal_id=appeal_id, **kwargs)

    if fate == "quick_reply":
        for function, kwargs in ((service.accept, {"staff": dispatcher}),
                                 (service.dispatch, {"staff": dispatcher, "lead_organisation_id": orgs[lead].id,
                                                     "settings": settings}),
                                 (service.start, {"staff": handler})):
            if not await step(0.1 * (clock.now - clock.virtual).total_seconds() / 3600, call(function, **kwargs)):
                return
        await step(0.5 * (clock.now - clock.virtual).total_seconds() / 3600,
                   call(service.reply, staff=handler, settings=settings, text=rng.choice(story.replies)))
        return
    if fate == "held":
        await step(0.01, call(service.hold, reason="附件图片待人工审核"))
        return
    if fate == "stalled_accept":
        return
    if fate == "declined":
        await step(_hours(rng, 0.5, 8), call(service.decline, staff=dispatcher,
                                             reason="该事项属于企业间民事纠纷，不属于企业诉求受理范围，建议通过司法途径解决。"))
        return
    if fate == "merged":
        target = await _open_sibling(story, stories)
        if target is not None:
            # The city's dispatcher merges: a district's may not see the appeal of another district.
            await step(_hours(rng, 0.5, 6), call(service.merge, into_appeal_id=target, staff=staff["admin"],
                                                 note="与在办诉求反映同一事项，合并办理。"))
            return
        fate = "resolved"
    if not await step(_hours(rng, 0.3, 18), call(service.accept, staff=dispatcher)):
        return
    if fate == "stalled_dispatch":
        return
    if not await step(_hours(rng, 0.2, 5), call(service.dispatch, staff=dispatcher,
                                                lead_organisation_id=orgs[lead].id, settings=settings)):
        return
    if fate == "stalled_respond":
        return
    if fate == "returned":
        if not await step(_hours(rng, 1, 20), call(service.return_to_dispatcher, staff=handler, settings=settings,
                                                   reason="该事项不属于本单位职责范围，请重新分派。")):
            return
        lead = COORDINATION if lead != COORDINATION else "city.economy-it"
        handler = staff[HANDLERS[lead]]
        if not await step(_hours(rng, 1, 10), call(service.dispatch, staff=dispatcher,
                                                   lead_organisation_id=orgs[lead].id, settings=settings)):
            return
    deadlines = deadlines_for(story.category, settings)
    respond_hours, resolve_hours = _natural_hours(deadlines.respond), _natural_hours(deadlines.resolve)
    late = rng.random() < 0.15
    if not await step(respond_hours * (rng.uniform(1.2, 2.5) if late else rng.uniform(0.05, 0.6)),
                      call(service.start, staff=handler)):
        return
    if rng.random() < 0.2:
        await step(_hours(rng, 0.5, 6), call(service.add_note, staff=handler, text="已电话联系企业了解详细情况。"))
    if fate == "stalled_resolve":
        return
    if fate == "escalated" and lead != COORDINATION:
        if not await step(_hours(rng, 10, 80), call(service.escalate, staff=handler, settings=settings,
                                                    reason="涉及多个部门职责，需市级层面统筹协调。")):
            return
        lead, handler = COORDINATION, staff["admin"]
        if not await step(_hours(rng, 1, 12), call(service.start, staff=handler)):
            return
    if fate == "transfer":
        other = COORDINATION if lead != COORDINATION else "city.science-tech"
        if not await step(_hours(rng, 2, 30), call(service.request_transfer, staff=handler,
                                                   reason=f"建议转由{orgs[other].short_name or orgs[other].name}办理。",
                                                   suggested_organisation_id=orgs[other].id)):
            return
        if not await step(_hours(rng, 1, 10), call(service.redispatch, staff=dispatcher, settings=settings,
                                                   lead_organisation_id=orgs[other].id, reason="同意转办。")):
            return
        lead, handler = other, staff[HANDLERS[other]]
        if not await step(_hours(rng, 1, 24), call(service.start, staff=handler)):
            return
    if fate == "info":
        if not await step(_hours(rng, 5, 48), call(service.request_info, staff=handler,
                                                   question="请补充相关合同、申请回执等材料的扫描件。")):
            return
        if not await step(_hours(rng, 3, 48), call(service.supplement, user=user, settings=settings,
                                                   text="已补充合同及申请回执，请查收。")):
            return
    late = rng.random() < 0.12
    reply_text = rng.choice(story.replies)
    if not await step(resolve_hours * (rng.uniform(1.1, 1.6) if late else rng.uniform(0.1, 0.8)),
                      call(service.reply, staff=handler, settings=settings, text=reply_text)):
        return
    if fate == "unrated":
        return  # closed as 未评价 once its confirmation window has passed (see _close_unconfirmed)
    if fate in ("reopen_resolved", "reopen_unresolved"):
        level = rng.choices(UNHAPPY, weights=UNHAPPY_WEIGHTS)[0]
        reopened = await step(_hours(rng, 6, 120), call(service.confirm, user=user, resolved=False, satisfaction=level,
                                                        comment="问题没有实际解决，请继续协调。", settings=settings))
        if not reopened or reopened.status != AppealStatus.accepted:
            return
        if not await step(_hours(rng, 1, 24), call(service.dispatch, staff=dispatcher,
                                                   lead_organisation_id=orgs[lead].id, settings=settings)):
            return
        if not await step(_hours(rng, 1, 24), call(service.start, staff=handler)):
            return
        if not await step(resolve_hours * rng.uniform(0.1, 0.9), call(service.reply, staff=handler, settings=settings,
                                                                     text="经再次协调，" + rng.choice(story.replies))):
            return
        if fate == "reopen_unresolved":
            level = rng.choices(UNHAPPY, weights=UNHAPPY_WEIGHTS)[0]
            await step(_hours(rng, 6, 120), call(service.confirm, user=user, resolved=False, satisfaction=level,
                                                 comment="仍未解决。", settings=settings))
            return
    if fate == "resolved_unhappy":  # solved, but slowly or grudgingly: resolved, and rated low
        level = rng.choices(UNHAPPY, weights=UNHAPPY_WEIGHTS)[0]
        comment = rng.choice(("问题虽已解决，但办理时间太长。", "前后沟通多次才解决。"))
    else:
        level = rng.choices(HAPPY, weights=HAPPY_WEIGHTS)[0]
        comment = rng.choice(("", "问题已解决，感谢！", "答复及时，很满意。", ""))
    await step(_hours(rng, 6, 150), call(service.confirm, user=user, resolved=True, satisfaction=level,
                                         comment=comment, settings=settings))


async def _open_sibling(story: _Story, stories: list[_Story]) -> int | None:
    """The latest earlier appeal on the same topic that is still open: what a duplicate merges into."""
    for other in reversed(stories):
        if other is story or other.topic != story.topic or other.appeal_id is None:
            continue
        if other.submitted >= story.submitted:
            continue
        found = await Appeal.filter(id=other.appeal_id, status__in=list(OPEN_STATUSES),
                                    duplicate_of_id__isnull=True).exists()
        if found:
            return other.appeal_id
    return None


_TIMES = ("created_at", "accepted_at", "dispatched_at", "escalated_at", "first_response_at", "replied_at", "closed_at")


async def _backdate(appeal_id: int, clock: _Clock, settings: Settings) -> None:
    """Move the appeal's recorded history to the story's times (demo data only)."""
    appeal = await Appeal.get(id=appeal_id)
    changes: dict[str, Any] = {name: clock.story_time(getattr(appeal, name)) for name in _TIMES}
    created = changes["created_at"]
    calendar = WorkingCalendar.from_settings(settings)
    deadlines = deadlines_for(appeal.category, settings)
    events = await AppealEvent.filter(appeal_id=appeal_id).order_by("id").values("id", "action", "created_at")
    # The 受理 clock starts at submission, and again when the appeal comes back to the dispatcher.
    restarts = [clock.story_time(e["created_at"]) for e in events if e["action"] in ("return", "reopen")]
    changes["accept_due_at"] = calendar.add_working_days(restarts[-1] if restarts else created, deadlines.accept)
    if changes["dispatched_at"] is not None:
        changes["respond_due_at"] = calendar.add_working_days(changes["dispatched_at"], deadlines.respond)
        changes["resolve_due_at"] = calendar.add_working_days(changes["dispatched_at"], deadlines.resolve)
    if appeal.confirm_due_at is not None and changes["replied_at"] is not None:
        changes["confirm_due_at"] = changes["replied_at"] + timedelta(days=settings.appeal_confirm_days)
    changes["updated_at"] = clock.marks[-1][1]
    changes["number"] = f"SQ{created.astimezone(SHANGHAI):%Y%m%d}{appeal.id:06d}"
    await Appeal.filter(id=appeal_id).update(**changes)
    for event in events:
        await AppealEvent.filter(id=event["id"]).update(created_at=clock.story_time(event["created_at"]))
    for row in await AppealAssignment.filter(appeal_id=appeal_id).values("id", "assigned_at", "released_at"):
        await AppealAssignment.filter(id=row["id"]).update(
            assigned_at=clock.story_time(row["assigned_at"]), released_at=clock.story_time(row["released_at"])
        )


async def _close_unconfirmed(now: datetime, appeal_ids: list[int]) -> None:
    """Replied demo appeals whose confirmation window passed close as 未评价, through the
    service's own cron step, dated as the cron would have closed them."""
    due = await Appeal.filter(id__in=appeal_ids or [-1], status=AppealStatus.replied,
                              confirm_due_at__lte=now).values_list("id", "confirm_due_at")
    if not due:
        return
    await service.close_overdue_confirmations(now=now)
    for appeal_id, confirm_due_at in due:
        closed_at = min(confirm_due_at + timedelta(minutes=10), now)
        updated = await Appeal.filter(id=appeal_id, status=AppealStatus.closed).update(closed_at=closed_at,
                                                                                     updated_at=closed_at)
        if updated:
            await AppealEvent.filter(appeal_id=appeal_id, action="close_unrated").update(created_at=closed_at)


async def _skip_outbox(after_id: int, appeal_ids: set[int]) -> None:
    """The demo appeals' notices are history, not news: mark them skipped (see the module docstring)."""
    rows = await OutboxMessage.filter(id__gt=after_id, topic__startswith="appeal.",
                                      status=OutboxStatus.pending).values("id", "payload")
    ids = [row["id"] for row in rows if (row["payload"] or {}).get("appeal_id") in appeal_ids]
    now = datetime.now(timezone.utc)
    for start in range(0, len(ids), 500):
        await OutboxMessage.filter(id__in=ids[start:start + 500]).update(
            status=OutboxStatus.skipped, result=DEMO_OUTBOX_RESULT, finished_at=now
        )
