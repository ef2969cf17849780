"""Automatic replies that staff manage: keyword rules and the welcome text (see service)."""
