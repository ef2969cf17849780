"""Bulk import of policies from a spreadsheet: all or nothing, bad rows named (app/policy/importer.py)."""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook

from app.enterprise.reference import District, SizeClass
from app.policy.importer import IMPORT_HEADERS, import_policies, write_import_template
from app.policy.models import Policy, PolicyEvent, PolicyStatus, SupportType
from app.policy.service import policy_input_of
from app.policy.targeting import Targeting
from tests.cli.test_cli import qiyun
from tests.conftest import settings_env
from tests.policy.factories import policy_people


@pytest.fixture
async def people(db):
    return await policy_people()


def row(**overrides) -> dict[str, object]:
    values: dict[str, object] = {
        "标题": "浦东新区科技型小微企业研发费用补贴",
        "文号": "浦科经委规〔2025〕3号",
        "发文单位": "浦东新区、市科委",
        "发布日期": date(2025, 3, 1),
        "生效日期": date(2025, 3, 10),
        "失效日期": date(2027, 3, 9),
        "摘要": "按研发费用的10%给予补贴。",
        "正文": "一、支持对象……",
        "支持方式": "资金补贴",
        "最低金额(万元)": 5,
        "最高金额(万元)": 50,
        "申报开始": date(2025, 4, 1),
        "申报截止": "2025/06/30",
        "申报地点": "浦东新区企业服务中心",
        "联系方式": "021-50001101",
        "适用区": "浦东新区",
        "适用行业": "信息传输、软件和信息技术服务业、M",
        "企业规模": "小型、微型",
        "所有制": "不限",
        "生命周期": "",
        "企业标签": "",
    }
    values.update(overrides)
    return values


def write_xlsx(path: Path, rows: list[dict[str, object]], headers=IMPORT_HEADERS) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(headers))
    for values in rows:
        sheet.append([values.get(header) for header in headers])
    workbook.save(path)
    return path


