"""What the account says in its own voice (Simplified Chinese), kept together for review.

Staff-managed texts (the welcome, keyword auto replies) come from `app.autoreply`
when it is installed; these are the built-in defaults and the fixed phrases.
"""

from __future__ import annotations

WELCOME = (
    "您好，欢迎关注企业服务云！在这里您可以：\n"
    "· 查政策：搜索惠企政策，看看哪些政策适合您的企业\n"
    "· 提诉求：向相关部门反映企业遇到的问题，随时查看办理进度\n"
    "· 找服务：对接专业服务机构，报名服务中心的活动\n"
    "· 参与营商环境评估，说出您的感受\n\n"
    "建议先回复“绑定”（或点击菜单「企业服务」→「绑定企业」）绑定您的企业，获得更精准的服务。"
)

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
