"""Engagements (服务订单) of professional service providers and their ratings."""
