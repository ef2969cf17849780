"""H5 pages for professional services opened from the chat."""

from sanic import Blueprint


def register(bp: Blueprint) -> None:
    """Adds this module's pages to the H5 blueprint (called once by `handlers.routes`)."""
