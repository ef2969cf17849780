"""Public service directory models (owned by the directory work; filled in this issue)."""
