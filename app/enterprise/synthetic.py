"""A synthetic legal-person register for Shanghai: demo data and load tests without real data.

The real register holds personal data (legal representatives, phone numbers), so demos,
tests and benchmarks use this one instead. It is deterministic for a seed, so a demo or a
failing test can be reproduced, and shaped like the real thing (few large enterprises, most
of them private services firms, Pudong the largest district, recent years the busiest), so
that filters, statistics and sampling behave as they would in production.

Rows come in the import format of `app.enterprise.register_import` and are streamed: a
million rows are never held in memory at once.
"""

from __future__ import annotations

import bisect
import csv
import math
import random
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from itertools import accumulate
from pathlib import Path

from app.enterprise import credit_code
from app.enterprise.reference import District, LifecycleStage, Ownership, SizeClass
from app.enterprise.register_import import REGISTER_HEADERS

REFERENCE_DATE = date(2026, 6, 30)
"""The register's "as of" date: no enterprise is younger. Fixed, so a seed gives the same rows on any day."""
FIRST_YEAR = 1990
TAG_SEPARATOR = "；"
_PROGRESS_EVERY = 10_000


class _Weighted:
    """Draws one of `values` with the given relative weights, with one `random()` call."""

    __slots__ = ("cumulative", "total", "values")

    def __init__(self, pairs: Sequence[tuple[object, float]]) -> None:
        self.values = [value for value, _ in pairs]
        self.cumulative = list(accumulate(weight for _, weight in pairs))
        self.total = self.cumulative[-1]

    def draw(self, rng: random.Random):
        return self.values[bisect.bisect_right(self.cumulative, rng.random() * self.total)]


# -- distributions ---------------------------------------------------------------------------
# Rough shapes of Shanghai's register: relative weights, not statistics to quote.

_DISTRICTS = _Weighted(
    [
        (District.pudong, 22),
        (District.minhang, 9),
        (District.jiading, 8),
        (District.songjiang, 8),
        (District.baoshan, 7),
        (District.fengxian, 7),
        (District.qingpu, 6),
        (District.jinshan, 4),
        (District.xuhui, 4.5),
        (District.jingan, 4.5),
        (District.yangpu, 4),
        (District.putuo, 4),
        (District.changning, 3),
        (District.huangpu, 3),
        (District.hongkou, 3),
        (District.chongming, 2),
    ]
)
_SIZES = _Weighted(
    [(SizeClass.micro, 70), (SizeClass.small, 20), (SizeClass.medium, 4), (SizeClass.large, 1), (SizeClass.individual, 5)]
)
_OWNERSHIP_BY_SIZE = {
    SizeClass.individual: _Weighted([(Ownership.private, 1)]),
    SizeClass.micro: _Weighted(
        [(Ownership.private, 88), (Ownership.foreign, 5), (Ownership.hmt, 4), (Ownership.local_soe, 1.2), (Ownership.central_soe, 0.3), (Ownership.other, 1.5)]
    ),
    SizeClass.medium: _Weighted(
        [(Ownership.private, 70), (Ownership.foreign, 12), (Ownership.hmt, 6), (Ownership.local_soe, 7), (Ownership.central_soe, 3), (Ownership.other, 2)]
    ),
    SizeClass.large: _Weighted(
        [(Ownership.private, 45), (Ownership.foreign, 18), (Ownership.hmt, 7), (Ownership.local_soe, 18), (Ownership.central_soe, 10), (Ownership.other, 2)]
    ),
}
_OWNERSHIP_BY_SIZE[SizeClass.small] = _OWNERSHIP_BY_SIZE[SizeClass.micro]

