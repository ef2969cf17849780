"""The usual alternative to Qiyun's callback, for benchmarks/callback.py --compare-flask.

A wechatpy + Flask endpoint as most WeChat official-account back ends are written, run under
gunicorn, doing the same work per message as Qiyun's keyword policy search over the SAME
PostgreSQL database and Redis:

1. `check_signature`, `WeChatCrypto.decrypt_message` (safe mode), `parse_message`;
2. MsgId de-dup in Redis (redis-py, synchronous: `SET NX EX`), as any sane implementation would;
3. the query segmented by Qiyun's own jieba dictionary (`app.policy.segment.analyse_query`,
   pure Python) and the very SQL Qiyun's PostgreSQL index runs (built by
   `app.policy.search_index.PostgresSearchIndex`, pure string building), through psycopg 3
   with a connection pool; then the best hits' rows read from `policy`;
4. the reply Qiyun gives: a news card for the best hit (title, support type, snippet, link),
   the result list remembered in Redis for "reply 2", encrypted and returned; no hit: a text.

What it does NOT do that Qiyun does (so Qiyun carries more work per message): follower
upsert and 48-hour window, the inbound and outbound message log rows, replay (nonce) check,
reply caching for WeChat's retries, the public-services lookup and the follow-up
customer-service message with the further hits, the 4-second deadline.

    gunicorn -w 5 -k sync --preload --chdir /work/main benchmarks.alternative.flask_callback:app

Configuration from the environment: WECHAT_TOKEN, WECHAT_AES_KEY, WECHAT_APPID, DATABASE_URL
(postgres://), REDIS_URL, PUBLIC_BASE_URL, ALT_POOL_SIZE (connections per process; default:
the gunicorn thread count).
"""

from __future__ import annotations

import html
import json
import os
import re
import threading
from datetime import date

import psycopg
import redis
from flask import Flask, Response, request
from psycopg_pool import ConnectionPool
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidSignatureException
from wechatpy.replies import ArticlesReply, TextReply
from wechatpy.utils import check_signature

from app.policy import segment
from app.policy.highlight import Highlighter
from app.policy.search import SearchFilters
from app.policy.search_index import PostgresSearchIndex, _Params

TOKEN = os.environ["WECHAT_TOKEN"]
AES_KEY = os.environ["WECHAT_AES_KEY"]
APPID = os.environ["WECHAT_APPID"]
DATABASE_URL = os.environ["DATABASE_URL"].replace("postgres://", "postgresql://", 1)
REDIS_URL = os.environ["REDIS_URL"]
PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
POOL_SIZE = int(os.environ.get("ALT_POOL_SIZE", "1"))
RESULTS_SHOWN = 5
SUPPORT_LABELS = {
    "subsidy": "资金补贴", "tax": "税收优惠", "qualification": "资质认定", "financing": "融资支持",
    "talent": "人才支持", "premises": "场地支持", "other": "其他",
}
_PLACEHOLDER = re.compile(r"\$(\d+)")
_TAGS = re.compile(r"<[^>]+>")

app = Flask(__name__)
crypto = WeChatCrypto(TOKEN, AES_KEY, APPID)
index = PostgresSearchIndex()
segment.warm_up()  # with --preload: jieba's dictionary loads once, in the master, before the fork

_local = threading.local()
_lock = threading.Lock()
_state: dict[str, object] = {}


def _resources() -> tuple[ConnectionPool, redis.Redis]:
    """This process's pool and Redis client, made after the fork (sockets must not be shared)."""
    pid = os.getpid()
    if _state.get("pid") != pid:
        with _lock:
            if _state.get("pid") != pid:
                _state["pool"] = ConnectionPool(
                    DATABASE_URL, min_size=1, max_size=POOL_SIZE, open=True, kwargs={"autocommit": True}
                )
                _state["redis"] = redis.Redis.from_url(REDIS_URL)
                _state["pid"] = pid
    return _state["pool"], _state["redis"]  # type: ignore[return-value]


def search(query: str, *, today: date, limit: int = RESULTS_SHOWN) -> tuple[list[dict], int, list[str]]:
    """(policy rows best first, total matches, every query word): Qiyun's ranked query."""
    groups = [term.alternatives for term in segment.analyse_query(query)]
    if not groups:
        return [], 0, []
    params = _Params("$")
    sql = index._ranked(params, groups, SearchFilters(), today) + f" LIMIT {params(limit)} OFFSET {params(0)}"
    sql = _PLACEHOLDER.sub(lambda m: f"%(p{m.group(1)})s", sql)
    values = {f"p{n}": value for n, value in enumerate(params.values, 1)}
    pool, _ = _resources()
    with pool.connection() as connection:
        ranked = connection.execute(sql, values).fetchall()
        if not ranked:
            return [], 0, []
        ids = [row[0] for row in ranked]
        cursor = connection.cursor(row_factory=psycopg.rows.dict_row)
        rows = cursor.execute(
            "SELECT id, title, summary, body, doc_number, support_type, status, expiry_date "
            "FROM policy WHERE id = ANY(%s) AND status IN ('published', 'expired')",
            [ids],
        ).fetchall()
    by_id = {row["id"]: row for row in rows}
    return [by_id[i] for i in ids if i in by_id], ranked[0][5], [word for group in groups for word in group]


def answer(message, *, openid: str) -> str:
    """The plaintext reply XML for a text message."""
    query = (message.content or "").strip()
    today = date.today()
    hits, total, words = search(query, today=today) if query else ([], 0, [])
    if not hits:
        return TextReply(message=message, content=f"没有找到与“{query}”相关的政策。").render()
    _, client = _resources()
    client.set(f"alt:last:{openid}", json.dumps([hit["id"] for hit in hits]), ex=1800)
    best = hits[0]
    mark = Highlighter(words)
    snippet = html.unescape(_TAGS.sub("", mark.snippet(best["summary"], best["body"])))
    expired = best["status"] == "expired" or (best["expiry_date"] is not None and best["expiry_date"] < today)
    head = "｜".join(part for part in (SUPPORT_LABELS.get(best["support_type"], ""), best["doc_number"]) if part)
    article = {
        "title": f"【已失效】{best['title']}" if expired else best["title"],
        "description": f"{head}\n{snippet}"[:120],
        "url": f"{PUBLIC_BASE_URL}/h5/policies/{best['id']}",
        "image": "",
    }
    return ArticlesReply(message=message, articles=[article]).render()


@app.post("/wechat/callback")
def callback() -> Response:
    args = request.args
    timestamp, nonce = args.get("timestamp", ""), args.get("nonce", "")
    try:
        check_signature(TOKEN, args.get("signature", ""), timestamp, nonce)
        xml = crypto.decrypt_message(request.get_data(), args.get("msg_signature", ""), timestamp, nonce)
    except InvalidSignatureException:
        return Response("forbidden", status=403)
    except Exception:  # noqa: BLE001  (wechatpy raises several kinds on a body it cannot decrypt)
        return Response("bad request", status=400)
    message = parse_message(xml)
    _, client = _resources()
    if not client.set(f"alt:msg:{message.id}", b"1", nx=True, ex=120):
        return Response("success")  # a retry of a message already being answered
    if message.type != "text":
        return Response("success")
    reply = answer(message, openid=message.source)
    return Response(crypto.encrypt_message(reply, nonce, timestamp), content_type="application/xml; charset=utf-8")


@app.get("/readyz")
def ready() -> Response:
    pool, client = _resources()
    client.ping()
    with pool.connection() as connection:
        connection.execute("SELECT 1")
    return Response("ok")
