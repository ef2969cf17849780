"""The 惠企政策清单 export, read back as staff open it (app/policy/export.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import load_workbook

from app.enterprise.reference import District, SizeClass
from app.policy.export import EXPORT_COLUMNS, export_policy_list
from app.policy.service import create_policy, transition_policy
from app.policy.targeting import Targeting
from tests.policy.factories import TODAY, organisation, policy_input, policy_people, published_policy


@pytest.fixture
async def people(db):
    return await policy_people()


def read(content: bytes):
    return load_workbook(BytesIO(content)).active


async def test_the_list_covers_the_period_and_department_with_a_title_and_a_frozen_header(people):
    science = await organisation("city.science-tech")
    pudong = await organisation("district.310115")
    centre = await organisation("district.310115.service-centre")
    await published_policy(title="浦东研发补贴", doc_number="浦科规〔2025〕1号", issuing_organisation_ids=[pudong.id],
                           publish_date=date(2025, 2, 1), effective_date=date(2025, 2, 1), amount_min=None,
                           amount_max=Decimal("50"), targeting=Targeting(districts=[District.pudong],
                                                                         size_classes=[SizeClass.small, SizeClass.micro]))
    await published_policy(title="浦东企服中心房租补贴", issuing_organisation_ids=[centre.id], publish_date=date(2025, 4, 1),
                           effective_date=date(2025, 4, 1), apply_start=None, apply_end=None)
    await published_policy(title="市科委政策", issuing_organisation_ids=[science.id], publish_date=date(2025, 3, 1))
    await published_policy(title="去年的浦东政策", issuing_organisation_ids=[pudong.id], publish_date=date(2024, 3, 1),
                           effective_date=date(2024, 3, 1))
    withdrawn = await published_policy(title="撤回的浦东政策", issuing_organisation_ids=[pudong.id], publish_date=date(2025, 3, 1))
    await transition_policy(staff=people["zhengce"], policy_id=withdrawn.id, action="withdraw", note="调整")
    await create_policy(staff=people["zhengce"], data=await policy_input(title="浦东草稿", issuing_organisation_ids=[pudong.id]))

    export = await export_policy_list(start=date(2025, 1, 1), end=date(2025, 6, 30), organisation_id=pudong.id, today=TODAY)

    assert export.count == 2
    assert export.filename == "惠企政策清单_浦东新区_2025-01-01至2025-06-30.xlsx"
    sheet = read(export.content)
    assert sheet["A1"].value == "上海市浦东新区人民政府惠企政策清单"
    assert "A1:O1" in {str(merged) for merged in sheet.merged_cells.ranges}
    assert sheet["A2"].value.startswith("发布日期：2025年1月1日 至 2025年6月30日")
    assert "发文单位：上海市浦东新区人民政府（含下属单位）" in sheet["A2"].value and "共2项" in sheet["A2"].value
    assert [cell.value for cell in sheet[3]] == [header for header, _ in EXPORT_COLUMNS]
    assert sheet.freeze_panes == "C4"
    assert sheet.column_dimensions["B"].width == 40
    rows = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=4)]
    assert [r[1] for r in rows] == ["浦东研发补贴", "浦东企服中心房租补贴"]
    first = dict(zip([h for h, _ in EXPORT_COLUMNS], rows[0]))
    assert first["序号"] == 1 and first["文号"] == "浦科规〔2025〕1号"
    assert first["发文单位"] == "上海市浦东新区人民政府"
    assert first["发布日期"].date() == date(2025, 2, 1)
    assert first["支持方式"] == "资金补贴" and first["支持金额"] == "最高50万元"
    assert first["申报时间"] == "2025-04-01至2025-07-31"
    assert first["适用对象"] == "注册区：浦东新区；企业规模：小型、微型"
    assert first["状态"] == "有效"
    assert rows[1][9] == "常年受理"


async def test_expired_policies_are_listed_as_such_and_the_whole_city_by_default(people):
    lapsed = await published_policy(title="已过期", expiry_date=date(2025, 5, 31), publish_date=date(2025, 1, 1),
                                    effective_date=date(2025, 1, 1), today=date(2025, 1, 1))
    await transition_policy(staff=None, policy_id=lapsed.id, action="expire")
    await published_policy(title="过了失效日期但未标记", expiry_date=date(2025, 6, 1), publish_date=date(2025, 1, 2),
                           effective_date=date(2025, 1, 2), today=date(2025, 1, 2))
    export = await export_policy_list(today=TODAY)
    sheet = read(export.content)
    assert sheet["A1"].value == "上海市惠企政策清单"
    assert export.filename == "惠企政策清单.xlsx"
    statuses = {row[1].value: row[13].value for row in sheet.iter_rows(min_row=4)}
    assert statuses == {"已过期": "已失效", "过了失效日期但未标记": "已失效"}
