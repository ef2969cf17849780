"""H5 pages of the activity schedule and tickets."""

from sanic import Blueprint


def register(bp: Blueprint) -> None:
    """Adds this module's pages to the H5 blueprint (called once by `handlers.routes`)."""
