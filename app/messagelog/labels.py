"""Chinese names for the message log's codes, for staff pages (the codes stay in the database).

`kind` is WeChat's MsgType for what came in, and how it went out for what we sent;
`status` is the delivery state (`sent`, then WeChat's `success` / `failed:...` report).
An unknown code is shown as it is, so a new kind never disappears from the log.
"""

from __future__ import annotations

__all__ = ["KIND_LABELS", "STATUS_LABELS", "kind_label", "status_label"]

KIND_LABELS: dict[str, str] = {
    # in: WeChat's message types
    "text": "文字",
    "image": "图片",
    "voice": "语音",
    "video": "视频",
    "shortvideo": "小视频",
    "location": "位置",
    "link": "链接",
    "file": "文件",
    "event": "事件",
    # out: how we answered or pushed
    "passive_reply": "被动回复",
    "custom": "客服消息",
    "template": "模板消息",
    "subscribe": "小程序订阅消息",
    "bizsend": "订阅通知",
}

STATUS_LABELS: dict[str, str] = {
    "sent": "已发送",
    "success": "已送达",
    "failed": "发送失败",
    "failed:user block": "用户拒收",
    "failed: system failed": "发送失败（微信系统原因）",
}


def kind_label(kind: str | None) -> str:
    return KIND_LABELS.get(kind or "", kind or "")


def status_label(status: str | None) -> str:
    status = status or ""
    if status in STATUS_LABELS:
        return STATUS_LABELS[status]
    if status.startswith("failed"):
        return f"发送失败（{status}）"
    return status
