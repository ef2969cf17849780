"""`qiyun` subcommands of the business-environment evaluation (issue 7, in progress)."""

from __future__ import annotations
