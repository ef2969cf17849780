"""Server-to-server intake: the 12345 hotline's API and an Open311 GeoReport v2 API.

The factory registers `bp` (both blueprints). Every route module is imported here before
`finalize` adds the 405 answers for the paths they define: a new route module must be
added to this list. Integrators' guide: docs/partner-api.md.
"""

from sanic import Blueprint

from partner_api import hotline, open311  # noqa: F401  (registers routes)
from partner_api.blueprint import finalize, hotline_bp, open311_bp

finalize()

bp = Blueprint.group(hotline_bp, open311_bp)

__all__ = ["bp"]
