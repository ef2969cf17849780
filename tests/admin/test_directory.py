"""The directory editor over HTTP: list with filters, create with per-kind fields and clear
errors, publish / unpublish / archive, preview, delete, the audit log, and who may use it."""

from __future__ import annotations

import re

from app.audit.models import AuditLog
from app.directory.models import DirectoryEntry, DirectoryStatus
from app.directory.search import search_directory

FORM = {
    "kind": "entrance", "title": "科技创新券申领", "category": "rnd", "summary": "申领科技创新券",
    "eligibility": "科技型中小企业", "steps": "登录一网通办\n在线申请", "url": "https://zwdt.sh.gov.cn/",
    "sort_order": "1",
}


async def test_a_service_manager_creates_publishes_previews_and_archives_an_entry(signed_in):
    fuwu = await signed_in("fuwu")
    status, page, _ = await fuwu.get("/admin/directory/new")
    assert status == 200 and "水电气接入指南" in page
    status, page, _ = await fuwu.get("/admin/directory/new?kind=utility_guide")
    assert status == 200 and 'name="utility_type"' in page and 'name="category"' not in page

    status, _, response = await fuwu.post("/admin/directory/new", FORM, token_from="/admin/directory/new?kind=entrance")
    assert status == 303, _
    entry = await DirectoryEntry.get(title="科技创新券申领")
    assert response.headers["Location"] == f"/admin/directory/{entry.id}"
    assert entry.status is DirectoryStatus.draft and (await search_directory(query="创新券")).total == 0

    status, page, _ = await fuwu.get(f"/admin/directory/{entry.id}")
    assert status == 200 and "已新建「科技创新券申领」" in page and ">发布</button>" in page
    await fuwu.post(f"/admin/directory/{entry.id}/step", {"action": "publish"}, token_from=f"/admin/directory/{entry.id}")
    assert (await DirectoryEntry.get(id=entry.id)).status is DirectoryStatus.published
    assert (await search_directory(query="创新券")).total == 1

    status, page, _ = await fuwu.get(f"/admin/directory/{entry.id}/preview")
    assert status == 200 and "<li>在线申请</li>" in page and "前往办理" in page

    status, page, _ = await fuwu.get("/admin/directory?kind=entrance&status=published")
    assert "科技创新券申领" in page
    status, page, _ = await fuwu.get("/admin/directory?kind=park")
    assert "科技创新券申领" not in page and "没有符合筛选条件的条目" in page

    # Deleting a published entry is refused; archived, it can go.
    await fuwu.post(f"/admin/directory/{entry.id}/delete", {}, token_from=f"/admin/directory/{entry.id}")
    status, page, _ = await fuwu.get(f"/admin/directory/{entry.id}")
    assert "请先撤回或归档" in page
    await fuwu.post(f"/admin/directory/{entry.id}/step", {"action": "archive"}, token_from=f"/admin/directory/{entry.id}")
    assert (await search_directory(query="创新券")).total == 0
    status, _, _ = await fuwu.post(f"/admin/directory/{entry.id}/delete", {}, token_from=f"/admin/directory/{entry.id}")
    assert status == 303 and not await DirectoryEntry.exists()

    actions = [row.action for row in await AuditLog.filter(target_type="directory").order_by("id")]
    assert actions == ["directory.create", "directory.publish", "directory.archive", "directory.delete"]
    assert all(row.username == "fuwu" for row in await AuditLog.filter(target_type="directory"))


async def test_errors_are_shown_in_chinese_and_nothing_is_saved(signed_in):
    admin = await signed_in("admin")
    token_from = "/admin/directory/new?kind=entrance"
    status, page, _ = await admin.post("/admin/directory/new", {**FORM, "url": "javascript:alert(1)"}, token_from=token_from)
    assert status == 400 and "网址只能是以 http:// 或 https:// 开头的完整网址" in page
    assert 'value="javascript:alert(1)"' in page  # what was typed is kept
    status, page, _ = await admin.post("/admin/directory/new", {**FORM, "url": ""}, token_from=token_from)
    assert status == 400 and "一站式入口需要填写：网址或小程序页面" in page
    status, page, _ = await admin.post("/admin/directory/new", {**FORM, "kind": "park", "summary": "园区"},
                                       token_from="/admin/directory/new?kind=park")
    assert status == 400 and "园区信息需要填写：所在区、地址" in page
    assert not await DirectoryEntry.exists()


async def test_an_edit_with_publish_at_once_updates_the_public_search(signed_in):
    fuwu = await signed_in("fuwu")
    await fuwu.post("/admin/directory/new", {**FORM, "publish": "on"}, token_from="/admin/directory/new?kind=entrance")
    entry = await DirectoryEntry.get(title="科技创新券申领")
    assert entry.status is DirectoryStatus.published
    status, _, _ = await fuwu.post(f"/admin/directory/{entry.id}", {**FORM, "title": "科技创新券申领与兑付"},
                                   token_from=f"/admin/directory/{entry.id}")
    assert status == 303
    hits = (await search_directory(query="兑付")).hits
    assert [hit.entry.title for hit in hits] == ["科技创新券申领与兑付"]
    log = await AuditLog.filter(action="directory.update").get()
    assert log.detail["changed"] == ["title"]


async def test_only_staff_with_directory_manage_may_open_it(signed_in):
    for username in ("keji", "zhengce", "pinggu"):
        browser = await signed_in(username)
        status, page, _ = await browser.get("/admin/directory")
        assert status == 403 and "维护公共服务目录" in page, username
    fuwu = await signed_in("fuwu")
    _, page, _ = await fuwu.get("/admin/")
    assert re.search(r'href="/admin/directory"', page)
