"""Survey status transitions (draft → open → closed, closed → open to extend): one table, checked in one place.

Owned by the questionnaire-builder work (issue 7)."""

from __future__ import annotations
