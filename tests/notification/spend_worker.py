"""Subprocess helper for the cross-process spending test.

`python tests/notification/spend_worker.py DATABASE_URL OPENID TEMPLATE_ID ATTEMPTS` opens
the database, tries to spend ATTEMPTS mini-program grants and prints how many it got.
"""

from __future__ import annotations

import asyncio
import sys

from app import db
from app.notification.ledger import spend_grant
from app.notification.models import GrantChannel


async def main(database_url: str, openid: str, template_id: str, attempts: str) -> int:
    await db.open_database(database_url)
    try:
        claims = await asyncio.gather(
            *(spend_grant(channel=GrantChannel.miniprogram, openid=openid, template_id=template_id)
              for _ in range(int(attempts)))
        )
        print(sum(claim is not None for claim in claims), flush=True)
        return 0
    finally:
        await db.close_database()


if __name__ == "__main__":
    sys.exit(asyncio.run(main(*sys.argv[1:5])))
