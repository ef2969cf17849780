"""OWNER: see app/reporting/__init__.py; filled in by its helper."""
