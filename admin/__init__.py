"""The staff admin panel (server-rendered Jinja2)."""
