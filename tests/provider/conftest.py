"""Fixtures of the provider tests: the mini-program client and the admin's signed-in browsers."""

from tests.admin.conftest import accounts, client, signed_in  # noqa: F401
from tests.miniprogram_api.conftest import mp, server_with  # noqa: F401
