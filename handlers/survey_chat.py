"""Official-account chat for surveys (issue 7, in progress)."""

from __future__ import annotations
