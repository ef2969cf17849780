"""The official account's menu as staff edit it: saved versions in the database (see service)."""
