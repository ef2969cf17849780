"""Demo policies: about forty Shanghai-style enterprise-support policies for a local trial.

They are invented for the demo (titles, document numbers and amounts are plausible, not
real documents), issued by the demo organisations of `app.demo`, and dated relative to the
day they are seeded, so a fresh demo always has policies open for application now, some
not yet open, some closed and some expired. Each is published through the service (so it
has its history and its search index entry); the ones past their expiry date are then
expired by the same job production runs.

The policy the issue's walkthrough uses, 浦东新区科技型小微企业研发费用补贴, targets Pudong +
小型/微型 + the "technology" industries, taken as GB/T 4754-2017 sections I (信息传输、软件和
信息技术服务业) and M (科学研究和技术服务业): the two sections whose firms are
technology firms by activity rather than by product (manufacturing, section C, is targeted
by the 首台套 and 智能制造 policies instead).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from app.organisation.models import Organisation
from app.policy.models import Policy, SupportType
from app.policy.service import PolicyInput, create_policy, expire_due_policies, publish_now, shanghai_today
from app.policy.targeting import Targeting, describe_targeting

__all__ = ["DEMO_POLICIES", "PUDONG_TECH_SME_TITLE", "DemoPolicy", "seed_demo_policies"]

PUDONG_TECH_SME_TITLE = "浦东新区科技型小微企业研发费用补贴实施细则"

YIWANGTONGBAN = "上海市“一网通办”企业专属网页在线申报"


@dataclass(frozen=True)
class DemoPolicy:
    title: str
    doc_number: str
    """with {year}: the year it was published, which depends on the seeding day"""
    issuers: tuple[str, ...]
    """organisation codes (see app.demo)"""
    support_type: SupportType
    summary: str
    published_days_ago: int
    expires_in_days: int | None
    """relative to the seeding day; negative: already expired"""
    apply_window: tuple[int, int] | None
    """(start, end) in days relative to the seeding day; None: accepted all year"""
    amount: tuple[str | None, str | None] = (None, None)
    targeting: dict[str, Any] = field(default_factory=dict)
    apply_where: str = YIWANGTONGBAN
    contact: str = "12345市民服务热线"
    measures: tuple[str, ...] = ()
    """the body's 支持内容, beyond the summary"""


SCIENCE = "city.science-tech"
ECONOMY = "city.economy-it"
FINANCE = "city.finance"
TAX = "city.taxation"
HR = "city.human-resources"
COMMERCE = "city.commerce"
REFORM = "city.development-reform"
MARKET = "city.market-regulation"
IP = "city.intellectual-property"
FIN_REG = "city.financial-regulation"
PLANNING = "city.planning-resources"
HOUSING = "city.housing-construction"
ECOLOGY = "city.ecology-environment"
CUSTOMS = "city.customs"
SME_CENTRE = "social.sme-association"
PUDONG = "district.310115"
PUDONG_CENTRE = "district.310115.service-centre"
XUHUI = "district.310104"
MINHANG = "district.310112"
JIADING = "district.310114"
YANGPU = "district.310110"
SONGJIANG = "district.310117"

TECH = {"industry_sections": ["I", "M"]}
SME = {"size_classes": ["small", "micro"]}
SMALL_MEDIUM = {"size_classes": ["medium", "small", "micro"]}

