"""Binding an enterprise in chat: credit code → legal representative → role → confirm.

The rules (the register check, the failed-tries limit, the lock-out) belong to
`app.identity.binding.bind_enterprise`, shared with the mini-program; this flow only
asks the questions and turns the service's refusals into the right question again:
a wrong name re-asks the name (with the tries left), an unknown credit code re-asks
the code, a lock-out ends the conversation with the service's message.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from app.conversation import Abort, Choice, Flow, FlowContext, Invalid, Step, flow
from app.enterprise.credit_code import InvalidCreditCode, normalise, validate
from app.enterprise.reference import BindingRole
from app.identity import followers
from app.identity.binding import bind_enterprise
from app.identity.errors import BindingError
from handlers.context import Context
from handlers.conversation import start_flow

__all__ = ["FLOW", "BindEnterprise", "start_binding"]

FLOW = "bind_enterprise"
CREDIT_CODE_LENGTH = 18
NAME_LIMIT = 50

# The service's refusal codes -> the step whose answer it refused.
_REASK_STEP = {
    "invalid_credit_code": "credit_code",
    "enterprise_not_found": "credit_code",
    "legal_representative_mismatch": "legal_representative",
}


def check_credit_code(text: str, answers: Any) -> str:
    """Catch typos before the register is asked: length, characters, check digits."""
    code = normalise(text)
    try:
        validate(code)
    except InvalidCreditCode as exc:
        raise Invalid(f"{exc.reason}，请核对后重新输入。") from None
    return code


def check_name(text: str, answers: Any) -> str:
    name = unicodedata.normalize("NFKC", text).strip()
    if len(name) > NAME_LIMIT or any(char.isdigit() for char in name):
        raise Invalid("请输入法定代表人的姓名（与营业执照上一致）。")
    return name


def _confirm_prompt(answers: Any) -> str:
    role = BindingRole(answers["role"]).label
    return (
        "请核对以下信息：\n"
        f"· 统一社会信用代码：{answers['credit_code']}\n"
        f"· 法定代表人：{answers['legal_representative']}\n"
        f"· 您的身份：{role}"
    )


@flow(FLOW)
class BindEnterprise(Flow):
    title = "绑定企业"
    intro = "绑定企业后，您可以收到适合企业的政策推荐，并以企业身份反映诉求。我们会用企业登记信息核对您的身份。"
    steps = (
        Step(
            "credit_code",
            "请输入企业的统一社会信用代码（18位，营业执照上可以找到）：",
            validate=check_credit_code,
            max_attempts=5,
        ),
        Step("legal_representative", "请输入该企业法定代表人的姓名：", validate=check_name, max_attempts=5),
        Step(
            "role",
            "请选择您在该企业的身份：",
            choices=tuple(Choice(role.value, role.label) for role in BindingRole),
        ),
        Step("confirm", _confirm_prompt, confirm=True),
    )

    async def complete(self, answers: dict[str, Any], ctx: FlowContext) -> str:
        handler_ctx: Context = ctx.deps
        user = await followers.ensure_user(follower=handler_ctx.follower)
        role = BindingRole(answers["role"])
        try:
            binding = await bind_enterprise(
                user=user,
                credit_code=answers["credit_code"],
                legal_representative=answers["legal_representative"],
                role=role,
                redis=handler_ctx.redis,
            )
        except BindingError as refused:
            step = _REASK_STEP.get(refused.code)
            remaining = refused.details.get("remaining_attempts")
            if step is None or remaining == 0:
                raise Abort(refused.message) from None
            message = refused.message
            if remaining is not None and "还可尝试" not in message:
                message += f"（还可尝试{remaining}次）"
            raise Invalid(message, step=step) from None
        enterprise = binding.enterprise
        return (
            f"绑定成功！您已作为「{role.label}」绑定「{enterprise.name}」。\n"
            "之后我们会为企业推荐合适的政策，您也可以通过菜单「企业诉求」反映问题。"
        )


async def start_binding(ctx: Context, *, credit_code: str | None = None) -> str:
    """Open the binding flow; an invitation's valid credit code skips the first question."""
    prefill: dict[str, str] = {}
    if credit_code:
        try:
            prefill["credit_code"] = check_credit_code(credit_code, {})
        except Invalid:
            pass  # a damaged invitation: ask for the code as usual
    return await start_flow(ctx, FLOW, prefill=prefill)
