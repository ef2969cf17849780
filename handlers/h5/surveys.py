"""H5 survey pages (issue 7, in progress)."""

from __future__ import annotations

from sanic import Blueprint

__all__ = ["register"]


def register(bp: Blueprint) -> None:
    """Adds this module's pages to the H5 blueprint (called once by `handlers.routes`)."""