DEMO_POLICIES: tuple[DemoPolicy, ...] = (
    # -- research and development ---------------------------------------------------------
    DemoPolicy(
        PUDONG_TECH_SME_TITLE, "浦科经委规〔{year}〕3号", (PUDONG, PUDONG_CENTRE), SupportType.subsidy,
        "对注册在浦东新区的科技型小型、微型企业，按上年度研发费用加计扣除额的10%给予研发补贴，单个企业最高50万元。",
        40, 700, (-20, 45), ("5", "50"), {"districts": ["310115"], **SME, **TECH},
        "浦东新区企业服务中心（浦东新区合欢路201号）或“一网通办”浦东频道", "021-50001101",
        ("补贴资金按企业上年度经税务部门确认的研发费用加计扣除额的10%核定。", "同一企业同一年度只能享受一次，与市级同类补贴不重复享受。"),
    ),
    DemoPolicy(
        "上海市科技型中小企业研发费用补贴管理办法", "沪科规〔{year}〕6号", (SCIENCE, FINANCE), SupportType.subsidy,
        "对入库的科技型中小企业，按上年度研发投入的一定比例给予研发费用补贴，最高30万元，支持企业加大研发投入。",
        300, 800, (-10, 50), ("3", "30"), {**SMALL_MEDIUM, "tags": ["科技型中小企业"]},
        measures=("研发投入以企业所得税年度汇算清缴申报的研发费用为准。", "优先支持首次入库的科技型中小企业。"),
    ),
    DemoPolicy(
        "上海市高新技术企业认定奖励办法", "沪科规〔{year}〕9号", (SCIENCE,), SupportType.qualification,
        "对首次通过高新技术企业认定的企业给予一次性奖励20万元；重新认定的给予10万元奖励。",
        200, 900, (-5, 60), ("10", "20"), {"tags": ["高新技术企业"]},
        measures=("以全国高新技术企业认定管理工作网公示的名单为准。", "奖励资金由市、区两级财政按1:1比例承担。"),
    ),
    DemoPolicy(
        "关于支持企业建设研发机构的若干措施", "沪科〔{year}〕215号", (SCIENCE, ECONOMY), SupportType.subsidy,
        "支持企业建设市级企业技术中心、工程技术研究中心，经认定的给予最高300万元建设资助。",
        150, 600, (30, 90), ("50", "300"), {"size_classes": ["large", "medium", "small"], "min_years_established": 3},
        measures=("资助资金用于研发设备购置、研发场地改造和人员引进。",),
    ),
    DemoPolicy(
        "徐汇区人工智能企业研发投入补贴办法", "徐府规〔{year}〕4号", (XUHUI,), SupportType.subsidy,
        "对徐汇区内从事人工智能研发的企业，按年度研发投入的15%给予补贴，最高200万元。",
        120, 500, (-15, 30), ("10", "200"), {"districts": ["310104"], "industry_divisions": ["65", "73"]},
        "徐汇区企业服务中心", "021-60001202",
    ),
    DemoPolicy(
        "杨浦区科技创新券实施办法", "杨府规〔{year}〕2号", (YANGPU,), SupportType.subsidy,
        "向杨浦区科技型小微企业发放科技创新券，用于购买检验检测、研发设计等科技服务，每家每年最高10万元。",
        420, 300, None, (None, "10"), {"districts": ["310110"], **SME},
        "杨浦区企业服务中心", "021-60001303",
    ),
    # -- 专精特新, manufacturing and industry ---------------------------------------------------
    DemoPolicy(
        "上海市专精特新中小企业发展专项资金管理细则", "沪经信规范〔{year}〕5号", (ECONOMY, FINANCE), SupportType.subsidy,
        "对新认定的市级专精特新中小企业给予一次性奖励30万元；对国家级专精特新“小巨人”企业给予奖励100万元。",
        90, 720, (-30, 20), ("30", "100"), {"tags": ["专精特新", "专精特新小巨人"]},
        measures=("已享受过同级奖励的企业不重复支持。", "奖励资金可用于技术改造、市场开拓和人才培养。"),
    ),
    DemoPolicy(
        "关于促进首台（套）重大技术装备示范应用的若干措施", "沪经信装〔{year}〕118号", (ECONOMY, FINANCE), SupportType.subsidy,
        "对经认定的首台（套）重大技术装备，按销售合同金额的30%给予奖励，单台（套）最高1000万元，支持首台套示范应用。",
        180, 900, (-40, 15), ("100", "1000"), {"industry_sections": ["C"], "size_classes": ["large", "medium", "small"]},
        measures=("首台套保险补偿按实际保费的80%给予补贴。",),
    ),
    DemoPolicy(
        "上海市智能工厂建设专项支持办法", "沪经信规范〔{year}〕11号", (ECONOMY,), SupportType.subsidy,
        "支持制造业企业开展智能化改造，对新认定的市级智能工厂给予最高500万元补贴。",
        380, 400, (-60, -5), ("100", "500"), {"industry_sections": ["C"], "min_registered_capital": "500"},
    ),
    DemoPolicy(
        "嘉定区汽车产业链企业技术改造补贴办法", "嘉府规发〔{year}〕2号", (JIADING,), SupportType.subsidy,
        "对嘉定区汽车零部件制造企业实施的技术改造项目，按设备投资额的10%给予补贴，最高300万元。",
        100, 650, (-20, 40), ("20", "300"), {"districts": ["310114"], "industry_divisions": ["36"]},
        "嘉定区企业服务中心", "021-60001404",
    ),
    DemoPolicy(
        "松江区G60科创走廊产业项目扶持办法", "松府规〔{year}〕1号", (SONGJIANG,), SupportType.subsidy,
        "对落户松江区的集成电路、生物医药、新材料等先进制造业项目，按固定资产投资给予最高2000万元扶持。",
        220, 760, None, ("200", "2000"), {"districts": ["310117"], "industry_divisions": ["26", "27", "39"]},
        "松江区企业服务中心", "021-60001505",
    ),
    DemoPolicy(
        "中小企业数字化转型试点补贴", "沪经信企〔{year}〕213号", (ECONOMY, SME_CENTRE), SupportType.subsidy,
        "对参与数字化转型试点的中小企业，按数字化改造投入的30%给予补贴，最高50万元。",
        520, -120, (-480, -400), ("5", "50"), {**SMALL_MEDIUM},
    ),
    # -- tax ----------------------------------------------------------------------------------
    DemoPolicy(
        "关于小型微利企业所得税优惠政策的公告（上海执行口径）", "国家税务总局上海市税务局公告{year}年第2号", (TAX,), SupportType.tax,
        "对小型微利企业年应纳税所得额不超过300万元的部分，减按25%计入应纳税所得额，按20%的税率缴纳企业所得税。",
        260, 560, None, (None, None), {**SME},
        "电子税务局自行申报享受", "12366纳税服务热线",
        ("符合条件的企业在预缴和汇算清缴时均可享受，无需备案。",),
    ),
    DemoPolicy(
        "企业研发费用税前加计扣除政策操作指引", "国家税务总局上海市税务局公告{year}年第5号", (TAX, SCIENCE), SupportType.tax,
        "企业开展研发活动中实际发生的研发费用，在按规定据实扣除的基础上，再按实际发生额的100%在税前加计扣除。",
        600, 1100, None, (None, None), {},
        "电子税务局自行申报享受", "12366纳税服务热线",
    ),
    DemoPolicy(
        "高新技术企业减按15%税率征收企业所得税办理指南", "国家税务总局上海市税务局公告{year}年第7号", (TAX,), SupportType.tax,
        "经认定的高新技术企业，减按15%的税率征收企业所得税，并可享受职工教育经费税前扣除等配套优惠。",
        150, 1000, None, (None, None), {"tags": ["高新技术企业"]},
        "电子税务局自行申报享受", "12366纳税服务热线",
    ),
    DemoPolicy(
        "增值税留抵退税政策执行通知", "沪税发〔{year}〕18号", (TAX, FINANCE), SupportType.tax,
        "对符合条件的小微企业和制造业等行业企业，按月全额退还增值税增量留抵税额，并一次性退还存量留抵税额。",
        900, -400, None, (None, None), {**SME},
        "电子税务局在线申请", "12366纳税服务热线",
    ),
    # -- financing -----------------------------------------------------------------------------
    DemoPolicy(
        "上海市小微企业创业担保贷款贴息办法", "沪人社规〔{year}〕12号", (HR, FINANCE), SupportType.financing,
        "小微企业可申请最高300万元创业担保贷款，按贷款市场报价利率的50%给予贴息，期限最长3年。",
        140, 900, (-10, 80), (None, "300"), {**SME, "max_years_established": 5},
        "各区创业担保贷款受理窗口", "021-50001606",
    ),
    DemoPolicy(
        "关于进一步加大对中小微企业贷款贴息支持力度的通知", "沪财企〔{year}〕21号", (FINANCE, FIN_REG), SupportType.financing,
        "对中小微企业通过合作银行取得的一年期以内流动资金贷款，按实际支付利息的30%给予贴息，每家最高50万元。",
        60, 400, (-5, 100), (None, "50"), {"size_classes": ["medium", "small", "micro"], "ownerships": ["private", "other"]},
        "合作银行网点或“一网通办”", "021-50001707",
    ),
    DemoPolicy(
        "上海市中小微企业政策性融资担保费补贴办法", "沪金规〔{year}〕3号", (FIN_REG, FINANCE), SupportType.financing,
        "对通过市中小微企业政策性融资担保基金获得担保贷款的企业，担保费率降至0.5%，差额部分由财政补贴。",
        400, 500, None, (None, None), {**SMALL_MEDIUM},
        "上海市中小微企业政策性融资担保基金管理中心", "021-50001808",
    ),
    DemoPolicy(
        "科技型企业知识产权质押融资贴息实施细则", "沪知局规〔{year}〕2号", (IP, FINANCE), SupportType.financing,
        "对以专利、商标质押方式获得贷款的科技型企业，按实际发生利息的50%给予贴息，最高30万元，并补贴评估费用。",
        110, 700, (-25, 35), (None, "30"), {**TECH},
        "上海市知识产权局政务服务窗口", "021-50001909",
    ),
    DemoPolicy(
        "浦东新区科技企业上市培育专项扶持办法", "浦府规〔{year}〕6号", (PUDONG,), SupportType.financing,
        "对在境内外资本市场上市的浦东新区企业，分阶段给予最高500万元奖励，支持专精特新企业登陆科创板。",
        170, 850, None, ("100", "500"), {"districts": ["310115"], "min_registered_capital": "1000"},
        "浦东新区金融工作局", "021-50002010",
    ),
    # -- talent --------------------------------------------------------------------------------
    DemoPolicy(
        "上海市重点产业人才公寓配租管理办法", "沪住建规范〔{year}〕3号", (HOUSING, HR), SupportType.talent,
        "重点产业企业引进的人才可申请人才公寓，租金按市场租金的70%执行，租期最长6年。",
        80, 1000, (-30, 120), (None, None), {"industry_sections": ["C", "I", "M"]},
        "各区人才公寓服务窗口", "021-50002111",
    ),
    DemoPolicy(
        "浦东新区人才安居资助实施细则", "浦人社规〔{year}〕2号", (PUDONG,), SupportType.talent,
        "对浦东新区重点企业引进的优秀人才，给予每月最高5000元租房补贴或人才公寓优先配租，期限3年。",
        50, 900, (-20, 70), (None, "18"), {"districts": ["310115"]},
        "浦东新区人才服务中心", "021-50002212",
    ),
    DemoPolicy(
        "关于做好高校毕业生就业见习补贴的通知", "沪人社就〔{year}〕88号", (HR,), SupportType.talent,
        "企业吸纳离校未就业高校毕业生参加就业见习的，按见习人数给予每人每月最低工资标准60%的见习补贴。",
        200, 300, None, (None, None), {},
        "各区就业促进中心", "021-50002313",
    ),
    DemoPolicy(
        "小微企业吸纳就业社会保险补贴办法", "沪人社规〔{year}〕19号", (HR, FINANCE), SupportType.talent,
        "小微企业新招用本市户籍失业人员并缴纳社会保险的，按单位实际缴费的50%给予社会保险补贴，期限最长3年。",
        450, 250, None, (None, None), {**SME},
        "各区就业促进中心", "021-50002414",
    ),
    DemoPolicy(
        "闵行区高技能人才培训补贴办法", "闵府规发〔{year}〕3号", (MINHANG,), SupportType.talent,
        "闵行区企业组织职工参加高技能人才培训并取得证书的，按培训费用的80%给予补贴，每人最高5000元。",
        95, 600, (-45, 10), (None, "50"), {"districts": ["310112"]},
        "闵行区人力资源服务中心", "021-50002515",
    ),
    # -- premises ------------------------------------------------------------------------------
    DemoPolicy(
        "上海市创业孵化示范基地房租补贴办法", "沪人社规〔{year}〕5号", (HR, SCIENCE), SupportType.premises,
        "对入驻市级创业孵化示范基地的初创期企业，给予前两年房租50%的补贴，每家每年最高6万元。",
        160, 700, None, (None, "6"), {"lifecycle_stages": ["startup"], "max_years_established": 3},
        "各创业孵化示范基地", "021-50002616",
    ),
    DemoPolicy(
        "关于支持产业园区标准厂房建设的若干意见", "沪规划资源规〔{year}〕6号", (PLANNING, ECONOMY), SupportType.premises,
        "对在产业园区内利用存量工业用地建设标准厂房的企业，容积率可提高至2.0以上，土地出让价款可分期缴纳。",
        500, 700, None, (None, None), {"industry_sections": ["C"]},
        "上海市规划和自然资源局政务服务中心", "021-50002717",
    ),
    DemoPolicy(
        "浦东新区张江科学城研发用房租金补贴", "浦科经委〔{year}〕76号", (PUDONG_CENTRE,), SupportType.premises,
        "对在张江科学城租赁研发用房的高新技术企业，按实际租金的30%给予补贴，每家每年最高100万元。",
        400, -30, (-380, -200), (None, "100"), {"districts": ["310115"], "tags": ["高新技术企业"]},
        "浦东新区企业服务中心", "021-50001101",
    ),
    # -- commerce, trade and headquarters --------------------------------------------------
    DemoPolicy(
        "上海市鼓励跨国公司设立地区总部的规定实施细则", "沪商规〔{year}〕2号", (COMMERCE,), SupportType.subsidy,
        "对新认定的跨国公司地区总部给予开办资助500万元，并在租房、人才引进和出入境方面提供便利。",
        230, 1200, None, (None, "500"), {"ownerships": ["foreign", "hmt"], "min_registered_capital": "1000"},
        "上海市商务委员会外资处", "021-50002818",
    ),
    DemoPolicy(
        "外贸企业出口信用保险保费补贴办法", "沪商财〔{year}〕55号", (COMMERCE, FINANCE), SupportType.financing,
        "对中小外贸企业投保短期出口信用保险的，按实际缴纳保费的50%给予补贴，每家最高30万元。",
        70, 450, (-15, 75), (None, "30"), {"industry_sections": ["F", "C"], **SMALL_MEDIUM},
    ),
    DemoPolicy(
        "上海海关支持企业申请AEO高级认证便利措施", "上海海关公告{year}年第5号", (CUSTOMS,), SupportType.qualification,
        "对申请海关AEO高级认证的企业提供“一对一”培育辅导，通过认证后享受较低查验率、优先通关等便利。",
        130, None, None, (None, None), {"industry_sections": ["C", "F", "G"]},
        "上海海关企业管理和稽查处", "12360海关服务热线",
    ),
    DemoPolicy(
        "服务业发展引导资金项目申报指南", "沪发改服务〔{year}〕31号", (REFORM, FINANCE), SupportType.subsidy,
        "支持现代服务业重点领域项目，按项目总投资的20%给予资助，最高1000万元。",
        800, -300, (-780, -700), ("50", "1000"), {"industry_sections": ["G", "I", "L", "M"]},
    ),
    # -- qualification, standards and brands -----------------------------------------------
    DemoPolicy(
        "上海市企业主导制定标准资助办法", "沪市监规范〔{year}〕4号", (MARKET,), SupportType.qualification,
        "对主导制定国际标准、国家标准、行业标准的企业，分别给予最高100万元、50万元、30万元资助。",
        190, 750, (-50, 25), ("30", "100"), {},
        "上海市市场监督管理局标准化处", "021-50002919",
    ),
    DemoPolicy(
        "“上海品牌”认证企业奖励办法", "沪市监质〔{year}〕102号", (MARKET, ECONOMY), SupportType.qualification,
        "对首次获得“上海品牌”认证的企业给予一次性奖励30万元。",
        360, 380, (20, 80), (None, "30"), {"min_years_established": 3},
    ),
    DemoPolicy(
        "专利转化专项计划中小企业专利导航补贴", "沪知局规〔{year}〕4号", (IP,), SupportType.subsidy,
        "对开展专利导航、高价值专利培育的中小企业，按服务费用的50%给予补贴，最高20万元。",
        480, -60, (-450, -100), (None, "20"), {**SMALL_MEDIUM},
        "上海市知识产权局政务服务窗口", "021-50003020",
    ),
    # -- green development -------------------------------------------------------------------
    DemoPolicy(
        "上海市节能减排（应对气候变化）专项资金管理办法", "沪发改规范〔{year}〕3号", (REFORM, ECOLOGY, FINANCE), SupportType.subsidy,
        "对企业实施的节能技术改造、清洁生产、碳减排项目，按投资额的20%给予支持，最高1000万元。",
        210, 1100, (-35, 55), ("10", "1000"), {"industry_sections": ["C", "D", "E"]},
    ),
    DemoPolicy(
        "中小企业环保设施升级改造补贴", "沪环规〔{year}〕2号", (ECOLOGY,), SupportType.subsidy,
        "对完成挥发性有机物治理设施升级改造的中小制造企业，按设备投资的30%给予补贴，最高80万元。",
        75, 500, (10, 100), ("5", "80"), {"industry_sections": ["C"], **SMALL_MEDIUM},
        "各区生态环境局", "021-50003121",
    ),
    # -- start-ups and SMEs ---------------------------------------------------------------------
    DemoPolicy(
        "上海市大学生创业一次性开办补贴", "沪人社规〔{year}〕8号", (HR,), SupportType.subsidy,
        "对毕业5年内的高校毕业生在本市首次创办企业并正常经营满1年的，给予一次性开办补贴1万元。",
        120, 800, None, (None, "1"), {"lifecycle_stages": ["startup"], "max_years_established": 2, **SME},
        "各区就业促进中心", "021-50003222",
    ),
    DemoPolicy(
        "中小企业服务券使用管理办法", "沪中小企〔{year}〕12号", (SME_CENTRE, ECONOMY), SupportType.other,
        "向中小企业发放服务券，可用于购买管理咨询、法律、财税、人力资源等专业服务，每家每年最高5万元。",
        45, 700, (-10, 90), (None, "5"), {**SMALL_MEDIUM},
        "上海市中小企业发展服务中心", "021-50003323",
    ),
    DemoPolicy(
        "关于帮助困难企业稳岗纾困的若干措施", "沪府办规〔{year}〕9号", ("city.coordination", HR, FINANCE), SupportType.other,
        "对生产经营暂时困难、坚持不裁员或少裁员的中小微企业，按上年度失业保险费的60%返还稳岗补贴，并可缓缴社会保险费。",
        300, 200, (-100, 30), (None, None), {"lifecycle_stages": ["decline"], **SMALL_MEDIUM},
        "各区就业促进中心", "021-50003424",
    ),
)


