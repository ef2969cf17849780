"""Surveys in the mini-program (issue 7, in progress)."""

from __future__ import annotations
