"""Outbox handlers of survey invitations and reminders (issue 7, in progress)."""

from __future__ import annotations
