"""Staff read the message log's codes as Chinese names."""

from __future__ import annotations

from app.messagelog.labels import kind_label, status_label


def test_kinds_in_and_out_have_chinese_names_and_unknown_ones_stay_visible():
    assert kind_label("text") == "文字" and kind_label("event") == "事件"
    assert kind_label("passive_reply") == "被动回复" and kind_label("template") == "模板消息"
    assert kind_label("miniprogrampage") == "miniprogrampage"
    assert kind_label(None) == ""


def test_delivery_states_read_as_chinese_and_keep_wechat_reasons():
    assert status_label("sent") == "已发送" and status_label("success") == "已送达"
    assert status_label("failed:user block") == "用户拒收"
    assert status_label("failed:quota") == "发送失败（failed:quota）"
    assert status_label("") == ""
