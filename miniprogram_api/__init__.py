"""The mini-program's JSON API (a thin transport over app's domain services)."""
