"""Binding an enterprise in chat: every refusal of the binding service becomes the right
question again, or the end of the conversation with the service's own words."""

from __future__ import annotations

import json

from app.conversation import ConversationEngine
from app.identity.models import EnterpriseBinding, Follower
from tests.identity.factories import make_credit_code, make_enterprise, with_wrong_check_char

OPENID = "oBindFlow0001"


async def fill(sim, *answers: str) -> str:
    reply = ""
    for answer in answers:
        reply = await sim.say(OPENID, answer)
    return reply


async def test_a_mistyped_credit_code_is_asked_again_with_the_reason_and_tries_left(sim, db):
    code = make_credit_code()
    reply = await fill(sim, "绑定", with_wrong_check_char(code))
    assert "第18位校验码错误" in reply and "（还可尝试4次）" in reply
    assert "请输入企业的统一社会信用代码" in reply
    assert "法定代表人的姓名" in await sim.say(OPENID, code)


async def test_an_unknown_enterprise_sends_the_follower_back_to_the_credit_code(sim, db):
    reply = await fill(sim, "绑定", make_credit_code(), "张三", "2", "1")
    assert "企业库中未找到该统一社会信用代码对应的企业" in reply and "还可尝试4次" in reply
    assert "请输入企业的统一社会信用代码" in reply


async def test_the_role_can_be_contact_and_back_works_at_every_step(sim, db):
    enterprise = await make_enterprise(legal_representative="阿卜杜·热合曼")
    await fill(sim, "绑定", enterprise.credit_code, "阿卜杜热合曼")
    back = await sim.say(OPENID, "返回")
    assert "请输入该企业法定代表人的姓名" in back and "（上次填写：阿卜杜热合曼）" in back
    confirm = await fill(sim, "阿卜杜·热合曼", "联系人")
    assert "您的身份：联系人" in confirm
    done = await sim.say(OPENID, "1")
    assert done.startswith(f"绑定成功！您已作为「联系人」绑定「{enterprise.name}」")
    binding = await EnterpriseBinding.get(enterprise_id=enterprise.id)
    assert binding.role == "contact"


async def test_binding_the_same_enterprise_twice_ends_with_the_services_message(sim, db):
    enterprise = await make_enterprise()
    await fill(sim, "绑定", enterprise.credit_code, "张三", "1", "1")
    again = await fill(sim, "绑定", enterprise.credit_code, "张三", "1", "1")
    assert again == "您已绑定该企业，如需变更身份请先解除绑定"
    assert await EnterpriseBinding.filter(enterprise_id=enterprise.id).count() == 1


async def test_after_the_last_allowed_wrong_name_the_follower_is_locked_out(sim, db):
    enterprise = await make_enterprise(legal_representative="张三")
    reply = await fill(sim, "绑定", enterprise.credit_code, "李四", "1", "1")
    for remaining in (3, 2, 1):
        reply = await fill(sim, "李四", "1")
        assert f"还可尝试{remaining}次" in reply
    last = await fill(sim, "李四", "1")
    assert last == "法定代表人姓名与企业登记信息不一致。验证失败次数已达上限，请24小时后再试"

    locked = await fill(sim, "绑定", enterprise.credit_code, "张三", "1", "1")
    assert locked == "验证失败次数过多，请24小时后再试"
    assert "没有找到与“张三”相关的政策" in await sim.say(OPENID, "张三")  # the conversation is over
    follower = await Follower.get(openid=OPENID)
    assert not await EnterpriseBinding.filter(user_id=follower.user_id).exists()


async def test_the_keyword_and_the_menu_both_start_binding_from_the_first_question(sim, db):
    for start in ("绑定企业", "绑定"):
        assert "【绑定企业 1/4】" in await sim.say(OPENID, start)
    clicked = await sim.event(OPENID, "CLICK", event_key="bind_enterprise")
    assert "【绑定企业 1/4】" in clicked["reply"]["Content"]


async def test_an_idle_binding_pauses_politely_answers_the_new_message_and_continues_later(sim, redis, db):
    enterprise = await make_enterprise()
    await fill(sim, "绑定", enterprise.credit_code)
    key = ConversationEngine(redis=redis).store.key(OPENID)
    state = json.loads(await redis.get(key))
    state["updated_at"] -= 11 * 60  # as if the follower walked away eleven minutes ago
    await redis.set(key, json.dumps(state))

    reply = await sim.say(OPENID, "帮助")
    assert reply.startswith("您在「绑定企业」停留较久，已为您暂停，已填写的内容会保留。")
    assert "您可以这样使用企业服务云" in reply  # the new message is answered too
    resumed = await sim.say(OPENID, "继续")
    assert resumed.startswith("好的，我们继续「绑定企业」。")
    assert f"· {enterprise.credit_code}" in resumed and "请输入该企业法定代表人的姓名" in resumed
    assert (await fill(sim, "张三", "1", "1")).startswith("绑定成功！")
    assert (await sim.say(OPENID, "继续")).startswith("目前没有需要继续填写的事项。")
