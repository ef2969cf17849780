"""Endpoint modules of the mini-program API, one per area; `miniprogram_api.routes` imports them."""
