"""The mini-program's JSON API, versioned under /mp/v1 (see miniprogram_api/README.md).

The factory registers `bp`. Every endpoint module is imported here, before `finalize`
adds the 405 fallbacks for the paths they define: a new endpoint module must be added
to this list.
"""

from miniprogram_api.blueprint import bp, finalize
from miniprogram_api.endpoints import auth, docs, enterprises, me, notifications, policies  # noqa: F401  (registers routes)
from miniprogram_api.endpoints import appeals  # noqa: F401  (registers routes)
from miniprogram_api.endpoints import activities, directory, engagements, providers  # noqa: F401
from miniprogram_api.endpoints import surveys  # noqa: F401

finalize(bp)

__all__ = ["bp"]
