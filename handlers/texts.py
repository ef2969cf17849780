"""What the account says in its own voice (Simplified Chinese), kept together for review.

Staff-managed texts (the welcome, keyword auto replies) come from `app.autoreply`
when it is installed; these are the built-in defaults and the fixed phrases.
"""

from __future__ import annotations

from app.autoreply.service import DEFAULT_WELCOME

# The built-in welcome is the one staff start from in the admin panel (one text, not two).
WELCOME = DEFAULT_WELCOME

WELCOME_BACK = "欢迎回来！"

HELP = (
    "您可以这样使用企业服务云：\n"
    "· 回复“绑定”：绑定您的企业\n"
    "· 菜单「政策服务」：查找惠企政策\n"
    "· 菜单「企业诉求」：反映问题、查看进度\n"
    "· 菜单「企业服务」：专业服务、活动排片和营商环境评估"
)

NOT_UNDERSTOOD = "暂时没有找到与“{text}”相关的内容。\n\n" + HELP

UNSUPPORTED_TYPE = "已收到您的{kind}，目前我只能看懂文字消息哦。\n\n" + HELP

COMING_SOON = "「{name}」功能正在建设中，敬请期待。\n\n" + HELP

NOTHING_TO_CONTINUE = "目前没有需要继续填写的事项。\n\n" + HELP

SCAN_THANKS = "扫码成功，欢迎回来！\n\n" + HELP
