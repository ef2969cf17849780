"""Staff accounts: creation and password hashing (argon2id)."""

from __future__ import annotations

import re

from argon2 import PasswordHasher
from tortoise.transactions import in_transaction

from app.organisation.models import Organisation
from app.staff.models import Staff, StaffRole

_hasher = PasswordHasher()
USERNAME = re.compile(r"^[a-z][a-z0-9._-]{2,63}$")
MIN_PASSWORD_LENGTH = 10


class StaffError(ValueError):
    """A staff operation was refused; the message is precise and meant for staff."""


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except Exception:  # argon2 raises VerifyMismatchError / InvalidHash; both mean "no"
        return False


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise StaffError(f"password must be at least {MIN_PASSWORD_LENGTH} characters")
    if password.isdigit() or password.isalpha():
        raise StaffError("password must mix letters with digits or symbols")


async def create_staff(
    *, username: str, display_name: str, password: str, role: StaffRole, organisation_code: str, phone: str = ""
) -> Staff:
    """Create a staff account; refuses duplicates, weak passwords and unknown organisations."""
    username = username.strip().lower()
    if not USERNAME.match(username):
        raise StaffError("username must be 3-64 lower-case letters, digits, '.', '_' or '-', starting with a letter")
    if not display_name.strip():
        raise StaffError("display name is required")
    check_password_strength(password)
    async with in_transaction():
        organisation = await Organisation.get_or_none(code=organisation_code)
        if organisation is None:
            raise StaffError(f"no organisation with code {organisation_code!r}")
        if await Staff.filter(username=username).exists():
            raise StaffError(f"username {username!r} is taken")
        return await Staff.create(
            username=username,
            display_name=display_name.strip(),
            password_hash=hash_password(password),
            role=role,
            organisation=organisation,
            phone=phone,
        )
