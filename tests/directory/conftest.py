"""Fixtures for the directory's domain tests."""

from __future__ import annotations

import pytest

from app.staff.models import Staff, StaffRole
from tests.admin.support import make_staff, seed_organisations


@pytest.fixture
async def accounts_for_directory(db) -> Staff:
    """A service manager (who maintains the directory)."""
    await seed_organisations()
    return await make_staff("fuwu", StaffRole.service_manager, "city.coordination")
