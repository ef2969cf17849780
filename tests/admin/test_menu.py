"""The menu editor: validated before saving, stored as versions, published; `qiyun sync-menu` uploads the newest."""

from __future__ import annotations

import asyncio
import copy
import json
import subprocess
import sys

from app.audit.models import AuditLog
from app.menu import load_menu
from app.menustore.models import MenuVersion
from tests.conftest import settings_env


def repository_menu() -> dict:
    return load_menu()  # placeholders unfilled, as staff edit it


async def save(browser, menu: dict | str, note: str = ""):
    text = menu if isinstance(menu, str) else json.dumps(menu, ensure_ascii=False)
    return await browser.post("/admin/menu", {"menu": text, "note": note}, token_from="/admin/menu")


async def test_the_editor_starts_from_the_repository_menu(signed_in):
    status, page, _ = await (await signed_in("fuwu")).get("/admin/menu")
    assert status == 200
    assert "代码库中的默认菜单" in page and "政策服务" in page and "{public_base_url}/h5/policies" in page


async def test_invalid_menus_are_refused_with_a_chinese_reason(signed_in):
    fuwu = await signed_in("fuwu")
    status, page, _ = await save(fuwu, '{"button": [')
    assert status == 400 and "JSON 格式错误：第 1 行" in page
    four = repository_menu()
    four["button"].append(copy.deepcopy(four["button"][0]))
    status, page, _ = await save(fuwu, four)
    assert status == 400 and "菜单须有 1 到 3 个一级菜单" in page
    long_name = repository_menu()
    long_name["button"][0]["name"] = "政策服务超长名称"
    status, page, _ = await save(fuwu, long_name)
    assert status == 400 and "第 1 个一级菜单（政策服务超长名称）：名称 24 字节，最多 16 字节" in page
    bad_url = repository_menu()
    bad_url["button"][0]["sub_button"][2]["url"] = "{unknown_placeholder}/x"
    status, page, _ = await save(fuwu, bad_url)
    assert status == 400 and "url 为必填项（或其中有未知的占位符）" in page
    assert await MenuVersion.all().count() == 0


async def test_saving_adds_a_version_and_publishing_uploads_it(signed_in, http, wechat, settings):
    fuwu = await signed_in("fuwu")
    menu = repository_menu()
    menu["button"][2]["sub_button"][2]["name"] = "活动预约"
    status, _, _ = await save(fuwu, menu, note="活动排片改名")
    assert status == 303
    version = await MenuVersion.get()
    assert version.menu == menu and version.note == "活动排片改名" and version.uploaded_at is None
    _, page, _ = await fuwu.get("/admin/menu")
    assert f"已保存为第 {version.id} 版" in page and "活动排片改名" in page

    status, _, _ = await fuwu.post("/admin/menu/upload", token_from="/admin/menu")
    assert status == 303
    async with http.get(f"{wechat.url}/_sim/records", params={"api": "/cgi-bin/menu/create"}) as response:
        uploads = (await response.json())["records"]
    assert len(uploads) == 1
    sent = uploads[0]["json"]
    assert sent["button"][2]["sub_button"][2]["name"] == "活动预约"
    assert sent["button"][0]["sub_button"][2]["url"] == f"{settings.public_base_url.rstrip('/')}/h5/policies"
    assert (await MenuVersion.get(id=version.id)).uploaded_at is not None
    assert [e.action for e in await AuditLog.filter(target_type="menu_version").order_by("id")] == [
        "menu.save", "menu.upload"
    ]


async def test_sync_menu_uploads_the_newest_saved_version(signed_in, settings, http, wechat):
    fuwu = await signed_in("fuwu")
    menu = repository_menu()
    menu["button"][0]["name"] = "政策查询"
    assert (await save(fuwu, menu))[0] == 303

    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "app", "sync-menu", env=settings_env(settings),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 120)
    result = subprocess.CompletedProcess([], process.returncode, stdout.decode(), stderr.decode())
    assert result.returncode == 0, result.stderr
    assert "saved version" in result.stdout
    async with http.get(f"{wechat.url}/_sim/records", params={"api": "/cgi-bin/menu/create"}) as response:
        uploads = (await response.json())["records"]
    assert [b["name"] for b in uploads[-1]["json"]["button"]] == ["政策查询", "企业诉求", "企业服务"]
