"""The `qiyun` command as an operator uses it, run as a real process."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest

from app.staff.models import Staff, StaffRole
from app.staff.service import verify_password
from tests.conftest import settings_env


async def qiyun(*argv: str, env: dict[str, str], stdin: str | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run `python -m app ...` without blocking the loop (the simulator runs on it)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "app", *argv, env=env,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(stdin.encode() if stdin else None), timeout)
    return subprocess.CompletedProcess(argv, process.returncode, stdout.decode(), stderr.decode())


@pytest.fixture
def env(settings) -> dict[str, str]:
    return settings_env(settings)


async def test_help_lists_every_subcommand(env):
    result = await qiyun("--help", env=env)
    assert result.returncode == 0
    for name in (
        "serve", "worker", "migrate", "seed-demo", "import-enterprises", "create-staff",
        "sync-menu", "simulator", "dev", "makemigrations",
    ):
        assert name in result.stdout


async def test_migrate_then_models_need_no_new_migration(env, tmp_path):
    env = {**env, "DATABASE_URL": f"sqlite://{tmp_path / 'fresh.sqlite3'}"}
    first = await qiyun("migrate", env=env)
    assert first.returncode == 0, first.stderr
    assert "applied qiyun.0001_initial" in first.stderr
    again = await qiyun("migrate", env=env)
    assert again.returncode == 0 and "applied" not in again.stderr.replace("up to date", "")
    check = await qiyun("makemigrations", "--check", env=env)
    assert check.returncode == 0, f"models changed without a migration: {check.stdout}{check.stderr}"
    assert "no changes" in check.stdout


async def test_production_start_with_a_missing_variable_stops_with_one_line(env):
    env = {**env, "QIYUN_ENV": "production", "DATABASE_URL": "postgres://db.internal/qiyun", "WECHAT_APPID": ""}
    result = await qiyun("serve", env=env)
    assert result.returncode == 2
    assert "WECHAT_APPID: missing (required in production)" in result.stderr
    assert env["WECHAT_SECRET"] not in result.stderr


async def test_create_staff_hashes_the_password_and_refuses_weak_ones(db, env):
    weak = await qiyun(
        "create-staff", "--username", "lihua", "--name", "李华", "--role", "department_handler",
        "--organisation", "city.science-tech", "--password-stdin", env=env, stdin="12345\n",
    )
    assert weak.returncode == 2
    assert "at least 10 characters" in weak.stderr

    from app.organisation.models import Organisation, OrganisationKind

    await Organisation.create(code="city.science-tech", name="上海市科学技术委员会", kind=OrganisationKind.city_department)
    created = await qiyun(
        "create-staff", "--username", "lihua", "--name", "李华", "--role", "department_handler",
        "--organisation", "city.science-tech", "--password-stdin", env=env, stdin="correct-horse-42\n",
    )
    assert created.returncode == 0, created.stderr
    staff = await Staff.get(username="lihua").prefetch_related("organisation")
    assert staff.role == StaffRole.department_handler
    assert staff.organisation.code == "city.science-tech"
    assert "correct-horse-42" not in staff.password_hash
    assert verify_password(staff.password_hash, "correct-horse-42")
    assert not verify_password(staff.password_hash, "wrong-horse-42")

    duplicate = await qiyun(
        "create-staff", "--username", "lihua", "--name", "李华", "--role", "evaluator",
        "--organisation", "city.science-tech", "--password-stdin", env=env, stdin="correct-horse-42\n",
    )
    assert duplicate.returncode == 2 and "taken" in duplicate.stderr


async def test_sync_menu_check_validates_without_uploading(env):
    result = await qiyun("sync-menu", "--check", env=env)
    assert result.returncode == 0, result.stderr
    assert "menu is valid" in result.stdout


async def test_sync_menu_uploads_to_wechat(env, wechat, http):
    result = await qiyun("sync-menu", env=env)
    assert result.returncode == 0, result.stderr
    async with http.get(f"{wechat.url}/_sim/records", params={"api": "/cgi-bin/menu/create"}) as response:
        records = (await response.json())["records"]
    assert len(records) == 1
    assert [b["name"] for b in records[0]["json"]["button"]] == ["政策服务", "企业诉求", "企业服务"]


async def test_import_enterprises_names_each_rejected_row_and_imports_the_rest(db, env, tmp_path):
    from app.enterprise.models import Enterprise
    from app.enterprise.synthetic import write_register_csv

    path = tmp_path / "register.csv"
    write_register_csv(path, 200, seed=7)
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    header = lines[0].split(",")
    code_column, date_column = header.index("统一社会信用代码"), header.index("成立日期")
    broken = {}
    for line_number, mutate in ((5, "code"), (77, "date"), (150, "code")):
        cells = lines[line_number - 1].split(",")
        if mutate == "code":
            cells[code_column] = cells[code_column][:-1] + ("0" if cells[code_column][-1] != "0" else "1")
        else:
            cells[date_column] = "2019-13-45"
        lines[line_number - 1] = ",".join(cells)
        broken[line_number] = cells[code_column]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    result = await qiyun("import-enterprises", str(path), env=env)
    assert result.returncode == 0, result.stderr
    assert "200 rows: 197 created, 0 updated, 3 rejected" in result.stdout
    for line_number, code in broken.items():
        assert f"line {line_number}: {code}: " in result.stderr
    assert "校验" in result.stderr and "成立日期" in result.stderr
    assert await Enterprise.all().count() == 197

    again = await qiyun("import-enterprises", str(path), "--strict", env=env)
    assert again.returncode == 1
    assert await Enterprise.all().count() == 197
