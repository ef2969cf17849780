"""Fixtures for the admin panel's tests; registers the `browser` marker."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from app.staff.models import Staff
from tests.admin.support import AdminClient, seed_accounts


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives the admin panel in a real headless Chromium")


@pytest.fixture
async def accounts(db) -> dict[str, Staff]:
    """Demo organisations and one account per role (see tests/admin/support.py)."""
    return await seed_accounts()


@pytest.fixture
async def client(server) -> AsyncIterator[Callable[[], AdminClient]]:
    """Make browser-like clients of the running app (closed after the test)."""
    made: list[AdminClient] = []

    def make() -> AdminClient:
        made.append(AdminClient(server))
        return made[-1]

    yield make
    for one in made:
        await one.close()


@pytest.fixture
async def signed_in(client, accounts) -> Callable:
    """`await signed_in("pudong")`: a client signed in as that account."""

    async def sign_in(username: str) -> AdminClient:
        one = client()
        status, body, _ = await one.login(username)
        assert status == 303, body
        return one

    return sign_in
