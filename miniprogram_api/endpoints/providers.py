"""Providers in the mini-program: list, detail, apply, provider desk."""
