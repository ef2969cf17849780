"""Notifications: sending one template / subscribe message, and the subscribe-grant ledger."""
