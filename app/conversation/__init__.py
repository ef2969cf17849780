"""Multi-step conversations in chat: a follower answers one question at a time.

Domain-neutral: the engine knows subjects (an openid), flows (registered by name with
`@flow`), steps, answers and commands (返回 / 取消 / 退出 / 继续), and nothing about
WeChat, enterprises or appeals. State lives in Redis as JSON, so a flow continues on
any server process and after a restart. A later flow plugs in by defining a `Flow`
subclass in its own module; nothing here changes.

    @flow("provider_rating")
    class RateProvider(Flow):
        title = "服务评价"
        steps = (
            Step("score", "请为本次服务打分：", choices=(Choice("5", "非常满意"), Choice("3", "一般"))),
            Step("comment", "还有什么想告诉我们的？", optional=True),
        )

        async def complete(self, answers, ctx):
            await rate_provider(provider_id=ctx.data["provider_id"], **answers)
            return "感谢您的评价！"
"""

from app.conversation.engine import ConversationEngine, Outcome
from app.conversation.flows import (
    CANCEL_CHOICE,
    Abort,
    Choice,
    Collected,
    Flow,
    FlowContext,
    Invalid,
    Media,
    Step,
    Then,
    flow,
    get_flow,
    load_flow,
    registered_flows,
    unregister_flow,
)
from app.conversation.store import ConversationState, ConversationStore

__all__ = [
    "CANCEL_CHOICE",
    "Abort",
    "Choice",
    "Collected",
    "ConversationEngine",
    "ConversationState",
    "ConversationStore",
    "Flow",
    "FlowContext",
    "Invalid",
    "Media",
    "Outcome",
    "Step",
    "Then",
    "flow",
    "get_flow",
    "load_flow",
    "registered_flows",
    "unregister_flow",
]
