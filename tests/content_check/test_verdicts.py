"""The pure rules: severity, WeChat's suggestions, chunking and reading verdict events."""

from __future__ import annotations

import pytest

from app.content_check.models import CheckStatus
from app.content_check.verdicts import CHUNK_OVERLAP, parse_media_event, split_for_check, status_of_suggest, worst

S = CheckStatus


def test_the_worst_verdict_wins() -> None:
    assert worst([]) is S.passed
    assert worst([S.passed, S.review, S.passed]) is S.review
    assert worst([S.review, S.error]) is S.error
    assert worst([S.error, S.risky, S.review]) is S.risky


@pytest.mark.parametrize(
    ("suggest", "status"),
    [("pass", S.passed), ("review", S.review), ("risky", S.risky), ("RISKY", S.risky), ("", S.review), ("x", S.review)],
)
def test_suggest_maps_to_status_and_unknown_is_never_a_pass(suggest: str, status: CheckStatus) -> None:
    assert status_of_suggest(suggest) is status


def test_short_text_is_one_chunk() -> None:
    assert split_for_check("你好") == [(0, 2)]
    assert split_for_check("a" * 2500) == [(0, 2500)]


def test_long_text_chunks_overlap_and_cover_everything() -> None:
    text = "字" * 6000
    spans = split_for_check(text)
    assert spans == [(0, 2500), (2450, 4950), (4900, 6000)]
    assert all(end - start <= 2500 for start, end in spans)
    for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
        assert end - start == CHUNK_OVERLAP


def test_astral_characters_count_twice() -> None:
    text = "😀" * 1300  # 2,600 UTF-16 units
    spans = split_for_check(text)
    assert spans[0] == (0, 1250)
    assert spans[-1][1] == 1300


def test_v2_event_is_read() -> None:
    raw = {
        "trace_id": "abc-def",
        "errcode": "0",
        "result": {"suggest": "risky", "label": "20006"},
        "detail": {"strategy": "content_model", "errcode": "0", "suggest": "risky", "label": "20006", "prob": "90"},
    }
    verdict = parse_media_event(raw)
    assert verdict is not None
    assert (verdict.trace_id, verdict.status, verdict.label) == ("abc-def", S.risky, 20006)
    assert verdict.detail["strategies"] == [
        {"strategy": "content_model", "errcode": 0, "suggest": "risky", "label": 20006, "prob": 90}
    ]


def test_failed_v1_and_empty_events() -> None:
    assert parse_media_event({"result": {"suggest": "pass"}}) is None
    failed = parse_media_event({"trace_id": "t1", "errcode": "-1008", "errmsg": "download failed"})
    assert failed is not None and failed.status is S.error and failed.detail["errcode"] == -1008
    assert parse_media_event({"trace_id": "t2", "isrisky": "1"}).status is S.risky
    assert parse_media_event({"trace_id": "t3", "isrisky": "0"}).status is S.passed
    assert parse_media_event({"trace_id": "t4"}).status is S.error
