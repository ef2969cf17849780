"""The staff preview: the message as the recipient sees it, what was shortened, and what
is not configured yet, in the staff's language."""

from __future__ import annotations

import pytest

import templates_msg
from templates_msg import TemplateError

from .conftest import BASE_URL, MP_APPID


def test_the_preview_shows_each_field_with_its_label_and_the_jumps(configured):
    shown = templates_msg.preview("policy_push", settings=configured)
    assert (shown.title, shown.kind_label, shown.template_id) == ("政策推送通知", "公众号模板消息", "tpl-policy_push")
    assert [(f.label, f.value) for f in shown.fields] == [
        ("政策名称", "浦东新区关于支持科技型中小企业研发投入…"),
        ("扶持类型", "资金补贴"),
        ("发布部门", "浦东新区科技和经济委员会"),
        ("申报时间", "截至2030年6月30日"),
    ]
    assert shown.url == f"{BASE_URL}/h5/policies/1"
    assert shown.miniprogram == {"appid": MP_APPID, "pagepath": "pages/policy/detail?id=1"}
    assert shown.configured


def test_the_preview_says_what_was_shortened_and_keeps_the_original(configured):
    shown = templates_msg.preview(
        "policy_push",
        {"policy_id": 3, "title": "关于进一步支持本市专精特新中小企业高质量发展的若干措施", "support_type": "tax"},
        settings=configured,
    )
    title = shown.fields[0]
    assert title.shortened and title.original == "关于进一步支持本市专精特新中小企业高质量发展的若干措施"
    assert title.value == "关于进一步支持本市专精特新中小企业高质…"
    assert shown.shortened == ("政策名称",)
    assert shown.warnings == ("“政策名称”超过20字，已截断：关于进一步支持本市专精特新中小企业高质…",)
    assert shown.fields[1].value == "税收优惠" and shown.fields[1].original == "税收优惠"


def test_a_notification_can_be_previewed_before_its_template_id_is_set(unconfigured):
    shown = templates_msg.preview("survey_invitation", settings=unconfigured)
    assert not shown.configured and shown.template_id == ""
    assert "未配置模板ID（环境变量 TEMPLATE_SURVEY_INVITATION），此通知不会发送" in shown.warnings
    assert "未配置小程序AppID（MINIPROGRAM_APPID），消息不会跳转小程序" in shown.warnings
    assert shown.url == f"{BASE_URL}/h5/surveys/1" and shown.miniprogram is None


def test_every_definition_has_a_clean_preview_of_its_example_when_configured(configured):
    for definition in templates_msg.all_definitions():
        shown = templates_msg.preview(definition, settings=configured)
        assert all("未配置" not in w for w in shown.warnings), definition.name
        assert shown.url or shown.miniprogram, definition.name


def test_a_preview_with_a_missing_value_fails_like_sending_would(configured):
    with pytest.raises(TemplateError, match="missing value"):
        templates_msg.preview("appeal_accepted", {"appeal_id": 1}, settings=configured)
