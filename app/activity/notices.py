"""Outbox handlers for activity sign-ups, promotions and reminders."""
