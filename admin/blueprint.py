"""The admin blueprint itself, in its own module so view modules can import it without cycles."""

from sanic import Blueprint

bp = Blueprint("admin", url_prefix="/admin")
