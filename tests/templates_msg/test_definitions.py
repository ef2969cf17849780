"""Every notification's definition: valid at start, configured by its own setting, rendered
into exactly what WeChat accepts, with its jumps; and the checks that refuse a bad one."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from pydantic import BaseModel

import templates_msg
from app.config import Settings
from app.policy.models import SupportType
from app.engagement.models import EngagementStatus
from app.simulator.errors import WxError
from app.simulator.fields import check_subscribe_data, check_template_data
from templates_msg import Channel, DefinitionError, Field, MessageKind, TemplateError
from templates_msg.base import TemplateDefinition

from .conftest import BASE_URL, MP_APPID, OA_APPID

NOTIFICATIONS = {
    "policy_push", "appeal_accepted", "appeal_dispatched", "appeal_replied", "appeal_overdue",
    "provider_engagement", "survey_invitation", "survey_reminder", "activity_reminder",
    "appeal_progress", "appeal_assigned",
    "provider_engagement_progress",
    "activity_notice",
    "provider_status",
    "provider_status_progress",
    "survey_notice",
    "report_ready",
}


def test_every_notification_of_the_platform_has_a_definition():
    names = {d.name for d in templates_msg.all_definitions()}
    assert NOTIFICATIONS <= names
    assert names - NOTIFICATIONS == {"reply_ready"}  # the late-reply fallback of the callback


@pytest.mark.parametrize("definition", templates_msg.all_definitions(), ids=lambda d: d.name)
def test_each_definition_is_valid_and_its_setting_exists(definition: TemplateDefinition):
    assert definition.problems() == []
    assert definition.setting in Settings.model_fields
    assert definition.setting == f"template_{definition.name}"
    assert definition.setting_variable == f"TEMPLATE_{definition.name.upper()}"
    assert Settings(_env_file=None, **{definition.setting: "abc"}).model_dump()[definition.setting] == "abc"
    assert (definition.kind, definition.channel) in {
        (MessageKind.template, Channel.official_account),
        (MessageKind.subscribe, Channel.miniprogram),
    }
    assert definition.description  # who receives it and why this kind


@pytest.mark.parametrize("definition", templates_msg.all_definitions(), ids=lambda d: d.name)
def test_each_example_renders_into_what_the_simulated_wechat_accepts(definition, configured):
    message = definition.render(definition.example, settings=configured)
    assert message.template_id == f"tpl-{definition.name}"
    assert set(message.data) == {f.key for f in definition.fields}
    assert all(set(item) == {"value"} for item in message.data.values())  # no colours
    assert "first" not in message.data and "remark" not in message.data
    try:
        if message.kind is MessageKind.template:
            check_template_data(message.data)
            check_subscribe_data(message.data)  # template fields keep their type's rule too
            assert message.sender_appid == OA_APPID
        else:
            check_subscribe_data(message.data)
            assert message.sender_appid == MP_APPID
    except WxError as exc:  # pragma: no cover - the failure message is the point
        pytest.fail(f"WeChat would answer {exc}")


def test_a_policy_push_opens_the_h5_page_and_the_mini_program_page(configured):
    message = templates_msg.get("policy_push").render(
        {"policy_id": 42, "title": "研发费用补贴", "support_type": SupportType.subsidy, "apply_end": date(2030, 6, 30)},
        settings=configured,
    )
    assert message.kind is MessageKind.template and message.channel is Channel.official_account
    assert message.url == f"{BASE_URL}/h5/policies/42"
    assert message.miniprogram == {"appid": MP_APPID, "pagepath": "pages/policy/detail?id=42"}
    assert message.data == {
        "thing1": {"value": "研发费用补贴"},
        "phrase2": {"value": "资金补贴"},
        "thing3": {"value": "见政策原文"},  # no issuer known: the fallback, never an empty field
        "thing4": {"value": "截至2030年6月30日"},
    }


def test_without_a_mini_program_a_template_message_only_opens_the_h5_page(unconfigured):
    settings = unconfigured.model_copy(update={"template_policy_push": "tpl"})
    message = templates_msg.get("policy_push").render(templates_msg.get("policy_push").example, settings=settings)
    assert message.url == f"{BASE_URL}/h5/policies/1" and message.miniprogram is None


def test_a_mini_program_subscribe_message_opens_its_page(configured):
    message = templates_msg.get("activity_reminder").render(
        {"activity_id": 7, "title": "政策宣讲会", "starts_at": datetime(2024, 5, 20, 6, 0, tzinfo=UTC), "place": "三楼"},
        settings=configured,
    )
    assert message.kind is MessageKind.subscribe and message.channel is Channel.miniprogram
    assert message.url is None and message.page == "pages/activity/detail?id=7"
    assert message.data["time2"] == {"value": "2024年5月20日 14:00"}
    assert message.data["thing4"] == {"value": "请准时到场，凭签到码入场"}


def test_every_support_type_and_engagement_status_has_its_phrase(configured):
    push, engagement = templates_msg.get("policy_push"), templates_msg.get("provider_engagement")
    for support_type in SupportType:
        values = {**push.example, "support_type": support_type.value}
        assert push.render(values, settings=configured).data["phrase2"]["value"] == support_type.label
    for status in EngagementStatus:
        values = {**engagement.example, "status": status}
        assert engagement.render(values, settings=configured).data["phrase3"]["value"] == status.label


def test_an_overdue_stage_is_sent_as_its_short_word(configured):
    overdue = templates_msg.get("appeal_overdue")
    words = {stage: overdue.render({**overdue.example, "stage": stage}, settings=configured).data["phrase3"]["value"]
             for stage in ("accept", "respond", "resolve")}
    assert words == {"accept": "受理超期", "respond": "响应超期", "resolve": "办结超期"}
    assert overdue.render(overdue.example, settings=configured).url == f"{BASE_URL}/admin/appeals/1"


def test_long_text_is_shortened_and_the_rendered_message_says_which_fields(configured):
    replied = templates_msg.get("appeal_replied")
    message = replied.render({**replied.example, "reply": "很长的答复\n" * 10}, settings=configured)
    assert message.shortened == ("thing3",)
    assert message.data["thing3"]["value"].endswith("…") and "\n" not in message.data["thing3"]["value"]
    assert message.summary.startswith("诉求答复通知｜诉求编号：SQ20240501000123；")


def test_a_missing_value_is_an_error_that_names_it(configured):
    with pytest.raises(TemplateError, match=r"policy_push: missing value\(s\): title, support_type"):
        templates_msg.get("policy_push").render({"policy_id": 1}, settings=configured)
    with pytest.raises(TemplateError, match="invalid value"):
        templates_msg.get("policy_push").render(
            {"policy_id": 1, "title": "x", "support_type": "lottery"}, settings=configured
        )


def test_an_empty_value_without_a_fallback_is_an_error(configured):
    with pytest.raises(TemplateError, match=r"activity_reminder: thing3 \(活动地点\) has no value"):
        templates_msg.get("activity_reminder").render(
            {**templates_msg.get("activity_reminder").example, "place": " \n "}, settings=configured
        )


def test_an_unusable_value_is_an_error_before_anything_is_sent(configured):
    accepted = templates_msg.get("appeal_accepted")
    with pytest.raises(TemplateError, match="character_string"):
        accepted.render({**accepted.example, "number": "诉求001"}, settings=configured)


def test_an_unset_template_id_is_an_error_naming_the_variable(unconfigured):
    with pytest.raises(TemplateError, match="set TEMPLATE_POLICY_PUSH"):
        templates_msg.get("policy_push").render(templates_msg.get("policy_push").example, settings=unconfigured)
    assert not templates_msg.get("policy_push").is_configured(unconfigured)


def test_the_registry_finds_definitions_by_name_and_by_template_id(configured):
    assert templates_msg.get("policy_push").name == "policy_push"
    with pytest.raises(TemplateError, match="unknown template definition 'nope'"):
        templates_msg.get("nope")
    found = templates_msg.find_by_template_id("tpl-appeal_replied", settings=configured)
    assert found is templates_msg.get("appeal_replied") and found.long_term
    assert templates_msg.find_by_template_id("tpl-appeal_replied", settings=configured,
                                             channel=Channel.official_account) is None
    assert templates_msg.find_by_template_id("", settings=configured) is None


def test_the_mini_program_learns_which_template_ids_to_ask_for(configured, unconfigured):
    appeal = ("appeal_accepted", "appeal_dispatched", "appeal_replied")
    assert templates_msg.subscribe_template_ids(appeal, settings=configured) == {
        name: f"tpl-{name}" for name in appeal
    }
    assert templates_msg.subscribe_template_ids(("policy_push", "activity_reminder"), settings=configured) == {
        "activity_reminder": "tpl-activity_reminder"  # a template message needs no grant
    }
    assert templates_msg.subscribe_template_ids(appeal, settings=unconfigured) == {}


# -- a wrong definition stops the process at import ------------------------------------


class _Ctx(BaseModel):
    text: str = "样例"


def _define(**overrides):
    spec = dict(
        name="sample_notice", title="样例通知", setting="template_policy_push", kind=MessageKind.template,
        channel=Channel.official_account, context=_Ctx, fields=(Field("thing1", "内容", "text"),), example={},
    )
    spec.update(overrides)
    return templates_msg.register(TemplateDefinition(**spec))


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"fields": (Field("first", "标题", "text"),)}, "first/remark"),
        ({"fields": (Field("thing1", "内容", "text"), Field("remark", "备注", "text"))}, "first/remark"),
        ({"setting": "template_nowhere"}, "does not exist"),
        ({"setting": "wechat_api_timeout"}, "must be `str"),
        ({"fields": tuple(Field(f"thing{i}", "x", "text") for i in range(1, 7))}, "1 to 5 fields"),
        ({"fields": (Field("thing1", "x", "text"), Field("thing1", "y", "text"))}, "duplicate"),
        ({"fields": (Field("colour1", "x", "text"),)}, "unknown field type"),
        ({"fields": (Field("thing1", "x", "missing"),)}, "no field 'missing'"),
        ({"fields": (Field("phrase1", "x", "text", phrases={"a": "太长的一个短语了"}),)}, "not a valid phrase"),
        ({"fields": (Field("date1", "x", "text", fallback="尽快"),)}, "not a valid date"),
        ({"kind": MessageKind.template, "channel": Channel.miniprogram}, "only on the official account"),
        ({"kind": MessageKind.subscribe, "channel": Channel.miniprogram, "url": lambda c: "/h5/"},
         "cannot open an H5 page"),
        ({"kind": MessageKind.subscribe, "channel": Channel.miniprogram}, "needs a page"),
        ({"long_term": True}, "subscribe messages only"),
        ({"fields": (Field("date1", "日期", "text"),)}, "example does not render"),
    ],
)
def test_a_wrong_definition_is_refused_at_registration(overrides, problem):
    with pytest.raises(DefinitionError, match=problem):
        _define(**overrides)
    templates_msg.unregister("sample_notice")


def test_a_name_is_registered_once():
    with pytest.raises(DefinitionError, match="already registered"):
        _define(name="policy_push")