def write_csv(path: Path, rows: list[dict[str, object]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(IMPORT_HEADERS)
        for values in rows:
            writer.writerow(["" if values.get(h) is None else str(values.get(h)) for h in IMPORT_HEADERS])
    return path


async def test_a_good_workbook_becomes_drafts_with_every_field(people, tmp_path):
    path = write_xlsx(tmp_path / "policies.xlsx", [
        row(),
        row(标题="专精特新企业奖励", 文号="沪经信规范〔2025〕5号", 发文单位="上海市经济和信息化委员会", 适用区="全市",
            适用行业="", 企业规模="", 企业标签="专精特新；专精特新小巨人", 支持方式="资质认定",
            **{"成立年限下限(年)": "3", "注册资本下限(万元)": "100万元"}),
    ])

    report = await import_policies(path=path, staff=people["zhengce"])

    assert report.rejected == [] and report.total == 2 and report.imported == 2
    first, second = [await Policy.get(id=policy_id) for policy_id in report.policy_ids]
    assert first.status == PolicyStatus.draft and first.created_by_id == people["zhengce"].id
    data = await policy_input_of(first)
    assert data.title == "浦东新区科技型小微企业研发费用补贴" and data.doc_number == "浦科经委规〔2025〕3号"
    assert (data.publish_date, data.apply_end) == (date(2025, 3, 1), date(2025, 6, 30))
    assert (data.amount_min, data.amount_max) == (Decimal("5.00"), Decimal("50.00"))
    assert data.support_type == SupportType.subsidy
    assert data.targeting == Targeting(districts=[District.pudong], industry_sections=["I", "M"],
                                       size_classes=[SizeClass.small, SizeClass.micro])
    await first.fetch_related("issuing_organisations")
    assert sorted(org.code for org in first.issuing_organisations) == ["city.science-tech", "district.310115"]
    other = Targeting.from_stored(second.targeting)
    assert other.tags == ["专精特新", "专精特新小巨人"] and other.min_years_established == 3
    assert other.min_registered_capital == Decimal("100") and other.districts == []
    assert second.support_type == SupportType.qualification
    assert [(e.to_status, e.note) for e in await PolicyEvent.filter(policy_id=first.id)] == [(PolicyStatus.draft, "批量导入")]


async def test_one_bad_row_imports_nothing_and_every_bad_row_is_named(people, tmp_path):
    path = write_xlsx(tmp_path / "policies.xlsx", [
        row(标题="好的一行"),
        row(标题="", 支持方式="发钱"),
        row(标题="日期不对", 失效日期="2025-02-30", 发文单位="不存在的委员会"),
        row(标题="金额倒挂", **{"最低金额(万元)": 80}),
        row(标题="好的一行"),  # the same title and 文号 again
        row(标题="行业不对", 适用行业="Z、软件业", 企业规模="巨型"),
    ])

    report = await import_policies(path=path, staff=people["zhengce"])

    assert report.imported == 0 and await Policy.all().count() == 0
    reasons = {rejected.line: rejected.reason for rejected in report.rejected}
    assert sorted(reasons) == [3, 4, 5, 6, 7]
    assert "标题不能为空" in reasons[3] and "支持方式「发钱」不是可用的值" in reasons[3]
    assert "失效日期「2025-02-30」不是有效日期" in reasons[4] and "发文单位「不存在的委员会」不在组织机构中" in reasons[4]
    assert reasons[5] == "最低金额（80.00万元）大于最高金额（50.00万元）"
    assert reasons[6] == "与第2行的标题和文号相同"
    assert "适用行业「Z」" in reasons[7] and "适用行业「软件业」" in reasons[7] and "企业规模「巨型」不是可用的值" in reasons[7]


async def test_a_policy_already_in_the_knowledge_base_is_not_imported_twice(people, tmp_path):
    path = write_csv(tmp_path / "policies.csv", [row()])
    assert (await import_policies(path=path, staff=people["zhengce"])).imported == 1
    again = await import_policies(path=path, staff=people["zhengce"])
    assert again.imported == 0
    assert "知识库中已有同标题同文号的政策" in again.rejected[0].reason and again.rejected[0].line == 2
    assert await Policy.all().count() == 1


async def test_a_file_problem_is_line_one(people, tmp_path):
    path = write_xlsx(tmp_path / "policies.xlsx", [row()], headers=("标题", "文号"))
    report = await import_policies(path=path, staff=people["zhengce"])
    assert [(r.line, r.reason) for r in report.rejected] == [(1, report.rejected[0].reason)]
    assert "缺少必需的列：支持方式" in report.rejected[0].reason


async def test_publishing_on_import_is_for_city_admins_and_the_command_line(people, tmp_path):
    path = write_xlsx(tmp_path / "policies.xlsx", [row()])
    refused = await import_policies(path=path, staff=people["zhengce"], publish=True)
    assert "只有市级管理员可以在导入时直接发布" in refused.rejected[0].reason and await Policy.all().count() == 0
    department = await import_policies(path=path, staff=people["keji"])
    assert "无权导入政策" in department.rejected[0].reason

    report = await import_policies(path=path, staff=people["admin"], publish=True)
    policy = await Policy.get(id=report.policy_ids[0])
    assert policy.status == PolicyStatus.published
    assert [e.to_status for e in await PolicyEvent.filter(policy_id=policy.id).order_by("id")] == [
        PolicyStatus.draft, PolicyStatus.in_review, PolicyStatus.published,
    ]


async def test_a_refusal_while_writing_rolls_back_the_whole_file(people, tmp_path):
    # Both rows are valid drafts, but the second cannot be published: its expiry date has passed.
    path = write_xlsx(tmp_path / "policies.xlsx", [
        row(标题="可以发布"),
        row(标题="已经失效", 发布日期=date(2020, 1, 1), 生效日期=date(2020, 1, 1), 失效日期=date(2021, 1, 1)),
    ])
    report = await import_policies(path=path, staff=None, publish=True)
    assert report.imported == 0
    assert [(r.line, r.title) for r in report.rejected] == [(3, "已经失效")]
    assert "已过，不能发布" in report.rejected[0].reason
    assert await Policy.all().count() == 0 and await PolicyEvent.all().count() == 0


async def test_the_template_imports_as_it_is(people, tmp_path):
    path = tmp_path / "template.xlsx"
    write_import_template(path)
    report = await import_policies(path=path, staff=people["zhengce"])
    assert report.rejected == [] and report.imported == 1


async def test_the_import_policies_command(settings, people, tmp_path):
    path = write_xlsx(tmp_path / "policies.xlsx", [row(), row(标题="第二条")])
    env = settings_env(settings)
    result = await qiyun("import-policies", str(path), "--publish", env=env)
    assert result.returncode == 0, result.stderr
    assert "2 rows: 2 policies imported (published)" in result.stdout
    assert await Policy.filter(status=PolicyStatus.published).count() == 2

    bad = write_xlsx(tmp_path / "bad.xlsx", [row(标题="第三条", 支持方式="")])
    result = await qiyun("import-policies", str(bad), "--staff", "zhengce", env=env)
    assert result.returncode == 1
    assert "line 2: 第三条: 支持方式为空" in result.stderr and "nothing imported" in result.stdout