_SECTION_WEIGHTS = {
    "F": 24, "L": 17, "M": 13, "C": 10, "I": 9, "E": 5, "G": 5, "H": 3, "R": 3, "K": 2.5,
    "O": 2.5, "J": 1.5, "N": 1.2, "P": 1, "A": 0.8, "Q": 0.6, "D": 0.4, "B": 0.05,
}  # fmt: skip
_DIVISION_WEIGHTS: dict[str, dict[str, float]] = {
    "A": {"01": 50, "02": 10, "03": 10, "04": 15, "05": 15},
    "B": {"10": 60, "11": 30, "12": 10},
    "C": {
        "13": 2, "14": 4, "15": 1, "17": 3, "18": 5, "19": 1, "20": 1, "21": 2, "22": 2, "23": 4, "24": 3,
        "25": 0.3, "26": 7, "27": 5, "28": 0.5, "29": 6, "30": 3, "31": 0.5, "32": 1, "33": 8, "34": 10,
        "35": 9, "36": 6, "37": 2, "38": 8, "39": 10, "40": 4, "41": 1, "42": 1, "43": 1,
    },
    "D": {"44": 60, "45": 20, "46": 20},
    "E": {"47": 25, "48": 20, "49": 25, "50": 30},
    "F": {"51": 62, "52": 38},
    "G": {"53": 0.5, "54": 30, "55": 5, "56": 1, "57": 0.2, "58": 38, "59": 22, "60": 3},
    "H": {"61": 15, "62": 85},
    "I": {"63": 5, "64": 22, "65": 73},
    "J": {"66": 5, "67": 40, "68": 5, "69": 50},
    "K": {"70": 1},
    "L": {"71": 8, "72": 92},
    "M": {"73": 20, "74": 40, "75": 40},
    "N": {"76": 3, "77": 45, "78": 50, "79": 2},
    "O": {"80": 55, "81": 25, "82": 20},
    "P": {"83": 1},
    "Q": {"84": 85, "85": 15},
    "R": {"86": 10, "87": 20, "88": 35, "89": 20, "90": 15},
}  # fmt: skip


def _industries(section_weights: dict[str, float]) -> _Weighted:
    pairs = []
    for section, weight in section_weights.items():
        divisions = _DIVISION_WEIGHTS[section]
        total = sum(divisions.values())
        pairs += [((section, division), weight * share / total) for division, share in divisions.items()]
    return _Weighted(pairs)


_INDUSTRIES_SME = _industries(_SECTION_WEIGHTS)
# Larger enterprises are more often factories than the register as a whole.
_INDUSTRIES_LARGER = _industries({**_SECTION_WEIGHTS, "C": _SECTION_WEIGHTS["C"] * 3, "J": 3, "K": 4})
_INDUSTRIES_INDIVIDUAL = _Weighted(
    [(("F", "52"), 50), (("H", "62"), 25), (("O", "80"), 15), (("O", "81"), 5), (("E", "50"), 3), (("G", "54"), 2)]
)

# Registered capital in 万元: log-normal (median, sigma) by size class.
_CAPITAL = {
    SizeClass.individual: (5, 1.0),
    SizeClass.micro: (30, 1.1),
    SizeClass.small: (200, 1.0),
    SizeClass.medium: (1500, 1.0),
    SizeClass.large: (15000, 1.2),
}


def _years(growth: float) -> _Weighted:
    """Establishment years growing by `growth` a year; the reference year counts for its elapsed part."""
    last = REFERENCE_DATE.year
    elapsed = (REFERENCE_DATE - date(last, 1, 1)).days / 365
    return _Weighted(
        [(year, math.exp(growth * (year - FIRST_YEAR)) * (elapsed if year == last else 1)) for year in range(FIRST_YEAR, last + 1)]
    )


_YEARS = {
    SizeClass.individual: _years(0.13),
    SizeClass.micro: _years(0.12),
    SizeClass.small: _years(0.09),
    SizeClass.medium: _years(0.05),
    SizeClass.large: _years(0.02),
}

_STAGES_BY_AGE = (
    (3, _Weighted([(LifecycleStage.startup, 90), (LifecycleStage.growth, 10)])),
    (10, _Weighted([(LifecycleStage.startup, 5), (LifecycleStage.growth, 70), (LifecycleStage.expansion, 15), (LifecycleStage.decline, 10)])),
    (1000, _Weighted([(LifecycleStage.growth, 20), (LifecycleStage.expansion, 55), (LifecycleStage.decline, 25)])),
)

# -- names -----------------------------------------------------------------------------------

