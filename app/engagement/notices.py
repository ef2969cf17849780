"""Outbox handlers that tell enterprises and providers about engagements and provider status."""
