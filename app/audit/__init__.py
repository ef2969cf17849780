"""The audit log: who on the staff did what, and when (see service.record)."""