_BRAND_CHARS = (
    "华鑫盛泰宏达瑞恒博创鼎嘉润祥通锦汇源凯晟昊睿朗星辰联优智融澜启航远新德信安丰隆兴科谷云海峰众捷易拓逸骏卓晨阳"
    "光明磊伟衡正诚品尚悦禾乐思维迈腾翔耀璟琪毅铭杰沃蓝青川湘申浦江淞银金宇天地合和美佳富贵康健力行道立中东南北"
    "亿万千百方圆宸钧晖煜灏泓沁岚霖森林木子米果豆橙桔柏松竹梅兰菊荣昌旺福顺吉利臻致远景鸿鹏飞龙凤麒麟虎狮象鹰"
)
_PHRASES: dict[str, tuple[str, ...]] = {
    "01": ("农业发展", "农业科技", "果蔬种植"), "02": ("林业发展", "苗木"), "03": ("畜牧", "养殖"), "04": ("水产", "渔业"),
    "05": ("农业服务", "农业技术服务"), "10": ("矿业",), "11": ("勘探技术",), "12": ("矿业",),
    "13": ("粮油", "农副产品"), "14": ("食品", "食品科技"), "15": ("饮品", "茶业"), "17": ("纺织", "纺织科技"),
    "18": ("服饰", "制衣"), "19": ("鞋业", "皮具"), "20": ("木业",), "21": ("家具",), "22": ("纸业", "包装材料"),
    "23": ("印刷", "印务"), "24": ("文具", "体育用品", "工艺品"), "25": ("能源科技",), "26": ("化工", "新材料", "化学科技"),
    "27": ("生物医药", "制药", "药业"), "28": ("化纤",), "29": ("塑料制品", "橡塑制品"), "30": ("建材", "玻璃制品"),
    "31": ("钢铁制品",), "32": ("有色金属",), "33": ("金属制品", "五金"), "34": ("机械", "机电设备", "精密机械"),
    "35": ("医疗器械", "自动化设备", "专用设备"), "36": ("汽车零部件", "汽车配件"), "37": ("船舶设备", "航空科技"),
    "38": ("电气", "电器", "新能源科技"), "39": ("电子科技", "微电子", "半导体"), "40": ("仪器仪表", "测控技术"),
    "41": ("实业", "制造"), "42": ("再生资源", "资源回收"), "43": ("设备维修", "机电维修"),
    "44": ("能源", "新能源", "电力工程"), "45": ("燃气",), "46": ("水务",),
    "47": ("建设工程", "建筑工程"), "48": ("市政工程", "土木工程"), "49": ("机电安装工程", "安装工程"),
    "50": ("建筑装饰工程", "装饰工程", "装潢"), "51": ("贸易", "商贸", "国际贸易", "进出口"),
    "52": ("商贸", "商业", "百货"), "53": ("铁路物流",), "54": ("物流", "运输", "货运"), "55": ("航运", "船务"),
    "56": ("航空服务",), "57": ("管道运输",), "58": ("国际货运代理", "供应链管理", "物流"), "59": ("仓储", "仓储服务"),
    "60": ("快递", "速递"), "61": ("酒店管理", "宾馆"), "62": ("餐饮管理", "餐饮"), "63": ("通信技术", "通讯"),
    "64": ("网络科技", "互联网科技", "数字科技"), "65": ("信息科技", "软件科技", "信息技术", "数据科技", "智能科技"),
    "66": ("金融信息服务",), "67": ("投资管理", "资产管理", "私募基金管理"), "68": ("保险代理", "保险经纪"),
    "69": ("融资租赁", "商业保理", "投资"), "70": ("房地产开发", "物业管理", "置业"),
    "71": ("设备租赁", "汽车租赁"), "72": ("企业管理咨询", "商务咨询", "企业发展", "文化传播", "广告", "人力资源", "会展服务"),
    "73": ("生物科技", "医药科技", "新材料科技"), "74": ("检测技术", "工程技术", "工程设计", "环境科技"),
    "75": ("科技", "科技发展", "技术服务"), "76": ("水利工程",), "77": ("环保科技", "环境工程"), "78": ("园林绿化", "市政设施管理"),
    "79": ("土地整理",), "80": ("家政服务", "保洁服务"), "81": ("汽车维修", "电器维修"), "82": ("咨询服务", "服务"),
    "83": ("教育科技", "培训"), "84": ("医疗管理", "健康管理"), "85": ("养老服务", "社会工作服务"),
    "86": ("出版", "文化出版"), "87": ("影视传媒", "影视制作"), "88": ("文化艺术", "文化发展"), "89": ("体育发展", "健身"),
    "90": ("娱乐", "文化娱乐"),
}  # fmt: skip
_SHOPS: dict[str, tuple[str, ...]] = {
    "52": ("便利店", "水果店", "烟杂店", "五金店", "服装店", "超市", "食品店"),
    "62": ("小吃店", "面馆", "餐饮店", "饭店", "早餐店", "馄饨店"),
    "80": ("理发店", "美容店", "洗衣店", "家政服务部"),
    "81": ("汽车修理部", "电器维修部", "修理店"),
    "50": ("装潢工作室", "装饰部"),
    "54": ("货运部", "运输服务部"),
}
_SURNAMES = _Weighted(
    [(name, weight) for weight, names in (
        (7.0, "王李张"), (5.5, "刘陈"), (3.0, "杨黄赵吴周"), (2.0, "徐孙马朱胡郭何林高罗"),
        (1.3, "郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"),
        (0.7, "姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴莫孔向汤"),
    ) for name in names]
    + [("欧阳", 0.1), ("上官", 0.03), ("司徒", 0.03)]
)  # fmt: skip
_GIVEN_CHARS = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀英霞平刚桂华建国文辉斌俊峰波宇浩然欣怡佳琪子涵雨轩梓萱晨阳思远嘉怡一鸣志强海燕晓东红梅立新春雷雪莹宏亮家豪诗琪"
_FOREIGN_NAMES = ("约翰·史密斯", "大卫·威廉姆斯", "迈克尔·布朗", "山田太郎", "佐藤健一", "金民俊", "朴成浩", "彼得·施密特", "让·杜邦", "安德鲁·李")
_ROADS: dict[District, tuple[str, ...]] = {
    District.huangpu: ("南京东路", "淮海中路", "西藏中路", "延安东路", "河南中路", "复兴中路"),
    District.xuhui: ("漕溪北路", "虹桥路", "宜山路", "田林路", "龙华中路", "钦州北路"),
    District.changning: ("长宁路", "仙霞路", "延安西路", "天山路", "遵义路", "金钟路"),
    District.jingan: ("南京西路", "共和新路", "万航渡路", "江场路", "大统路", "汶水路"),
    District.putuo: ("真北路", "曹杨路", "中山北路", "武宁路", "金沙江路", "同普路"),
    District.hongkou: ("四川北路", "东大名路", "大连路", "曲阳路", "广纪路", "海伦路"),
    District.yangpu: ("国定路", "政立路", "黄兴路", "控江路", "长阳路", "周家嘴路"),
    District.minhang: ("沪闵路", "七莘路", "剑川路", "江川路", "都市路", "紫星路"),
    District.baoshan: ("友谊路", "牡丹江路", "沪太路", "长江西路", "泰和路", "蕰川路"),
    District.jiading: ("嘉罗公路", "曹安公路", "博园路", "墨玉路", "叶城路", "胜辛路"),
    District.pudong: ("张江路", "世纪大道", "陆家嘴环路", "川沙路", "祖冲之路", "碧波路", "杨高南路", "金科路", "科苑路", "航头路"),
    District.jinshan: ("金山大道", "卫清西路", "亭卫公路", "蒙山路", "龙胜路"),
    District.songjiang: ("文诚路", "荣乐东路", "泗泾路", "九新公路", "中山中路", "沪松公路"),
    District.qingpu: ("外青松公路", "公园路", "崧泽大道", "盈港东路", "华徐公路"),
    District.fengxian: ("南奉公路", "环城东路", "金海公路", "望园路", "沪杭公路"),
    District.chongming: ("八一路", "翠竹路", "北沿公路", "陈海公路", "园区路"),
}
_MOBILE_PREFIXES = ("138", "139", "137", "136", "135", "150", "151", "152", "158", "159", "186", "187", "188", "189", "177", "180")

