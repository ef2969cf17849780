"""The appeal pages in a real headless Chromium: from the queue to a dispatched appeal.

Same requirements and skipping rule as tests/admin/test_browser.py (Debian's chromium, no
browser download; QIYUN_REQUIRE_BROWSER=1 turns a missing browser into a failure).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.appeal.models import Appeal, AppealStatus
from app.appeal.service import accept
from app.staff.models import Staff
from tests.admin.test_appeals import file_appeal, org
from tests.admin.test_browser import browser, page, sign_in  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser

SCREENSHOT = Path(os.environ.get("QIYUN_SCREENSHOT_DIR", "/tmp")) / "qiyun-admin-appeal.png"


async def test_a_dispatcher_opens_the_queue_and_dispatches_an_appeal(page, accounts, settings):  # noqa: F811
    appeal = await file_appeal(settings, title="高企认定进度查询")
    await accept(appeal_id=appeal.id, staff=await Staff.get(username="admin"))
    science = await org("city.science-tech")

    await sign_in(page, "admin")
    await page.click("nav.sidenav a:has-text('诉求')")
    assert page.url.endswith("/admin/appeals")
    await page.click("a[data-tab=accepted]")
    row = page.locator(f"tr[data-appeal='{appeal.number}']")
    assert "138****5678" in await row.inner_text()  # masked in the list
    async with page.expect_navigation():
        await row.locator("a", has_text=appeal.number).click()
    assert appeal.number in await page.inner_text("h1")

    await page.select_option("#step-dispatch select[name=lead_organisation_id]", str(science.id))
    await page.fill("#step-dispatch input[name=note]", "请市科委核实认定进度")
    async with page.expect_navigation() as navigation:
        await page.click("#step-dispatch button[type=submit]")
    assert (await navigation.value).status == 200
    assert "已分派，承办单位将收到通知" in await page.inner_text("main")
    assert science.name in await page.inner_text("#appeal-lead")
    assert "分派" in await page.inner_text("#appeal-timeline")
    await page.screenshot(path=str(SCREENSHOT), full_page=True)
    assert not [m for m in page.console_messages if "Content Security Policy" in m]

    stored = await Appeal.get(id=appeal.id)
    assert stored.status is AppealStatus.dispatched and stored.lead_organisation_id == science.id
