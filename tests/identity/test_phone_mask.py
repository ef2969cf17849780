"""Phone numbers are shown masked."""

from __future__ import annotations

import pytest

from app.identity.service import mask_phone


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13812341234", "138****1234"),
        ("+12025550123", "+120****0123"),
        ("", ""),
        ("12345", "*2345"),
    ],
)
def test_mask_phone(phone: str, masked: str) -> None:
    assert mask_phone(phone) == masked