# -- unique credit codes ---------------------------------------------------------------------
# Row i gets the organisation code p(i), p a bijection (a*i + b mod m) of the code space, so codes
# are unique without remembering them. Enterprises founded since the 2015 reform carry codes
# assigned by the new system ("MA" + 6 characters); older ones an 8-digit organisation code.
_NEW_SPACE = len(credit_code.CHARSET) ** 6
_OLD_SPACE = 10**8
_NEW_MULTIPLIER = 566_161_317  # not a multiple of 31: a bijection of the 31^6 space
_OLD_MULTIPLIER = 61_803_399  # odd and not a multiple of 5: a bijection of the 10^8 space


def _body(index: int, offset: int, *, new: bool) -> str:
    if new:
        value = (_NEW_MULTIPLIER * index + offset) % _NEW_SPACE
        chars = credit_code.CHARSET
        tail = ""
        for _ in range(6):
            value, digit = divmod(value, 31)
            tail = chars[digit] + tail
        return "MA" + tail
    return f"{(_OLD_MULTIPLIER * index + offset) % _OLD_SPACE:08d}"


# -- rows ------------------------------------------------------------------------------------


def generate_enterprises(count: int, *, seed: int = 2017) -> Iterator[dict[str, str]]:
    """`count` synthetic register rows as dicts keyed by the import headers (统一社会信用代码, …),
    values as a CSV export writes them. Same seed, same rows; a longer run starts with the rows
    of a shorter one. Credit codes are valid and unique within a run."""
    for row in _rows(count, seed):
        yield dict(zip(REGISTER_HEADERS, row))


