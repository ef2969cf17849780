"""What the simulator saw and did: request records, delivered messages, the
conversation with each follower, and exact counters.

Full records live in bounded deques (`max_records`) so a million-message
benchmark does not exhaust memory: entries keep the request body as the raw bytes
received and are decoded only when read. The counters behind `stats()` are never
dropped, which is how tests prove a message was sent exactly once.
"""

from __future__ import annotations

import itertools
import json
from collections import Counter, deque
from typing import Any

__all__ = ["MESSAGE_KINDS", "Recorder"]

MESSAGE_KINDS: tuple[str, ...] = ("template", "subscribe", "custom", "bizsend")
DIALOG_LIMIT = 20_000


def _decode(raw: bytes) -> tuple[str, Any]:
    text = raw.decode("utf-8", "replace")
    try:
        return text, json.loads(text) if text.strip() else None
    except ValueError:
        return text, None


def _record_view(entry: dict[str, Any]) -> dict[str, Any]:
    view = {k: v for k, v in entry.items() if k != "raw"}
    view["raw_body"], view["json"] = _decode(entry["raw"])
    return view


def _message_view(entry: dict[str, Any]) -> dict[str, Any]:
    view = {k: v for k, v in entry.items() if k != "raw"}
    view["payload"] = _decode(entry["raw"])[1]
    return view


class Recorder:
    """Records and counters of one simulator."""

    def __init__(self, max_records: int) -> None:
        self.max_records = max(1, int(max_records))
        self._seq = itertools.count(1)
        self.records: deque[dict[str, Any]] = deque(maxlen=self.max_records)
        self.messages: deque[dict[str, Any]] = deque(maxlen=self.max_records)
        self.dialog: deque[dict[str, Any]] = deque(maxlen=DIALOG_LIMIT)
        self.calls: Counter[str] = Counter()
        self.token_fetches: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()
        # kind -> openid -> count: one small dict entry per recipient and kind used.
        self.counts: dict[str, dict[str, int]] = {kind: {} for kind in MESSAGE_KINDS}
        self.totals: Counter[str] = Counter({kind: 0 for kind in MESSAGE_KINDS})
        # template_id -> messages delivered with it (template messages only).
        self.template_ids: Counter[str] = Counter()
        self.recipient_count = 0
        self.callback_events: Counter[str] = Counter()
        self.pushes: Counter[str] = Counter()
        self.recorded = 0

    def next_seq(self) -> int:
        return next(self._seq)

    # -- writing ------------------------------------------------------------------

    def record(self, entry: dict[str, Any]) -> dict[str, Any]:
        """Keep one API request record; `entry["raw"]` is the body as bytes."""
        entry["seq"] = self.next_seq()
        self.records.append(entry)
        self.recorded += 1
        return entry

    def count_error(self, key: int | str) -> None:
        self.errors[str(key)] += 1

    def deliver(self, kind: str, *, appid: str, openid: str, time: float, raw: bytes, **fields: Any) -> None:
        """Count and keep one successfully sent message (`raw`: the request body)."""
        per_openid = self.counts[kind]
        previous = per_openid.get(openid, 0)
        if not previous and not any(openid in other for other in self.counts.values()):
            self.recipient_count += 1
        per_openid[openid] = previous + 1
        self.totals[kind] += 1
        if kind == "template":
            self.template_ids[str(fields.get("template_id", ""))] += 1
        self.messages.append(
            {"seq": self.next_seq(), "time": time, "kind": kind, "appid": appid, "openid": openid, "raw": raw,
             **fields}
        )

    def note(self, entry: dict[str, Any]) -> dict[str, Any]:
        """Keep one conversation entry (follower -> account, passive reply, notice)."""
        entry["seq"] = self.next_seq()
        self.dialog.append(entry)
        return entry

    # -- reading ------------------------------------------------------------------

    def find_records(
        self, *, api: str | None = None, openid: str | None = None, appid: str | None = None, limit: int = 1000
    ) -> list[dict[str, Any]]:
        """The newest `limit` matching records, oldest first."""
        found: list[dict[str, Any]] = []
        for entry in reversed(self.records):
            if len(found) >= limit:
                break
            if api and entry["api"] != api:
                continue
            if openid and entry.get("openid") != openid:
                continue
            if appid and entry.get("appid") != appid:
                continue
            found.append(entry)
        return [_record_view(e) for e in reversed(found)]

    def find_messages(self, *, openid: str | None = None, kind: str | None = None, limit: int = 1000) -> list[dict]:
        """The newest `limit` delivered messages matching, oldest first."""
        found: list[dict[str, Any]] = []
        for message in reversed(self.messages):
            if len(found) >= limit:
                break
            if openid and message["openid"] != openid:
                continue
            if kind and message["kind"] != kind:
                continue
            found.append(message)
        return [_message_view(m) for m in reversed(found)]

    def conversation(self, openid: str, *, after: int = 0, limit: int = 500) -> list[dict[str, Any]]:
        """Inbound messages, passive replies and sent messages of one follower, in order."""
        entries = [e for e in self.dialog if e["openid"] == openid and e["seq"] > after]
        entries += [
            {**_message_view(m), "direction": "out"}
            for m in self.messages
            if m["openid"] == openid and m["seq"] > after
        ]
        entries.sort(key=lambda e: e["seq"])
        return entries[-limit:]

    def message_counts(self, openid: str) -> dict[str, int]:
        return {kind: self.counts[kind].get(openid, 0) for kind in MESSAGE_KINDS}

    def recipients(self) -> list[str]:
        """Every openid that received a message."""
        openids: dict[str, None] = {}
        for per_openid in self.counts.values():
            openids.update(dict.fromkeys(per_openid))
        return list(openids)

    def stats(self, *, openid: str | None = None, summary: bool = False) -> dict[str, Any]:
        """The `/_sim/stats` answer; `summary` leaves out the per-openid table."""
        out: dict[str, Any] = {
            "calls": dict(self.calls),
            "token_fetches": dict(self.token_fetches),
            "errors": dict(self.errors),
            "totals": dict(self.totals),
            "recipients": self.recipient_count,
            "callback_events": dict(self.callback_events),
            "pushes": dict(self.pushes),
            "records_kept": len(self.records),
            "records_total": self.recorded,
        }
        if openid is not None:
            received = any(openid in per_openid for per_openid in self.counts.values())
            out["messages"] = {openid: self.message_counts(openid)} if received else {}
        elif summary:
            out["max_per_openid"] = {
                kind: max(self.counts[kind].values(), default=0) for kind in MESSAGE_KINDS
            }
            # messages received -> how many openids received that many, per kind: with
            # `recipients` this proves "each of N exactly once" without shipping N rows.
            out["histograms"] = {
                kind: {str(times): n for times, n in sorted(Counter(self.counts[kind].values()).items())}
                for kind in MESSAGE_KINDS
            }
            out["template_ids"] = dict(self.template_ids)
        else:
            out["messages"] = {o: self.message_counts(o) for o in self.recipients()}
        return out
