"""Fixtures of the hostile-input tests: the mini-program client, the admin's signed-in
browsers and the callback's simulator, borrowed from the packages that own them."""

from tests.admin.conftest import accounts, client, signed_in  # noqa: F401
from tests.handlers.conftest import serve, sim  # noqa: F401
from tests.miniprogram_api.conftest import mp, server_with  # noqa: F401
