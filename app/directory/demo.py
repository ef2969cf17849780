"""Demo directory: Shanghai-flavoured public services, one-stop entrances, parks and water /
power / gas connection guides for a local trial.

Organisation and platform names are real public bodies; the texts are general and
plausible (as the 获得电力 / 获得用水用气 reforms describe them), not quotations, and no
phone number is invented: contacts name the organisation or the 12345 hotline. Entries are
created and published through the service (so they are indexed and in the audit log as
the system's); seeding again creates only what is missing, matched by kind and title.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.directory.models import DirectoryCategory, DirectoryEntry, DirectoryKind, UtilityType
from app.directory.service import create_entry
from app.directory.validation import EntryInput
from app.enterprise.reference import District
from app.organisation.models import Organisation

__all__ = ["DEMO_ENTRIES", "seed_demo_directory"]

YIWANGTONGBAN = "https://zwdt.sh.gov.cn/"
HOTLINE = "12345市民服务热线"
K, C, U, D = DirectoryKind, DirectoryCategory, UtilityType, District


@dataclass(frozen=True)
class DemoEntry:
    kind: DirectoryKind
    title: str
    summary: str
    organisation: str | None = None
    """organisation code (see app.demo); missing organisations are left out"""
    fields: dict[str, Any] = field(default_factory=dict)


RESOURCES: tuple[DemoEntry, ...] = (
    DemoEntry(K.resource, "上海研发公共服务平台", "汇聚全市高校、院所和企业的大型科学仪器、科技文献和专业技术服务，面向企业开放共享。",
              "city.science-tech", {"category": C.rnd, "platform_name": "上海研发公共服务平台", "url": "https://www.sgst.cn/",
               "eligibility": "在本市注册的各类企业、科研机构和创业团队",
               "steps": "在平台注册账号\n检索所需仪器或服务\n在线预约并与服务机构确认\n完成服务后评价",
               "fees": "按服务机构公布的标准收费，部分可使用科技创新券抵扣", "contact": "上海市科学技术委员会"}),
    DemoEntry(K.resource, "大型科学仪器设施共享服务", "高校和科研院所的大型科学仪器设施对外开放，企业可预约检测、分析和测试服务。",
              "city.science-tech", {"category": C.rnd, "platform_name": "上海研发公共服务平台",
               "eligibility": "有研发测试需求的企业", "steps": "检索仪器\n提交预约\n送样或上机测试\n获取报告",
               "url": "https://www.sgst.cn/", "fees": "按仪器开放收费标准"}),
    DemoEntry(K.resource, "标准文献查询与标准化咨询", "提供国际、国家、行业和地方标准文献查询，以及企业标准制定、标准化良好行为等咨询服务。",
              "city.market-regulation", {"category": C.standards, "platform_name": "上海市质量和标准化研究院",
               "eligibility": "本市企业和社会组织", "steps": "提出查询或咨询需求\n确认服务内容\n获取标准文献或咨询意见",
               "contact": "上海市市场监督管理局"}),
    DemoEntry(K.resource, "企业标准信息公共服务", "企业在线自我声明公开执行的产品和服务标准，接受社会监督，“领跑者”评估结果同步公开。",
              "city.market-regulation", {"category": C.standards, "platform_name": "企业标准信息公共服务平台",
               "steps": "注册企业账号\n填写标准信息并上传标准文本\n提交公开", "fees": "免费",
               "contact": "上海市市场监督管理局"}),
    DemoEntry(K.resource, "上海政府采购网", "本市政府采购信息发布、供应商注册和电子化采购的统一平台，中小企业可了解采购意向和预留份额项目。",
              "city.finance", {"category": C.procurement, "platform_name": "上海政府采购网", "url": "https://www.zfcg.sh.gov.cn/",
               "eligibility": "参与本市政府采购活动的供应商",
               "steps": "注册供应商账号并完善信息\n关注采购意向和采购公告\n在线获取采购文件并投标\n中标后签订合同、履约验收",
               "fees": "免费", "contact": "上海市财政局"}),
    DemoEntry(K.resource, "政府采购支持中小企业", "政府采购项目为中小企业预留份额，对小微企业报价给予价格扣除，并可凭中标合同申请融资。",
              "city.finance", {"category": C.procurement, "platform_name": "上海政府采购网",
               "eligibility": "符合中小企业划型标准的供应商",
               "steps": "投标时提交《中小企业声明函》\n按采购文件享受预留份额或价格扣除\n中标后可凭合同向合作银行申请政府采购合同融资",
               "url": "https://www.zfcg.sh.gov.cn/", "contact": "上海市财政局"}),
    DemoEntry(K.resource, "公共招聘服务", "发布企业岗位需求、匹配求职者、组织专场招聘会，提供用工指导和劳动关系咨询。",
              "city.human-resources", {"category": C.recruitment, "platform_name": "上海公共招聘网",
               "eligibility": "本市各类用人单位", "steps": "注册单位账号\n发布招聘岗位\n筛选简历、预约面试\n录用后办理就业登记和社保",
               "fees": "免费", "contact": "上海市人力资源和社会保障局"}),
    DemoEntry(K.resource, "职业技能培训补贴", "企业组织职工参加职业技能培训，按规定申请培训费补贴。",
              "city.human-resources", {"category": C.recruitment, "eligibility": "依法参加本市社会保险的企业",
               "steps": "制定培训计划并备案\n组织培训和考核\n通过“一网通办”申请补贴", "url": YIWANGTONGBAN,
               "contact": "上海市人力资源和社会保障局"}),
    DemoEntry(K.resource, "海外人才一站式服务", "为外籍和留学回国人才集中办理工作许可、居留许可、人才引进落户等事项。",
              "city.human-resources", {"category": C.talent, "platform_name": "上海市海外人才一站式服务中心",
               "eligibility": "在本市工作的外籍人才、留学回国人员及其用人单位",
               "steps": "通过“一网通办”在线预约\n按清单准备材料\n到服务窗口一次办结相关事项", "url": YIWANGTONGBAN,
               "hours": "工作日 9:00-17:00", "contact": "上海市人力资源和社会保障局"}),
    DemoEntry(K.resource, "国家技术转移东部中心", "提供技术需求发布、成果评价、技术经纪、知识产权运营和国际技术转移服务。",
              "city.science-tech", {"category": C.tech_transfer, "platform_name": "国家技术转移东部中心",
               "eligibility": "有技术需求或科技成果的企业、高校和科研院所",
               "steps": "发布技术需求或成果\n技术经纪人对接\n洽谈并签订技术合同\n办理技术合同认定登记",
               "contact": "上海市科学技术委员会"}),
    DemoEntry(K.resource, "上海技术交易所", "科技成果挂牌交易、技术产权转让和成果转化服务平台。",
              "city.science-tech", {"category": C.tech_transfer, "platform_name": "上海技术交易所",
               "steps": "提交挂牌申请\n信息披露\n交易撮合\n交易鉴证与结算", "contact": "上海市科学技术委员会"}),
    DemoEntry(K.resource, "中小微企业政策性融资担保", "为中小微企业银行贷款提供政策性担保，担保费率低于市场水平，首贷、信用贷优先。",
              "city.finance", {"category": C.finance, "platform_name": "上海市中小微企业政策性融资担保基金管理中心",
               "eligibility": "在本市注册、符合中小微企业标准的企业",
               "steps": "向合作银行提出贷款申请\n银行推荐至担保基金\n担保审批\n银行放款", "fees": "按政策性担保费率收取",
               "contact": "上海市财政局"}),
    DemoEntry(K.resource, "大数据普惠金融应用", "依托公共数据开放，银行在企业授权后调用纳税、社保、公积金等数据，为小微企业发放信用贷款。",
              "city.financial-regulation", {"category": C.finance, "eligibility": "有融资需求的小微企业",
               "steps": "在合作银行渠道提交申请\n授权银行查询公共数据\n银行审批放款", "url": YIWANGTONGBAN,
               "contact": "中共上海市委金融委员会办公室"}),
    DemoEntry(K.resource, "中国（上海）知识产权保护中心", "为重点产业企业提供专利快速预审、快速确权、快速维权和导航运营服务。",
              "city.intellectual-property", {"category": C.ip, "platform_name": "中国（上海）知识产权保护中心",
               "eligibility": "完成备案的本市相关产业领域企业",
               "steps": "提交企业备案\n专利申请提交预审\n预审合格后进入快速审查通道", "fees": "预审服务免费",
               "contact": "上海市知识产权局"}),
    DemoEntry(K.resource, "知识产权公共服务", "提供专利、商标检索分析，知识产权维权援助和海外纠纷应对指导。",
              "city.intellectual-property", {"category": C.ip, "platform_name": "上海知识产权公共服务平台",
               "steps": "提出服务需求\n检索分析或维权援助\n获得报告或指导意见", "fees": "基础服务免费",
               "contact": "上海市知识产权局"}),
    DemoEntry(K.resource, "浦东新区知识产权保护中心", "面向浦东新区重点产业的专利快速预审和维权服务。",
              "city.intellectual-property", {"category": C.ip, "district": D.pudong,
               "platform_name": "中国（浦东）知识产权保护中心", "steps": "企业备案\n提交预审\n快速审查",
               "contact": "浦东新区企业服务中心"}),
)

ENTRANCES: tuple[DemoEntry, ...] = (
    DemoEntry(K.entrance, "科技创新券申领", "科技型中小企业和创业团队申领科技创新券，用于购买研发公共服务平台上的检测、研发和技术服务。",
              "city.science-tech", {"category": C.rnd, "url": YIWANGTONGBAN,
               "eligibility": "在本市注册的科技型中小企业，以及在本市众创空间、孵化器内的创业团队",
               "steps": "登录“一网通办”，搜索“科技创新券”\n在线填写申领信息\n审核通过后获得创新券额度\n在研发公共服务平台购买服务时使用创新券\n服务完成后由服务机构申请兑付",
               "materials": "营业执照（或创业团队证明）\n研发需求说明", "fees": "免费",
               "time_limit": "常年受理，按批次审核", "contact": "上海市科学技术委员会"}),
    DemoEntry(K.entrance, "人才公寓申请", "为在本市工作的各类人才提供租赁住房，企业可为员工集中申请，个人也可在线申请。",
              "city.housing-construction", {"category": C.talent, "url": YIWANGTONGBAN,
               "eligibility": "在本市就业、在本市无住房的各类人才，具体条件以各区公告为准",
               "steps": "企业或个人登录“一网通办”，搜索“人才公寓”\n选择所在区的房源项目并提交申请\n资格审核\n选房签约入住",
               "materials": "劳动合同或就业证明\n身份证明\n无房情况声明", "time_limit": "以各项目公告为准",
               "contact": "上海市住房和城乡建设管理委员会"}),
    DemoEntry(K.entrance, "浦东新区人才安居申请", "浦东新区人才公寓和租房补贴的统一申请入口。",
              "district.310115", {"category": C.talent, "district": D.pudong, "url": YIWANGTONGBAN,
               "eligibility": "在浦东新区就业的各类人才", "steps": "用人单位在线申报\n区人才服务部门审核\n公示后配租或发放补贴",
               "materials": "单位推荐表\n劳动合同\n社保缴纳记录", "contact": "浦东新区企业服务中心"}),
    DemoEntry(K.entrance, "高新技术企业认定申报", "高新技术企业认定的网上申报入口，认定后可享受企业所得税优惠。",
              "city.science-tech", {"category": C.rnd, "url": YIWANGTONGBAN,
               "eligibility": "在本市注册一年以上、拥有核心自主知识产权的居民企业",
               "steps": "企业注册并自评\n在线填报申请材料\n专家评审\n认定公示和备案", "materials": "知识产权证明\n研发费用专项审计报告\n高新技术产品（服务）收入专项审计报告",
               "time_limit": "按年度批次受理", "contact": "上海市科学技术委员会"}),
    DemoEntry(K.entrance, "技术合同认定登记", "技术开发、转让、许可、咨询和服务合同的在线认定登记，登记后可按规定享受税收优惠。",
              "city.science-tech", {"category": C.tech_transfer, "url": YIWANGTONGBAN,
               "eligibility": "签订技术合同的卖方（技术提供方）", "steps": "在线填报合同信息并上传合同文本\n登记机构审查\n领取登记证明",
               "materials": "技术合同文本\n相关附件", "fees": "免费", "time_limit": "受理后一般5个工作日内办结",
               "contact": "上海市科学技术委员会"}),
    DemoEntry(K.entrance, "外国人来华工作许可", "外国人来华工作许可的申请、延期、变更和注销的网上办理入口。",
              "city.science-tech", {"category": C.talent, "url": YIWANGTONGBAN,
               "eligibility": "在本市聘用外籍人员的用人单位", "steps": "单位注册账号\n在线提交申请\n审查决定\n领取工作许可证",
               "materials": "工作资格证明\n无犯罪记录证明\n体检证明\n聘用合同", "time_limit": "受理后5个工作日内作出决定",
               "contact": "上海市科学技术委员会"}),
)

PARKS: tuple[DemoEntry, ...] = (
    DemoEntry(K.park, "张江科学城", "以集成电路、生物医药、人工智能为主导产业的科学城，集聚大科学设施、研发机构和创新企业。",
              "district.310115", {"district": D.pudong, "address": "浦东新区张江镇",
               "body": "主导产业：集成电路、生物医药、人工智能。\n园区提供项目落地、人才公寓、研发平台对接等服务。"}),
    DemoEntry(K.park, "临港新片区", "中国（上海）自由贸易试验区临港新片区，发展集成电路、人工智能、生物医药、民用航空等前沿产业。",
              "district.310115", {"district": D.pudong, "address": "浦东新区南汇新城镇",
               "body": "投资贸易自由化便利化制度创新试验区。\n企业可在新片区政务服务中心办理企业开办、项目建设等事项。"}),
    DemoEntry(K.park, "漕河泾新兴技术开发区", "国家级经济技术开发区，以电子信息、现代服务业和新材料为主导产业。",
              "district.310104", {"district": D.xuhui, "address": "徐汇区漕河泾地区",
               "body": "园区提供招商落地、科技企业孵化和企业服务。"}),
    DemoEntry(K.park, "紫竹高新技术产业开发区", "以集成电路与软件、新能源、数字内容为主的国家级高新区，毗邻高校。",
              "district.310112", {"district": D.minhang, "address": "闵行区吴泾镇"}),
    DemoEntry(K.park, "市北高新技术服务业园区", "以大数据、云计算和科技服务业为特色的中心城区科技园区。",
              "district.310106", {"district": D.jingan, "address": "静安区彭浦镇",
               "body": "主导产业：大数据、云计算、人工智能和科技服务业。"}),
    DemoEntry(K.park, "嘉定工业区", "以智能网联汽车、新能源汽车和高端装备为主导产业的市级工业区。",
              "district.310114", {"district": D.jiading, "address": "嘉定区嘉定工业区"}),
    DemoEntry(K.park, "G60科创走廊松江园区", "长三角G60科创走廊的核心区，发展人工智能、集成电路、生物医药、新材料等产业。",
              "district.310117", {"district": D.songjiang, "address": "松江区"}),
    DemoEntry(K.park, "杨浦国家双创示范基地", "以高校和科研院所为依托的创新创业集聚区，提供孵化、加速和成果转化服务。",
              "district.310110", {"district": D.yangpu, "address": "杨浦区五角场地区"}),
)


def _utility_guides() -> tuple[DemoEntry, ...]:
    """Water, power and gas connection guides: city-wide, and for several districts."""
    power = {
        "utility_type": U.power, "platform_name": "国网上海市电力公司", "url": YIWANGTONGBAN,
        "steps": "通过“一网通办”水电气网联合报装或“网上国网”提交用电申请\n供电企业上门勘查并答复供电方案\n"
                 "需外线工程的，由供电企业负责建设\n装表接电",
        "materials": "用电人有效身份证明或营业执照\n用电地址物业权属证明或租赁合同",
        "time_limit": "低压小微企业：无外线工程的原则上不超过5个工作日，有外线工程的按承诺时限办结",
        "fees": "低压小微企业“零投资”：表计及以前的接入工程由供电企业投资",
        "eligibility": "新装或增容用电的企业，低压小微企业享受“零上门、零审批、零投资”服务",
    }
    water = {
        "utility_type": U.water, "platform_name": "属地供水企业", "url": YIWANGTONGBAN,
        "steps": "通过“一网通办”水电气网联合报装提交用水申请\n供水企业现场踏勘并答复接水方案\n施工、验收\n装表通水",
        "materials": "营业执照\n用水地址权属证明或租赁合同\n用水设计资料（如有）",
        "time_limit": "小型项目无外线工程的原则上不超过5个工作日",
        "fees": "符合条件的小型项目接水“零投资”",
        "eligibility": "新建、改建或扩建项目需接入市政供水的企业",
    }
    gas = {
        "utility_type": U.gas, "platform_name": "上海燃气有限公司", "url": YIWANGTONGBAN,
        "steps": "通过“一网通办”水电气网联合报装提交用气申请\n燃气企业现场勘查并答复供气方案\n施工安装、验收\n通气点火",
        "materials": "营业执照\n用气地址权属证明或租赁合同\n用气设备清单",
        "time_limit": "无外线工程的小型项目原则上不超过5个工作日",
        "fees": "按本市燃气接入收费规定，小型项目可享受“零投资”",
        "eligibility": "需要接入管道天然气的企业",
    }
    guides: list[DemoEntry] = []
    for spec, name in ((power, "用电"), (water, "用水"), (gas, "用气")):
        guides.append(DemoEntry(K.utility_guide, f"上海市企业{name}接入指南",
                                f"本市企业新装、增容{name}的办理流程、材料和时限（全市通用）。", None, dict(spec)))
    for district in (D.pudong, D.xuhui, D.minhang, D.jingan, D.jiading, D.songjiang):
        for spec, name in ((power, "用电"), (water, "用水"), (gas, "用气")):
            details = dict(spec, district=district, contact=f"{district.label}企业服务中心",
                           address=f"{district.label}政务服务中心水电气网联合报装窗口")
            guides.append(DemoEntry(K.utility_guide, f"{district.label}企业{name}接入指南",
                                    f"{district.label}企业{name}报装的办理流程、材料和时限，可在区政务服务中心窗口或线上办理。",
                                    f"district.{district.value}", details))
    return tuple(guides)


DEMO_ENTRIES: tuple[DemoEntry, ...] = (*RESOURCES, *ENTRANCES, *PARKS, *_utility_guides())


async def seed_demo_directory(*, seed: int) -> int:
    """Create and publish the demo entries that do not exist yet; returns how many were
    created (0 on a second run). `seed` is accepted for the demo interface: the set is fixed."""
    organisations = {org.code: org.id for org in await Organisation.all().only("id", "code")}
    existing = set(await DirectoryEntry.all().values_list("kind", "title"))
    existing = {(str(getattr(kind, "value", kind)), title) for kind, title in existing}
    created = 0
    for position, demo in enumerate(DEMO_ENTRIES):
        if (demo.kind.value, demo.title) in existing:
            continue
        details = dict(demo.fields)
        organisation_id = organisations.get(demo.organisation) if demo.organisation else None
        if organisation_id is None and not details.get("platform_name") and demo.kind is K.resource:
            details["platform_name"] = "上海市企业服务云"
        details.setdefault("contact", HOTLINE)
        data = EntryInput(kind=demo.kind, title=demo.title, summary=demo.summary, organisation_id=organisation_id,
                          sort_order=position, **details)
        await create_entry(staff=None, data=data, publish=True)
        created += 1
    return created