def write_register_csv(
    path: Path,
    count: int,
    *,
    seed: int = 2017,
    progress: Callable[[int, int], None] | None = None,
    encoding: str = "utf-8-sig",
) -> None:
    """Stream `count` rows to a CSV file (UTF-8 with BOM, as Excel opens it; pass
    `encoding="gb18030"` for what older government systems export)."""
    path = Path(path)
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(REGISTER_HEADERS)
        _write_rows(writer.writerow, _rows(count, seed), count, progress)


def write_register_xlsx(
    path: Path,
    count: int,
    *,
    seed: int = 2017,
    progress: Callable[[int, int], None] | None = None,
) -> None:
    """Stream `count` rows to an XLSX workbook (openpyxl's write-only mode), with dates as
    Excel dates and capital as numbers, as a spreadsheet export has them. Much slower than
    CSV: meant for demo-sized files (Excel stops at 1,048,575 data rows anyway)."""
    from openpyxl import Workbook

    capital_index = REGISTER_HEADERS.index("注册资本(万元)")
    date_index = REGISTER_HEADERS.index("成立日期")
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("法人库")
    sheet.append(list(REGISTER_HEADERS))

    def typed(row: list) -> list:
        row[capital_index] = float(row[capital_index])
        row[date_index] = date.fromisoformat(row[date_index])
        return row

    _write_rows(lambda row: sheet.append(typed(row)), _rows(count, seed), count, progress)
    workbook.save(Path(path))


def _write_rows(
    write: Callable[[list], object], rows: Iterator[list], count: int, progress: Callable[[int, int], None] | None
) -> None:
    done = 0
    for row in rows:
        write(row)
        done += 1
        if progress is not None and done % _PROGRESS_EVERY == 0:
            progress(done, count)
    if progress is not None:
        progress(done, count)


