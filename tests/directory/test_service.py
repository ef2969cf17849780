"""Maintaining the directory: per-kind required fields and link rules with clear Chinese
messages, the status table, deletion rules, the audit log, and the demo set."""

from __future__ import annotations

import pytest

from app.audit.models import AuditLog
from app.directory import service
from app.directory.demo import DEMO_ENTRIES, seed_demo_directory
from app.directory.errors import DirectoryError, DirectoryPermissionError
from app.directory.models import DirectoryEntry, DirectoryKind, DirectoryStatus, UtilityType
from app.directory.search import search_directory
from app.staff.models import StaffRole
from tests.admin.support import make_staff

from .factories import entry_input, make_entry


async def refused(staff, **fields) -> DirectoryError:
    kind = fields.pop("kind", DirectoryKind.resource)
    with pytest.raises(DirectoryError) as caught:
        await service.create_entry(staff=staff, data=entry_input(kind, **fields))
    return caught.value


async def test_each_kind_names_what_it_is_missing(accounts_for_directory):
    staff = accounts_for_directory
    error = await refused(staff, kind=DirectoryKind.entrance, url="")
    assert error.message == "一站式入口需要填写：网址或小程序页面（一站式入口必须能直接进入办理）"
    error = await refused(staff, kind=DirectoryKind.park, district=None, address="")
    assert error.message == "园区信息需要填写：所在区、地址" and error.field == "district"
    error = await refused(staff, kind=DirectoryKind.utility_guide, utility_type=None, time_limit="")
    assert error.message == "水电气接入指南需要填写：接入类型、办理时限"
    error = await refused(staff, platform_name="", organisation_id=None)
    assert "提供部门或服务平台（至少填一项）" in error.message
    assert (await refused(staff, title="")).message == "名称不能为空"
    assert not await DirectoryEntry.exists()


@pytest.mark.parametrize("url", ["javascript:alert(1)", "ftp://example.org/x", "/h5/services", "https://", "https://a b.cn"])
async def test_links_must_be_http_or_https(accounts_for_directory, url):
    error = await refused(accounts_for_directory, url=url)
    assert error.field == "url" and "http:// 或 https://" in error.message


async def test_a_mini_program_jump_needs_a_valid_appid_and_a_page(accounts_for_directory):
    staff = accounts_for_directory
    assert (await refused(staff, miniprogram_appid="wx123")).field == "miniprogram_appid"
    assert (await refused(staff, miniprogram_path="pages/a/b")).message.startswith("填写了小程序页面路径")
    assert (await refused(staff, miniprogram_appid="wx0123456789abcdef")).field == "miniprogram_path"
    entry = await service.create_entry(staff=staff, data=entry_input(
        DirectoryKind.entrance, url="", miniprogram_appid="wx0123456789abcdef", miniprogram_path="/pages/apply/index"))
    assert entry.miniprogram_path == "pages/apply/index"


async def test_fields_a_kind_does_not_use_are_cleared(accounts_for_directory):
    entry = await service.create_entry(staff=accounts_for_directory, data=entry_input(
        DirectoryKind.park, utility_type=UtilityType.gas))
    assert entry.utility_type is None and entry.category is None


async def test_only_directory_managers_may_edit(db, accounts_for_directory):
    keji = await make_staff("keji", StaffRole.department_handler, "city.science-tech")
    with pytest.raises(DirectoryPermissionError):
        await service.create_entry(staff=keji, data=entry_input())


async def test_steps_follow_the_table_and_published_entries_cannot_be_deleted(accounts_for_directory):
    staff = accounts_for_directory
    entry = await make_entry(publish=False, staff=staff)
    with pytest.raises(DirectoryError, match="不能撤回为草稿"):
        await service.transition_entry(staff=staff, entry_id=entry.id, action="unpublish")
    published = await service.transition_entry(staff=staff, entry_id=entry.id, action="publish")
    assert published.status is DirectoryStatus.published and published.published_at is not None
    with pytest.raises(DirectoryError, match="请先撤回或归档"):
        await service.delete_entry(staff=staff, entry_id=entry.id)
    await service.transition_entry(staff=staff, entry_id=entry.id, action="archive")
    await service.delete_entry(staff=staff, entry_id=entry.id)
    assert not await DirectoryEntry.filter(id=entry.id).exists()

    actions = [row.action for row in await AuditLog.filter(target_type="directory").order_by("id")]
    assert actions == ["directory.create", "directory.publish", "directory.archive", "directory.delete"]


async def test_an_edit_records_what_changed(accounts_for_directory):
    staff = accounts_for_directory
    entry = await make_entry(staff=staff)
    await service.update_entry(staff=staff, entry_id=entry.id, data=entry_input(summary="新的简介", hours="工作日"))
    log = await AuditLog.filter(action="directory.update").get()
    assert log.detail["changed"] == ["summary", "hours"] and log.staff_id == staff.id


async def test_the_demo_is_published_searchable_and_idempotent(accounts_for_directory):
    created = await seed_demo_directory(seed=2017)
    assert created == len(DEMO_ENTRIES)
    assert await seed_demo_directory(seed=2017) == 0
    assert await DirectoryEntry.filter(status=DirectoryStatus.published).count() == len(DEMO_ENTRIES)
    voucher = await search_directory(query="科技创新券")
    assert voucher.hits[0].entry.title == "科技创新券申领"
    kinds = {entry.kind for entry in await DirectoryEntry.all()}
    assert kinds == set(DirectoryKind)
