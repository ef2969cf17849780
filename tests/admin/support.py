"""Helpers for the admin tests: organisations, staff accounts and a signed-in HTTP client."""

from __future__ import annotations

import re
from http.cookies import SimpleCookie

import aiohttp

from app.demo import demo_organisations
from app.organisation.models import Organisation
from app.organisation.service import upsert_organisations
from app.staff.models import Staff, StaffRole
from app.staff.service import hash_password

PASSWORD = "correct-horse-42"
_hashes: dict[str, str] = {}

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')

# username -> (role, organisation code)
ACCOUNTS: dict[str, tuple[StaffRole, str]] = {
    "admin": (StaffRole.city_admin, "city.coordination"),
    "pudong": (StaffRole.district_admin, "district.310115"),
    "pudong-centre": (StaffRole.department_handler, "district.310115.service-centre"),
    "xuhui": (StaffRole.district_admin, "district.310104"),
    "xuhui-centre": (StaffRole.department_handler, "district.310104.service-centre"),
    "keji": (StaffRole.department_handler, "city.science-tech"),
    "fuwu": (StaffRole.service_manager, "city.coordination"),
    "pinggu": (StaffRole.evaluator, "city.coordination"),
    "zhengce": (StaffRole.policy_editor, "city.coordination"),
}


async def seed_organisations() -> dict[str, Organisation]:
    await upsert_organisations(demo_organisations())
    return {org.code: org for org in await Organisation.all()}


async def make_staff(username: str, role: StaffRole, organisation_code: str, *, password: str = PASSWORD,
                     **fields) -> Staff:
    """A staff account, fast: each distinct password is hashed once per test session."""
    if password not in _hashes:
        _hashes[password] = hash_password(password)
    organisation = await Organisation.get(code=organisation_code)
    return await Staff.create(
        username=username, display_name=fields.pop("display_name", f"{username} 测试"), password_hash=_hashes[password],
        role=role, organisation=organisation, **fields,
    )


async def seed_accounts() -> dict[str, Staff]:
    await seed_organisations()
    return {name: await make_staff(name, role, code) for name, (role, code) in ACCOUNTS.items()}


class AdminClient:
    """A browser-like HTTP client for /admin: keeps the cookie, reads CSRF tokens from pages."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.last_set_cookie: str = ""

    async def close(self) -> None:
        await self.http.close()

    def cookie(self) -> str | None:
        for cookie in self.http.cookie_jar:
            if cookie.key == "qiyun_admin":
                return cookie.value
        return None

    def set_cookie(self, value: str) -> None:
        self.http.cookie_jar.clear()
        self.http.cookie_jar.update_cookies(SimpleCookie(f"qiyun_admin={value}; Path=/admin"), aiohttp.client.URL(self.base))

    async def get(self, path: str, **kwargs) -> tuple[int, str, aiohttp.ClientResponse]:
        async with self.http.get(self.base + path, allow_redirects=False, **kwargs) as response:
            return response.status, await response.text(), response

    async def token(self, path: str = "/admin/") -> str:
        status, text, _ = await self.get(path)
        match = CSRF.search(text)
        assert match, f"no CSRF token on {path} (status {status})"
        return match.group(1)

    async def post(self, path: str, data: dict | list | None = None, *, token: str | None = "auto",
                   token_from: str = "/admin/", headers: dict | None = None) -> tuple[int, str, aiohttp.ClientResponse]:
        form = aiohttp.FormData()
        items = data.items() if isinstance(data, dict) else (data or [])
        for key, value in items:
            form.add_field(key, str(value))
        if token == "auto":
            token = await self.token(token_from)
        if token is not None:
            form.add_field("csrf_token", token)
        async with self.http.post(self.base + path, data=form, allow_redirects=False, headers=headers) as response:
            self.last_set_cookie = response.headers.get("Set-Cookie", "")
            return response.status, await response.text(), response

    async def login(self, username: str, password: str = PASSWORD) -> tuple[int, str, aiohttp.ClientResponse]:
        return await self.post("/admin/login", {"username": username, "password": password}, token_from="/admin/login")
