"""The admin panel in a real headless Chromium: sign-in, a refused page, CSRF refusal, htmx under the CSP.

Needs the Debian packages `chromium` and `fonts-noto-cjk` and the Python package
`playwright` (no browser download: Chromium is launched from /usr/bin/chromium).
Without them these tests are skipped, unless QIYUN_REQUIRE_BROWSER=1 (CI) makes
that a failure.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import expect

from app.identity.models import Follower
from tests.admin.support import PASSWORD

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("QIYUN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
SCREENSHOT = Path(os.environ.get("QIYUN_SCREENSHOT_DIR", "/tmp")) / "qiyun-admin-home.png"


def _unavailable(reason: str) -> None:
    if os.environ.get("QIYUN_REQUIRE_BROWSER") == "1":
        pytest.fail(f"browser tests required but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[object]:
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (pip install playwright)")
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        _unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium fonts-noto-cjk)")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        await launched.close()


@pytest.fixture
async def page(browser, server) -> AsyncIterator[object]:
    context = await browser.new_context(base_url=server, locale="zh-CN", viewport={"width": 1280, "height": 860})
    opened = await context.new_page()
    opened.console_messages = []
    opened.on("console", lambda message: opened.console_messages.append(message.text))
    yield opened
    await context.close()


async def sign_in(page, username: str, password: str = PASSWORD) -> None:
    await page.goto("/admin/login")
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", password)
    async with page.expect_navigation():
        await page.click("button[type=submit]")


async def test_sign_in_through_the_form_and_see_the_home_page(page, accounts):
    await page.goto("/admin/")
    assert page.url.endswith("/admin/login")
    assert await page.title() == "登录 · 企云管理后台"

    await page.fill("input[name=username]", "admin")
    await page.fill("input[name=password]", "wrong-password-1")
    async with page.expect_navigation():
        await page.click("button[type=submit]")
    assert "用户名或密码错误" in await page.inner_text("[role=alert]")

    await sign_in(page, "admin")
    assert page.url.endswith("/admin/")
    assert await page.inner_text("h1") == "admin 测试，您好"
    assert "管理工作人员账号" in await page.inner_text("main")
    assert await page.evaluate("document.characterSet") == "UTF-8"
    assert await page.evaluate("document.documentElement.lang") == "zh-CN"
    assert await page.evaluate("typeof htmx") == "object"  # the vendored htmx loads under the CSP
    cookies = await page.context.cookies()
    session = [c for c in cookies if c["name"] == "qiyun_admin"][0]
    assert session["httpOnly"] and session["sameSite"] == "Lax"
    assert await page.evaluate("document.cookie") == ""  # not readable from scripts
    await page.screenshot(path=str(SCREENSHOT), full_page=True)
    assert SCREENSHOT.stat().st_size > 10_000
    assert not [m for m in page.console_messages if "Content Security Policy" in m]


async def test_a_wrong_role_is_shown_the_refusal_page(page, accounts):
    await sign_in(page, "keji")
    assert await page.locator("nav.sidenav a", has_text="工作人员").count() == 0
    response = await page.goto("/admin/staff")
    assert response.status == 403
    assert await page.inner_text("h1") == "无权访问"
    assert "您的角色无权访问此页面" in await page.inner_text("main")


async def fill_new_staff_form(page, username: str) -> None:
    await page.goto("/admin/staff/new")
    await page.fill("input[name=username]", username)
    await page.fill("input[name=display_name]", "新同事")
    await page.select_option("select[name=role]", "department_handler")
    await page.select_option("select[name=organisation_id]", index=1)
    await page.fill("input[name=password]", "Forged-pass-2024")
    await page.fill("input[name=password_again]", "Forged-pass-2024")


@pytest.mark.parametrize("tamper", ["remove", "wrong"])
async def test_a_form_without_the_right_token_is_refused(page, accounts, tamper):
    await sign_in(page, "admin")
    await fill_new_staff_form(page, "forged")
    if tamper == "remove":
        await page.evaluate("document.querySelector('main input[name=csrf_token]').remove()")
    else:
        await page.evaluate("document.querySelector('main input[name=csrf_token]').value = 'forged-token'")
    async with page.expect_navigation() as navigation:
        await page.click("main button[type=submit]")
    assert (await navigation.value).status == 403
    assert await page.inner_text("h1") == "请求已被拒绝"
    assert "安全校验未通过" in await page.inner_text("main")
    await page.goto("/admin/staff")
    assert "forged" not in await page.inner_text("main")

    # The same form with its token intact is accepted.
    await fill_new_staff_form(page, "genuine")
    async with page.expect_navigation() as navigation:
        await page.click("main button[type=submit]")
    assert (await navigation.value).status == 200
    assert "已创建账号 genuine" in await page.inner_text("main")


async def test_follower_search_updates_the_list_in_place(page, accounts):
    await Follower.create(openid="oAlice0001", remark="张江科技")
    await Follower.create(openid="oBob000002", remark="外高桥贸易")
    await sign_in(page, "fuwu")
    await page.goto("/admin/followers")
    assert await page.locator("#follower-rows tbody tr").count() == 2
    await page.evaluate("window.qiyunMarker = 'same page'")  # survives only if the page is not reloaded
    async with page.expect_response(lambda r: "/admin/followers?" in r.url and r.request.headers.get("hx-request")):
        await page.fill("input[name=q]", "外高桥")
    # Locator waits, not wait_for_function: its polling evaluates a string, which the
    # admin's CSP (no 'unsafe-eval') refuses whenever the condition is not met at once.
    await expect(page.locator("#follower-rows tbody tr")).to_have_count(1)
    assert "oBob000002" in await page.inner_text("#follower-rows")
    assert await page.evaluate("window.qiyunMarker") == "same page"
    assert "q=" in page.url  # the search is in the address bar, so it survives a reload


async def test_a_policy_editor_sees_the_audience_count_while_targeting_and_saves_a_draft(page, accounts):
    from app.enterprise.reference import District, SizeClass
    from app.policy.models import Policy, PolicyStatus
    from tests.policy.factories import make_enterprise

    await make_enterprise(district=District.pudong, size_class=SizeClass.small)
    await make_enterprise(district=District.xuhui, size_class=SizeClass.small)
    await sign_in(page, "zhengce")
    await page.click("nav.sidenav a:has-text('惠企政策')")
    await page.click("text=新建政策")
    await page.wait_for_selector("#audience-count")  # estimated on load: the whole register
    assert "2" in await page.inner_text("#audience-count strong")

    async with page.expect_response(lambda r: r.url.endswith("/admin/policies/audience")):
        await page.check("input[name=districts][value='310115']")
    await expect(page.locator("#audience-count strong")).to_have_text("1")
    assert "注册区：浦东新区" in await page.inner_text("#audience")

    await page.fill("input[name=title]", "浦东小微企业研发补贴")
    await page.select_option("select[name=issuing_organisation_ids]", label="上海市科学技术委员会")
    await page.fill("textarea[name=summary]", "按研发投入给予补贴。")
    await page.select_option("select[name=support_type]", "subsidy")
    async with page.expect_navigation():
        await page.click("#policy-form button[type=submit]")
    assert "政策已保存为草稿" in await page.inner_text("main")
    assert await page.inner_text("#audience-count") == "1"
    policy = await Policy.get(title="浦东小微企业研发补贴")
    assert policy.status is PolicyStatus.draft and policy.targeting["districts"] == ["310115"]
    assert not [m for m in page.console_messages if "Content Security Policy" in m]


async def test_the_door_a_scanner_types_a_ticket_and_enter_checks_in_once(page, accounts):
    """A USB/Bluetooth barcode scanner is a keyboard: it types the ticket's code into the
    focused field and presses Enter. The field must have the focus when the page opens and
    again after each scan, so the next person can be scanned without touching the screen."""
    from app.activity.models import ActivitySignup, SignupStatus
    from tests.activity.factories import make_activity, make_person, sign_up

    activity = await make_activity(staff=accounts["fuwu"], capacity=5)
    ticket = (await sign_up(activity, await make_person(), name="周敏")).signup.ticket_code

    await sign_in(page, "fuwu")
    await page.goto(f"/admin/activities/{activity.id}/checkin")
    await expect(page.locator("#checkin-code")).to_be_focused()

    async with page.expect_navigation():
        await page.keyboard.type(ticket)
        await page.keyboard.press("Enter")
    await expect(page.locator("#checkin-result")).to_have_attribute("data-outcome", "checked_in")
    await expect(page.locator("#checkin-result")).to_contain_text("周敏")
    await expect(page.locator("#checked-in-count")).to_have_text("1")
    await expect(page.locator("#checkin-code")).to_be_focused()

    async with page.expect_navigation():
        await page.keyboard.type(ticket)
        await page.keyboard.press("Enter")
    await expect(page.locator("#checkin-result")).to_have_attribute("data-outcome", "already")
    await expect(page.locator("#checkin-result")).to_contain_text("已签到")
    await expect(page.locator("#checked-in-count")).to_have_text("1")
    assert await ActivitySignup.filter(activity_id=activity.id, status=SignupStatus.checked_in).count() == 1
    assert [m for m in page.console_messages if "Content Security Policy" in m] == []
