"""Engagements (服务订单) in the admin."""