def _rows(count: int, seed: int) -> Iterator[list]:
    """The rows, as lists in `REGISTER_HEADERS` order."""
    if count < 0:
        raise ValueError("count must not be negative")
    rng = random.Random(seed)
    offsets = (rng.randrange(_NEW_SPACE), rng.randrange(_OLD_SPACE))
    random_ = rng.random
    choice = rng.choice
    reference = REFERENCE_DATE.toordinal()
    reform_year = 2016
    for index in range(count):
        district = _DISTRICTS.draw(rng)
        size = _SIZES.draw(rng)
        ownership = _OWNERSHIP_BY_SIZE[size].draw(rng)
        if size is SizeClass.individual:
            section, division = _INDUSTRIES_INDIVIDUAL.draw(rng)
        elif size is SizeClass.micro or size is SizeClass.small:
            section, division = _INDUSTRIES_SME.draw(rng)
        else:
            section, division = _INDUSTRIES_LARGER.draw(rng)

        year = _YEARS[size].draw(rng)
        first_day = date(year, 1, 1).toordinal()
        last_day = min(date(year, 12, 31).toordinal(), reference)
        established = date.fromordinal(first_day + int(random_() * (last_day - first_day + 1)))
        age = (reference - established.toordinal()) / 365.25
        stage = next(weighted for limit, weighted in _STAGES_BY_AGE if age < limit).draw(rng)
        if stage is LifecycleStage.decline and size is SizeClass.large and random_() < 0.5:
            stage = LifecycleStage.expansion

        median, sigma = _CAPITAL[size]
        capital = _capital(rng.lognormvariate(math.log(median), sigma), exact=ownership in (Ownership.foreign, Ownership.hmt))

        body = _body(index, offsets[year >= reform_year], new=year >= reform_year)
        category = "2" if size is SizeClass.individual else "1"
        code = credit_code.compose(division=district.value, body=body, category=category)

        brand = choice(_BRAND_CHARS) + choice(_BRAND_CHARS)
        if size is SizeClass.individual:
            name = f"上海市{district.label}{brand}{choice(_SHOPS[division])}"
            tags = ""
        else:
            name = _company_name(rng, brand, _PHRASES[division], size, ownership)
            tags = _tags(rng, section, size, age)

        if ownership in (Ownership.foreign, Ownership.hmt) and random_() < 0.15:
            person = choice(_FOREIGN_NAMES)
        else:
            given = choice(_GIVEN_CHARS) if random_() < 0.3 else choice(_GIVEN_CHARS) + choice(_GIVEN_CHARS)
            person = _SURNAMES.draw(rng) + given

        address = f"上海市{district.label}{choice(_ROADS[district])}{int(random_() * 2000) + 1}号"
        if random_() < 0.6:
            address += f"{int(random_() * 12) + 1}幢{int(random_() * 20) + 1}{int(random_() * 30) + 1:02d}室"
        # The digits a masked screen hides (138****1234) are zeros: the file reveals nothing more
        # than the masked display, and the numbers are unlikely to be anyone's.
        tail = f"{int(random_() * 10000):04d}"
        phone = f"{choice(_MOBILE_PREFIXES)}0000{tail}" if random_() < 0.45 else f"021-{choice('2356')}000{tail}"

        yield [
            code,
            name,
            person,
            district.label,
            section,
            division,
            size.label,
            ownership.label,
            capital,
            established.isoformat(),
            stage.label,
            tags,
            address,
            phone,
        ]


def _capital(amount: float, *, exact: bool) -> str:
    """As registers show it: round figures (50, 300, 1500) for most, cents for capital converted
    from a foreign currency."""
    if exact or amount < 1:
        return f"{amount:.2f}"
    magnitude = 10 ** math.floor(math.log10(amount))
    return str(int(max(1, round(amount / magnitude * 2)) * magnitude // 2)) if magnitude > 1 else str(max(1, round(amount)))


def _company_name(rng: random.Random, brand: str, phrases: tuple[str, ...], size: SizeClass, ownership: Ownership) -> str:
    phrase = rng.choice(phrases)
    form = "股份有限公司" if size in (SizeClass.medium, SizeClass.large) and rng.random() < 0.3 else "有限公司"
    if ownership in (Ownership.foreign, Ownership.hmt) and rng.random() < 0.5:
        return f"{brand}（上海）{phrase}{form}"
    if ownership is Ownership.central_soe and rng.random() < 0.5:
        return f"中{brand[0]}（上海）{phrase}{form}"
    return f"上海{brand}{phrase}{form}"


def _tags(rng: random.Random, section: str, size: SizeClass, age: float) -> str:
    """Sparse and plausible: certifications go mostly to manufacturers and technology firms, and
    to small or medium ones that have been around for a while."""
    technology = section in ("C", "I", "M")
    tags = []
    high_tech = {SizeClass.micro: 0.03, SizeClass.small: 0.10, SizeClass.medium: 0.20, SizeClass.large: 0.30}[size]
    if rng.random() < (high_tech if technology else 0.003):
        tags.append("高新技术企业")
    if size is not SizeClass.large and rng.random() < (0.08 if technology else 0.005):
        tags.append("科技型中小企业")
    specialised = {SizeClass.micro: 0.005, SizeClass.small: 0.04, SizeClass.medium: 0.10, SizeClass.large: 0.0}[size]
    if age >= 3 and rng.random() < (specialised if technology else 0.002):
        tags.append("专精特新")
        if size is SizeClass.medium and rng.random() < 0.2:
            tags.append("专精特新小巨人")
    return TAG_SEPARATOR.join(tags)
