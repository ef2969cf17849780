"""The service centre's activity schedule (排片表), sign-ups, waiting list and check-in."""
