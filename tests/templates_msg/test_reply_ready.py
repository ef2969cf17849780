"""The late-reply fallback: when a slow answer can no longer go as a customer-service
message, the `reply_ready` template message carries it (handlers/delivery.py)."""

from __future__ import annotations

from app.identity.models import Follower
from handlers.delivery import TemplateFallback, template_reply_fallback
from handlers.replies import Article, News, Text

from .conftest import BASE_URL


def test_without_its_template_id_there_is_no_fallback(unconfigured):
    assert template_reply_fallback(unconfigured) is None


def test_a_text_answer_becomes_its_first_twenty_characters_and_opens_the_h5_home(configured):
    build = template_reply_fallback(configured)
    fallback = build(Follower(openid="oFallback01"), Text("为您找到以下研发补贴政策：\n1. 浦东新区研发投入补贴\n2. ……"))
    assert isinstance(fallback, TemplateFallback)
    assert fallback.template_id == "tpl-reply_ready" and fallback.url == f"{BASE_URL}/h5/"
    thing = fallback.data["thing1"]["value"]
    assert thing == "为您找到以下研发补贴政策： 1. 浦东…" and len(thing) == 20
    assert fallback.data["time2"]["value"].count(":") == 1


def test_a_news_answer_opens_its_article(configured):
    build = template_reply_fallback(configured)
    news = News((Article(title="浦东新区研发投入补贴", url="https://qiyun.example.gov.cn/h5/policies/9"),))
    fallback = build(Follower(openid="oFallback01"), news)
    assert fallback.url == "https://qiyun.example.gov.cn/h5/policies/9"
    assert fallback.data["thing1"]["value"] == "浦东新区研发投入补贴"


async def test_the_server_installs_the_fallback_when_it_starts(configured, unconfigured):
    from types import SimpleNamespace

    from handlers import delivery, routes

    try:
        await routes._configure_reply_fallback(SimpleNamespace(ctx=SimpleNamespace(settings=configured)))
        assert delivery.reply_fallback() is not None
        await routes._configure_reply_fallback(SimpleNamespace(ctx=SimpleNamespace(settings=unconfigured)))
        assert delivery.reply_fallback() is None
    finally:
        delivery.set_reply_fallback(None)
