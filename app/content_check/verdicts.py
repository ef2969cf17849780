"""Pure helpers: WeChat's suggestions as statuses, the worst of several verdicts, splitting a
long text for `msg_sec_check`, and reading a `wxa_media_check` event.

Kept free of I/O so the rules (what counts as worse, where a text is cut) are tested alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from app.content_check.models import CheckStatus
from app.wechat.wxa import MAX_SEC_CHECK_CONTENT

__all__ = [
    "CHUNK_OVERLAP",
    "MediaVerdict",
    "REVIEW_STATUSES",
    "parse_media_event",
    "severity",
    "split_for_check",
    "status_of_suggest",
    "worst",
]

CHUNK_OVERLAP = 50
"""Characters each chunk repeats from the end of the previous one, so a word cut by a chunk
boundary is still seen whole by WeChat (longer than any keyword worth matching)."""

REVIEW_STATUSES: frozenset[CheckStatus] = frozenset({CheckStatus.review, CheckStatus.risky, CheckStatus.error})
"""Verdicts a human must look at: WeChat's doubt, WeChat's refusal, and no verdict at all."""

# pass < review < error < risky: `error` outranks `review` because nothing is known, and
# `risky` outranks everything because it is WeChat's definite answer.
_SEVERITY: dict[CheckStatus, int] = {
    CheckStatus.passed: 0,
    CheckStatus.pending: 1,
    CheckStatus.review: 2,
    CheckStatus.error: 3,
    CheckStatus.risky: 4,
}
_SUGGESTS: dict[str, CheckStatus] = {
    "pass": CheckStatus.passed,
    "review": CheckStatus.review,
    "risky": CheckStatus.risky,
}


def severity(status: CheckStatus) -> int:
    return _SEVERITY[CheckStatus(status)]


def worst(statuses: Iterable[CheckStatus]) -> CheckStatus:
    """The most severe of `statuses` (`passed` for none)."""
    return max((CheckStatus(s) for s in statuses), key=severity, default=CheckStatus.passed)


def status_of_suggest(suggest: Any) -> CheckStatus:
    """WeChat's `suggest` as a status; anything unexpected is held for review, never passed."""
    return _SUGGESTS.get(str(suggest or "").strip().lower(), CheckStatus.review)


def _units(char: str) -> int:
    """UTF-16 code units of one character: WeChat's length limit is not documented in
    code points, so an emoji is counted as two to stay on the safe side."""
    return 2 if ord(char) > 0xFFFF else 1


def split_for_check(
    text: str, *, limit: int = MAX_SEC_CHECK_CONTENT, overlap: int = CHUNK_OVERLAP
) -> list[tuple[int, int]]:
    """(start, end) offsets of the chunks `msg_sec_check` sees, each at most `limit` UTF-16
    units, consecutive chunks sharing `overlap` characters. One chunk for a short text."""
    if limit < 2 or not 0 <= overlap < limit // 2:
        raise ValueError("limit must be >= 2 and overlap below half of it")
    spans: list[tuple[int, int]] = []
    start, length = 0, len(text)
    while True:
        end, used = start, 0
        while end < length and used + _units(text[end]) <= limit:
            used += _units(text[end])
            end += 1
        spans.append((start, end))
        if end >= length:
            return spans
        start = max(end - overlap, start + 1)


@dataclass(frozen=True)
class MediaVerdict:
    """WeChat's answer for one `media_check_async` submission."""

    trace_id: str
    status: CheckStatus
    label: int | None
    detail: dict[str, Any] = field(default_factory=dict)


def parse_media_event(raw: Mapping[str, Any]) -> MediaVerdict | None:
    """The verdict in a `wxa_media_check` event (XML read into a dict), None without a trace_id.

    v2 events carry `result.suggest/label` and `detail` (one element per strategy); v1 events
    carry `isrisky`. A non-zero `errcode` means WeChat could not check the file (e.g. it could
    not download it): that is `error`, held for a human like any other unknown.
    """
    trace_id = _text(raw.get("trace_id"))
    if not trace_id:
        return None
    errcode = _int(raw.get("errcode")) or 0
    strategies = [_flat(item) for item in _as_list(raw.get("detail")) if isinstance(item, Mapping)]
    detail: dict[str, Any] = {"errcode": errcode}
    if strategies:
        detail["strategies"] = strategies
    result = raw.get("result")
    if errcode != 0:
        detail["errmsg"] = _text(raw.get("errmsg"))[:200]
        return MediaVerdict(trace_id, CheckStatus.error, None, detail)
    if isinstance(result, Mapping):
        detail["suggest"] = _text(result.get("suggest"))
        return MediaVerdict(trace_id, status_of_suggest(result.get("suggest")), _int(result.get("label")), detail)
    if "isrisky" in raw:
        risky = _text(raw.get("isrisky")) == "1"
        detail["isrisky"] = risky
        return MediaVerdict(trace_id, CheckStatus.risky if risky else CheckStatus.passed, None, detail)
    detail["errmsg"] = "event without a result"
    return MediaVerdict(trace_id, CheckStatus.error, None, detail)


def _text(value: Any) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return value.strip() if isinstance(value, str) else ""


def _int(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _flat(item: Mapping[str, Any]) -> dict[str, Any]:
    """One strategy's fields as plain scalars (numbers as numbers) for the JSON detail."""
    out: dict[str, Any] = {}
    for key, value in item.items():
        text = _text(value)
        number = _int(text)
        out[str(key)] = number if number is not None and text.lstrip("-").isdigit() else text[:100]
    return out
