"""H5 pages for engagements and ratings opened from the chat."""

from sanic import Blueprint


def register(bp: Blueprint) -> None:
    """Adds this module's pages to the H5 blueprint (called once by `handlers.routes`)."""
