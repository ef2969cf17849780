"""The public service directory editor."""
