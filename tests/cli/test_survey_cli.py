"""`qiyun import-service-uses` as an operator runs it, as a real process."""

from __future__ import annotations

import csv

import pytest

from app.enterprise.reference import District, Ownership, SizeClass
from app.survey.models import ServiceUse
from tests.cli.test_cli import qiyun
from tests.conftest import settings_env
from tests.survey.sampling_support import make_register

HEADERS = ["统一社会信用代码", "事项编码", "事项名称", "办理部门", "办结时间", "办件编号"]


@pytest.fixture
def env(settings) -> dict[str, str]:
    return settings_env(settings)


def write(path, rows):
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        writer.writerows(rows)
    return path


async def test_import_service_uses_imports_a_file_once_and_refuses_a_bad_one_whole(db, env, tmp_path):
    a, b = await make_register({(District.pudong, SizeClass.small, Ownership.private): 2})
    good = write(tmp_path / "good.csv", [[a.credit_code, "KB-001", "企业开办", "", "2026-03-05 10:00", "KB0001"],
                                         [b.credit_code, "KB-001", "企业开办", "", "2026-03-06", "KB0002"]])
    result = await qiyun("import-service-uses", str(good), env=env)
    assert result.returncode == 0, result.stderr
    assert "2 rows: 2 cases imported, 0 already known" in result.stdout
    again = await qiyun("import-service-uses", str(good), env=env)
    assert again.returncode == 0 and "0 cases imported, 2 already known" in again.stdout
    assert await ServiceUse.all().count() == 2

    bad = write(tmp_path / "bad.csv", [[a.credit_code, "SG-002", "施工许可", "", "2026-03-07", "SG0001"],
                                       ["91310000NOTINREGI", "SG-002", "施工许可", "", "2026-03-07", "SG0002"]])
    refused = await qiyun("import-service-uses", str(bad), env=env)
    assert refused.returncode == 1
    assert "line 3: SG0002: 法人库中没有" in refused.stderr and "nothing imported" in refused.stdout
    assert await ServiceUse.all().count() == 2

    missing = await qiyun("import-service-uses", str(tmp_path / "nope.csv"), env=env)
    assert missing.returncode == 2 and "no such file" in missing.stderr
