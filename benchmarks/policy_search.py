"""Benchmark: policy search over 50,000 generated policies.

    python benchmarks/policy_search.py                    # a temporary SQLite file (FTS5)
    python benchmarks/policy_search.py --policies 10000
    python benchmarks/policy_search.py --database-url postgres://postgres@127.0.0.1:5432/postgres

Generates policies from templates and the policy dictionary (titles, summaries and bodies of
a few hundred characters, statuses, dates, application windows, districts, issuers), inserts
them, builds the index with `rebuild_index` (jieba segmentation plus the native index writes)
and then times `search_policies` end to end (query analysis, the ranked query, loading the
hits, snippets) for a mix of queries: common and rare terms, synonyms, long natural-language
questions, filters, deep pages and queries without hits. Prints the insert and build times and
latency p50/p95/p99 per kind of query and overall, with the machine line.

With a PostgreSQL URL the benchmark creates its own scratch database on that server and drops
it afterwards; the schema comes from the project's migrations, as in production. With
`--reuse-database` it only times the queries, on a database that already holds the generated
policies and their index (the callback benchmark seeds the same ones, with the same generator
and seed, into `qiyun_bench_callback`):

    python benchmarks/policy_search.py --reuse-database \
        --database-url postgres://postgres@127.0.0.1:5432/qiyun_bench_callback --redis-url redis://127.0.0.1:6379/8

With `--redis-url` the mix is timed a second time through the shared page cache the chat, the
H5 pages and the mini-program use (`app.policy.search_cache`, POLICY_SEARCH_CACHE_SECONDS):
what a query someone asked a moment ago costs. The Redis database is flushed first.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import resource
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tortoise import connections  # noqa: E402

from app import db  # noqa: E402
from app.enterprise.reference import District  # noqa: E402
from app.organisation.models import Organisation, OrganisationKind  # noqa: E402
from app.policy import segment  # noqa: E402
from app.policy.models import Policy, PolicyStatus, SupportType  # noqa: E402
from app.policy.search import SearchFilters, rebuild_index, search_policies  # noqa: E402
from app.policy.search_cache import SearchPageCache  # noqa: E402
from app.redis_client import connect  # noqa: E402
from benchmarks.support import (  # noqa: E402
    database_version,
    drop_database,
    machine_line,
    percentile,
    require_loopback,
    scratch_database,
)

TODAY = date(2024, 6, 1)

ISSUERS = [
    ("上海市经济和信息化委员会", "市经信委"), ("上海市科学技术委员会", "市科委"), ("上海市发展和改革委员会", "市发改委"),
    ("上海市财政局", "市财政局"), ("上海市人力资源和社会保障局", "市人社局"), ("上海市商务委员会", "市商务委"),
    ("上海市地方金融监督管理局", "市金融局"), ("国家税务总局上海市税务局", "市税务局"), ("上海市知识产权局", "市知识产权局"),
    ("上海市住房和城乡建设管理委员会", "市住建委"), ("浦东新区科技和经济委员会", "浦东科经委"), ("徐汇区科学技术委员会", "徐汇区科委"),
    ("闵行区经济委员会", "闵行区经委"), ("嘉定区人民政府", "嘉定区政府"), ("杨浦区商务委员会", "杨浦区商务委"),
    ("松江区科学技术委员会", "松江区科委"), ("临港新片区管理委员会", "临港管委会"), ("张江科学城建设管理办公室", "张江管理局"),
]
SUBJECTS = [
    "集成电路", "生物医药", "人工智能", "高端装备", "新材料", "新能源汽车", "软件和信息服务业", "文化创意", "数字化转型",
    "智能制造", "工业互联网", "绿色制造", "节能减排", "跨境电商", "总部经济", "服务业", "现代农业", "航运物流", "会展经济",
]
MEASURES = {
    SupportType.subsidy: ["研发费用资助", "专项资金扶持", "技术改造补贴", "首台套奖励", "专利资助", "创新券补贴", "品牌建设奖励",
                          "中小企业发展专项资金", "服务业发展引导资金", "展会补贴", "稳岗补贴", "开办费补贴"],
    SupportType.tax: ["研发费用加计扣除", "增值税留抵退税", "企业所得税优惠", "即征即退", "房产税减免", "城镇土地使用税减免",
                      "社会保险费缓缴", "印花税减免"],
    SupportType.qualification: ["高新技术企业认定", "专精特新企业认定", "小巨人企业培育", "企业技术中心认定", "技术先进型服务企业认定",
                                "瞪羚企业评选", "科技型中小企业评价", "制造业单项冠军培育"],
    SupportType.financing: ["贷款贴息", "融资担保费补贴", "知识产权质押融资", "首贷服务", "信用贷款风险补偿", "上市挂牌奖励",
                            "供应链金融支持", "创业担保贷款"],
    SupportType.talent: ["人才公寓", "人才引进落户", "租房补贴", "领军人才资助", "青年人才培养", "职业技能培训补贴",
                         "博士后工作站资助", "居住证积分"],
    SupportType.premises: ["房租减免", "租金补贴", "标准厂房支持", "孵化器建设补贴", "众创空间支持", "产业园区入驻优惠"],
    SupportType.other: ["营商环境优化", "一网通办服务", "政府采购支持", "惠企政策免申即享"],
}
SUPPORT_WEIGHTS = {
    SupportType.subsidy: 35, SupportType.tax: 12, SupportType.qualification: 12, SupportType.financing: 15,
    SupportType.talent: 12, SupportType.premises: 8, SupportType.other: 6,
}
TITLE_TEMPLATES = [
    "关于印发《{place}促进{subject}发展若干措施》的通知",
    "关于开展{year}年度{measure}申报工作的通知",
    "{place}{subject}{measure}实施细则",
    "关于进一步支持{subject}企业{measure}的若干意见",
    "{place}关于{measure}的管理办法",
    "关于做好{year}年{measure}工作的通知",
]
GENERIC_CLAUSES = [
    "为深入贯彻落实国家和本市有关决策部署，进一步优化营商环境，支持{subject}高质量发展，制定本{doc}。",
    "本{doc}适用于在本市依法登记注册、具有独立法人资格、财务制度健全的企业和机构。",
    "申报单位应当近三年内无严重失信行为，未发生重大安全生产和环境污染事故。",
    "申报材料通过一网通办平台提交，由区主管部门初审后报市级部门复核，结果在网站公示。",
    "各区应当结合本区产业特点制定配套措施，形成市区联动、协同推进的工作格局。",
    "对弄虚作假、骗取财政资金的，依法追回已拨付资金，并纳入公共信用信息服务平台。",
    "相关资金的使用和管理接受财政、审计部门的监督检查，确保使用安全高效。",
    "本{doc}自发布之日起施行，有效期{years}年，由{issuer}负责解释。",
    "各部门应当加强政策宣传解读，做好咨询服务，提高企业获得感。",
    "对实施过程中发现的问题，应当及时研究解决，重大事项报市政府决定。",
]
TYPE_CLAUSES = {
    SupportType.subsidy: [
        "对经认定的{qualification}，按照其上年度研发投入的一定比例给予资助，最高不超过{amount}万元。",
        "支持{size}企业开展技术改造和数字化转型，对设备投资额给予{percent}%的补贴，单个项目不超过{amount}万元。",
        "对首台套、首批次、首版次产品，按合同金额的{percent}%给予奖励。",
        "鼓励企业参加境外展会，对展位费给予{percent}%的补贴，每家企业每年不超过{amount}万元。",
        "对获得发明专利授权的企业给予专利资助，对获得政府质量奖、驰名商标的企业给予奖励。",
        "对吸纳就业困难人员的{size}企业，按实际招用人数给予一次性补贴，并落实稳岗返还政策。",
        "支持{subject}领域的新型研发机构建设，对承担国家重大科技项目的给予配套扶持。",
    ],
    SupportType.tax: [
        "企业开展研发活动实际发生的研发费用，按规定实行研发费用加计扣除。",
        "符合条件的{size}企业，可以按月全额退还增值税增量留抵税额。",
        "对经认定的高新技术企业，减按15%的税率征收企业所得税。",
        "软件企业销售其自行开发的软件产品，增值税实际税负超过3%的部分实行即征即退。",
        "对生产经营困难的企业，可以申请减免房产税、城镇土地使用税。",
        "税收优惠由税务部门按规定办理，实行免申即享，企业无需另行申请。",
    ],
    SupportType.qualification: [
        "申请认定的企业应当拥有核心自主知识产权，研发费用占销售收入的比例不低于{percent}%。",
        "专精特新企业应当专注细分市场，主营业务收入占营业收入的比重不低于70%。",
        "对首次认定为{qualification}的企业，给予一次性奖励{amount}万元。",
        "认定有效期为三年，有效期内企业发生重大变化的应当及时报告。",
        "认定工作按照企业申请、专家评审、社会公示、发文认定的程序进行。",
        "支持企业建设企业技术中心、工程技术研究中心和重点实验室。",
    ],
    SupportType.financing: [
        "鼓励金融机构为{subject}企业提供信用贷款，对企业实际支付的利息给予贴息，贴息比例不超过{percent}%。",
        "对融资担保机构为{size}企业提供的担保，给予担保费补贴和风险补偿。",
        "支持企业开展知识产权质押融资，对评估、担保等费用给予补贴。",
        "支持企业上市挂牌，对在科创板、北交所上市的企业分阶段给予奖励。",
        "发挥政府引导基金作用，带动社会资本投资{subject}领域的初创企业。",
        "对首次获得银行贷款的小微企业，给予首贷贴息支持。",
    ],
    SupportType.talent: [
        "对新引进的{subject}领域领军人才，给予人才公寓或租房补贴，并在子女入学等方面提供便利。",
        "符合条件的高层次人才可以直接落户，其配偶和未成年子女可以随迁。",
        "对企业开展职业技能培训的，按照培训人数给予培训补贴。",
        "支持企业设立博士后工作站，对新进站的博士后给予资助。",
        "在居住证积分、人才安居等方面给予青年人才支持。",
        "对企业引进的急需紧缺人才，给予一次性安家补贴。",
    ],
    SupportType.premises: [
        "对租用产业园区标准厂房的{size}企业，三年内给予房租减免或租金补贴。",
        "支持建设科技企业孵化器和众创空间，对新认定的给予建设补贴。",
        "对在本市设立跨国公司地区总部或研发中心的，给予开办费补贴和办公用房支持。",
        "国有企业出租的经营用房，对小微企业和个体工商户减免租金。",
    ],
    SupportType.other: [
        "推进惠企政策免申即享，实现政策精准推送、快速兑现。",
        "政府采购向中小企业倾斜，预留份额不低于{percent}%。",
        "建立企业诉求快速响应机制，对企业反映的问题限时办结。",
    ],
}
QUALIFICATIONS = ["高新技术企业", "专精特新企业", "小巨人企业", "科技型中小企业", "企业技术中心", "技术先进型服务企业"]
SIZES = ["小微", "中小", "科技型中小", "规上", "民营", "外资"]
DOCS = ["办法", "细则", "措施", "通知"]

QUERIES = {
    "common term": ["研发补贴", "专精特新", "贷款贴息", "人才公寓", "稳岗补贴", "高新技术企业", "数字化转型", "房租减免"],
    "rare term": ["瞪羚企业", "博士后工作站", "首贷", "印花税", "会展经济", "航运物流"],
    "synonym": ["科研资助", "融资扶持", "技术开发奖励", "租金补助"],
    "question": ["有没有针对小微企业的融资支持政策", "浦东新区集成电路企业研发费用有什么补贴", "我们是科技型中小企业可以申请哪些资金扶持"],
    "no hits": ["火星移民", "区块链元宇宙"],
}


def weighted_choice(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def generate_policy(rng: random.Random, number: int, issuer_names: list[tuple[str, str]]) -> tuple[Policy, list[int]]:
    kind = weighted_choice(rng, SUPPORT_WEIGHTS)
    measure = rng.choice(MEASURES[kind])
    subject = rng.choice(SUBJECTS)
    issuers = rng.sample(range(len(issuer_names)), k=rng.choice((1, 1, 1, 2)))
    district = rng.choice(list(District)) if rng.random() < 0.5 else None
    place = district.label if district else "上海市"
    published = date(2017, 1, 1) + timedelta(days=rng.randrange((TODAY - date(2017, 1, 1)).days))
    fill = {
        "place": place, "subject": subject, "measure": measure, "year": published.year, "doc": rng.choice(DOCS),
        "qualification": rng.choice(QUALIFICATIONS), "size": rng.choice(SIZES), "amount": rng.choice((20, 50, 100, 200, 500)),
        "percent": rng.choice((10, 20, 30, 50)), "years": rng.choice((2, 3, 5)), "issuer": issuer_names[issuers[0]][0],
    }
    title = rng.choice(TITLE_TEMPLATES).format(**fill)
    own = TYPE_CLAUSES[kind]
    clauses = [*rng.sample(GENERIC_CLAUSES, k=rng.randint(3, 6)), *rng.choices(own, k=rng.randint(6, 14))]
    if rng.random() < 0.3:  # some policies cover several kinds of support
        clauses += rng.sample(TYPE_CLAUSES[weighted_choice(rng, SUPPORT_WEIGHTS)], k=2)
    body = "\n".join(f"第{index}条 " + clause.format(**fill) for index, clause in enumerate(clauses, 1))
    summary = f"支持{place}{subject}企业{measure}。" + rng.choice(own).format(**fill)
    expiry = published + timedelta(days=365 * fill["years"])
    status = rng.choices(
        [PolicyStatus.published, PolicyStatus.expired, PolicyStatus.draft, PolicyStatus.withdrawn], weights=[80, 12, 6, 2]
    )[0]
    apply_start = published + timedelta(days=rng.randrange(0, 60)) if rng.random() < 0.7 else None
    return Policy(
        id=number, title=title[:200], doc_number=f"沪{rng.choice(('经信', '科', '人社', '发改'))}规〔{published.year}〕{number}号",
        publish_date=published, effective_date=published, expiry_date=expiry if rng.random() < 0.8 else None,
        summary=summary, body=body, support_type=kind,
        amount_min=None, amount_max=Decimal(fill["amount"]),
        apply_start=apply_start, apply_end=apply_start + timedelta(days=rng.choice((30, 90, 365))) if apply_start else None,
        status=status, targeting={"districts": [district.value]} if district and rng.random() < 0.8 else {},
    ), [issuer + 1 for issuer in issuers]


async def insert_policies(url: str, count: int, seed: int) -> tuple[float, int]:
    """Insert `count` generated policies with issuers; returns (seconds, characters of text)."""
    started = time.perf_counter()
    rng = random.Random(seed)
    await Organisation.bulk_create([
        Organisation(id=index + 1, code=f"bench.{index}", name=name, short_name=short, kind=OrganisationKind.city_department)
        for index, (name, short) in enumerate(ISSUERS)
    ])
    characters = 0
    connection = connections.get("default")
    placeholder = "$1, $2" if db.backend_name(url) == "postgres" else "?, ?"
    for first in range(1, count + 1, 2000):
        batch, links = [], []
        for number in range(first, min(count, first + 1999) + 1):
            policy, issuers = generate_policy(rng, number, ISSUERS)
            characters += len(policy.title) + len(policy.summary) + len(policy.body)
            batch.append(policy)
            links.extend([number, issuer] for issuer in issuers)
        await Policy.bulk_create(batch)
        await connection.execute_many(f"INSERT INTO policy_issuer (policy_id, organisation_id) VALUES ({placeholder})", links)
    return time.perf_counter() - started, characters


async def time_queries(rounds: int, *, cache: SearchPageCache | None = None) -> None:
    rng = random.Random(7)
    cases: list[tuple[str, str, SearchFilters | None, int]] = []
    for kind, queries in QUERIES.items():
        cases += [(kind, query, None, 0) for query in queries]
    common = QUERIES["common term"]
    cases += [("filtered", query, SearchFilters(district=District.pudong, open_now=True), 0) for query in common[:4]]
    cases += [("filtered", query, SearchFilters(support_types=[SupportType.financing], organisation_id=7), 0) for query in common[4:]]
    cases += [("page 10", query, None, 90) for query in common[:4]]
    cases += [("empty query", "", None, 0), ("empty query", "", SearchFilters(district=District.xuhui), 0)]

    for _, query, filters, offset in cases:  # warm caches once (and fill the page cache, if any)
        await search_policies(query=query, filters=filters, offset=offset, limit=10, today=TODAY, cache=cache)
    samples: dict[str, list[float]] = {}
    totals: dict[str, list[int]] = {}
    order = cases * rounds
    rng.shuffle(order)
    for kind, query, filters, offset in order:
        started = time.perf_counter()
        result = await search_policies(query=query, filters=filters, offset=offset, limit=10, today=TODAY, cache=cache)
        samples.setdefault(kind, []).append((time.perf_counter() - started) * 1000)
        totals.setdefault(kind, []).append(result.total)
    every = [value for values in samples.values() for value in values]
    how = "through the shared page cache" if cache else "ranked by the database every time"
    print(f"search latency over {len(every):,} searches, {how} (ms, end to end incl. snippets):")
    for kind, values in samples.items():
        print(
            f"  {kind:<12} n={len(values):<5} p50 {percentile(values, 0.5):7.1f}  p95 {percentile(values, 0.95):7.1f}  "
            f"p99 {percentile(values, 0.99):7.1f}  "
            f"max {max(values):7.1f}   median hits {statistics.median(totals[kind]):,.0f}"
        )
    print(f"  {'all':<12} n={len(every):<5} p50 {percentile(every, 0.5):7.1f}  p95 {percentile(every, 0.95):7.1f}  "
          f"p99 {percentile(every, 0.99):7.1f}  "
          f"max {max(every):7.1f}")


async def index_size(url: str) -> str:
    connection = connections.get("default")
    if db.backend_name(url) == "postgres":
        _, rows = await connection.execute_query("SELECT pg_total_relation_size('policy_search') AS size")
        return f"{rows[0]['size'] / 2**20:.0f} MiB (table + GIN)"
    path = Path(url.removeprefix("sqlite://"))
    return f"whole database file {path.stat().st_size / 2**20:.0f} MiB"


async def run(args: argparse.Namespace) -> None:
    scratch = Path(tempfile.mkdtemp(prefix="qiyun-bench-"))
    database = None
    if args.reuse_database:
        if not args.database_url or db.backend_name(args.database_url) != "postgres":
            raise SystemExit("--reuse-database needs --database-url postgres://…/NAME of a seeded database")
        url = args.database_url
    elif args.database_url and db.backend_name(args.database_url) == "postgres":
        url = database = await scratch_database(args.database_url)
    else:
        url = args.database_url or f"sqlite://{scratch / 'bench.sqlite3'}"
    redis = None
    if args.redis_url:
        require_loopback(args.redis_url, "--redis-url")  # it is flushed
    try:
        await db.apply_migrations(url)
        await db.open_database(url)
        try:
            version = await database_version(url)
            started = time.perf_counter()
            await segment.ensure_ready()
            print(f"jieba with the policy dictionary loaded in {time.perf_counter() - started:.2f}s")
            if args.reuse_database:
                present = await Policy.all().count()
                print(f"reused database: {present:,} policies and their index; {await index_size(url)}")
            else:
                await build(url, args)
            await time_queries(args.rounds)
            if args.redis_url:
                redis = connect(args.redis_url)
                await redis.flushdb()
                await time_queries(args.rounds, cache=SearchPageCache(redis=redis, ttl_s=3600))
        finally:
            await db.close_database()
    finally:
        if redis is not None:
            await redis.flushdb()
            await redis.aclose()
        if database:
            await drop_database(database)
        for leftover in scratch.iterdir():
            leftover.unlink()
        scratch.rmdir()
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    print(machine_line(version))


async def build(url: str, args: argparse.Namespace) -> None:
    """Insert the generated policies and build their index, printing the times."""
    seconds, characters = await insert_policies(url, args.policies, args.seed)
    print(f"inserted {args.policies:,} policies ({characters / args.policies:,.0f} characters each) in {seconds:.1f}s")
    started = time.perf_counter()
    indexed = await rebuild_index()
    elapsed = time.perf_counter() - started
    print(
        f"index build (rebuild_index: segmentation + index writes): {indexed:,} policies in {elapsed:.1f}s "
        f"= {indexed / elapsed:,.0f} policies/s, {characters / elapsed / 1000:,.0f}k characters/s; "
        f"{await index_size(url)}"
    )
    if db.backend_name(url) == "postgres":  # what autovacuum does soon after a bulk load
        await connections.get("default").execute_script("VACUUM ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--policies", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=20, help="times each query of the mix is run")
    parser.add_argument("--seed", type=int, default=2017)
    parser.add_argument("--database-url", help="postgres://… server to benchmark on (default: a temporary SQLite file)")
    parser.add_argument("--reuse-database", action="store_true",
                        help="--database-url names a database already holding the generated policies: only time the queries")
    parser.add_argument("--redis-url", help="redis://127.0.0.1:6379/N (FLUSHED): also time the mix through the page cache")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