def _body(spec: DemoPolicy, *, effective: date, expiry: date | None, issuers: list[Organisation]) -> str:
    audience = "；".join(describe_targeting(Targeting(**spec.targeting)))
    measures = "\n".join(f"（{index}）{text}" for index, text in enumerate((spec.summary, *spec.measures), start=1))
    validity = f"有效期至{expiry.year}年{expiry.month}月{expiry.day}日" if expiry else "长期有效"
    return (
        f"为进一步优化本市营商环境，支持企业高质量发展，根据有关规定，制定本办法。\n"
        f"一、支持对象\n在本市依法登记注册、经营状况良好、信用记录良好的企业。适用条件：{audience}。\n"
        f"二、支持内容\n{measures}\n"
        f"三、申报方式\n{spec.apply_where}。申报材料包括申报表、营业执照、相关证明材料等。\n"
        f"四、联系方式\n{spec.contact}\n"
        f"五、附则\n本办法由{'、'.join(org.name for org in issuers)}负责解释，"
        f"自{effective.year}年{effective.month}月{effective.day}日起施行，{validity}。"
    )


async def seed_demo_policies(*, today: date | None = None) -> int:
    """Create and publish the demo policies that are not there yet (by title); expire those past
    their date. Returns how many were created."""
    today = today or shanghai_today()
    organisations = {org.code: org for org in await Organisation.all()}
    existing = set(await Policy.filter(title__in=[spec.title for spec in DEMO_POLICIES]).values_list("title", flat=True))
    created = 0
    for spec in DEMO_POLICIES:
        if spec.title in existing:
            continue
        issuers = [organisations[code] for code in spec.issuers if code in organisations]
        published = today - timedelta(days=spec.published_days_ago)
        effective = published + timedelta(days=min(10, spec.published_days_ago))
        expiry = today + timedelta(days=spec.expires_in_days) if spec.expires_in_days is not None else None
        window = spec.apply_window
        data = PolicyInput(
            title=spec.title,
            doc_number=spec.doc_number.format(year=published.year),
            issuing_organisation_ids=[org.id for org in issuers],
            publish_date=published,
            effective_date=effective,
            expiry_date=expiry,
            summary=spec.summary,
            body=_body(spec, effective=effective, expiry=expiry, issuers=issuers),
            support_type=spec.support_type,
            amount_min=Decimal(spec.amount[0]) if spec.amount[0] else None,
            amount_max=Decimal(spec.amount[1]) if spec.amount[1] else None,
            apply_start=today + timedelta(days=window[0]) if window else None,
            apply_end=today + timedelta(days=window[1]) if window else None,
            apply_where=spec.apply_where,
            contact=spec.contact,
            targeting=Targeting(**spec.targeting),
        )
        policy = await create_policy(staff=None, data=data, source="demo")
        await publish_now(staff=None, policy_id=policy.id, note="演示数据", today=published)
        created += 1
    await expire_due_policies(today=today)
    return created
