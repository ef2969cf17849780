"""Issue 3 acceptance, through the WeChat simulator: a follower subscribes, is welcomed,
binds an enterprise in chat (one wrong try re-asked), and cancels another flow midway."""

from __future__ import annotations

from app.enterprise.credit_code import is_valid
from app.identity.models import EnterpriseBinding, Follower
from app.messagelog.models import MessageLog
from handlers.autoreplies import welcome_text
from tests.identity.factories import make_enterprise

OPENID = "oAcceptance0001"
CREDIT_CODE = "91350100M000100Y43"


async def test_subscribe_welcome_bind_with_one_wrong_try_then_cancel_another_flow(sim, db, redis):
    assert is_valid(CREDIT_CODE)
    enterprise = await make_enterprise(
        name="福州示例科技有限公司", legal_representative="张三", credit_code=CREDIT_CODE
    )

    # Subscribes and is welcomed with what the account can do.
    subscribed = await sim.event(OPENID, "subscribe")
    assert subscribed["reply"]["Content"] == await welcome_text(redis=redis)
    follower = await Follower.get(openid=OPENID)
    assert follower.subscribed and follower.subscribed_at is not None and follower.last_interaction_at is not None

    # Binds through the chat flow.
    assert "统一社会信用代码" in await sim.say(OPENID, "绑定")
    assert "法定代表人的姓名" in await sim.say(OPENID, "9135 0100 m000 100y43")  # as people paste it
    assert "1. 法定代表人\n2. 联系人" in await sim.say(OPENID, "李四")
    confirm = await sim.say(OPENID, "1")
    assert "统一社会信用代码：91350100M000100Y43" in confirm and "法定代表人：李四" in confirm

    wrong = await sim.say(OPENID, "1")
    assert "法定代表人姓名与企业登记信息不一致" in wrong and "还可尝试4次" in wrong
    assert "请输入该企业法定代表人的姓名" in wrong
    assert not await EnterpriseBinding.exists()

    back_to_confirm = await sim.say(OPENID, "张三")
    assert "法定代表人：张三" in back_to_confirm and "您的身份：法定代表人" in back_to_confirm
    done = await sim.say(OPENID, "确认")
    assert done.startswith("绑定成功！您已作为「法定代表人」绑定「福州示例科技有限公司」")

    follower = await Follower.get(openid=OPENID)
    binding = await EnterpriseBinding.get(user_id=follower.user_id)
    assert binding.enterprise_id == enterprise.id and binding.revoked_at is None

    # Starts another flow from the menu and cancels it midway.
    clicked = await sim.event(OPENID, "CLICK", event_key="bind_enterprise")
    assert "统一社会信用代码" in clicked["reply"]["Content"]
    assert "法定代表人的姓名" in await sim.say(OPENID, CREDIT_CODE)
    assert await sim.say(OPENID, "取消") == "已退出「绑定企业」，需要时可以随时重新开始。"
    assert "没有找到与“张三”相关的政策" in await sim.say(OPENID, "张三")  # no longer in a flow: read as a search
    assert await EnterpriseBinding.filter(user_id=follower.user_id).count() == 1

    # What the follower saw, in order, and what the log kept.
    seen = [entry for entry in await sim.conversation(OPENID) if entry["direction"] == "out"]
    assert len(seen) == 12 and all(entry["kind"] == "reply" for entry in seen)
    assert seen[0]["content"] == await welcome_text(redis=redis)
    assert await MessageLog.filter(openid=OPENID, direction="inbound").count() == 12
    assert await MessageLog.filter(openid=OPENID, kind="passive_reply").count() == 12
