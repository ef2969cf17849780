"""`check_text`: v2 with a mini-program openid, v1 without, chunks, and failures held for review."""

from __future__ import annotations

import pytest

from app.content_check import service
from app.content_check.models import CheckKind, CheckStatus, ContentCheck
from app.resources import Resources
from app.wechat import WeChatClient
from tests.conftest import TEST_MP_APPID, TEST_MP_SECRET, free_port
from tests.content_check.conftest import MP_OPENID, Sim

API = "/wxa/msg_sec_check"


async def check(resources: Resources, user, text: str, **kwargs) -> ContentCheck:
    return await service.check_text(
        miniprogram=resources.miniprogram, user=user, text=text, subject_type="appeal", subject_id=7, **kwargs
    )


async def test_clean_text_passes_with_v2(resources: Resources, sim: Sim, mp_author) -> None:
    text = "我们企业想咨询一下研发费用加计扣除的政策" * 10
    result = await check(resources, mp_author, text)
    assert (result.status, result.kind, result.label) == (CheckStatus.passed, CheckKind.text, 100)
    assert (result.subject_type, result.subject_id) == ("appeal", 7)
    assert result.excerpt == text[:100]
    assert not service.needs_review(result) and service.is_cleared(result)
    stored = await ContentCheck.get(id=result.id)
    assert stored.status is CheckStatus.passed and stored.detail["version"] == 2
    [record] = await sim.records(API)
    assert record["appid"] == TEST_MP_APPID
    assert record["json"] == {"version": 2, "openid": MP_OPENID, "scene": 2, "content": text}


async def test_risky_text(resources: Resources, sim: Sim, mp_author) -> None:
    result = await check(resources, mp_author, "这里有违禁词测试的内容")
    assert result.status is CheckStatus.risky and result.label == 20006
    assert service.needs_review(result) and not service.is_cleared(result)
    [chunk] = result.detail["chunks"]
    assert any(s.get("keyword") == "违禁词测试" for s in chunk["strategies"])


async def test_review_text(resources: Resources, sim: Sim, mp_author) -> None:
    result = await check(resources, mp_author, "请人工审核测试一下", scene=3)
    assert result.status is CheckStatus.review and result.label == 21000
    assert service.needs_review(result)
    [record] = await sim.records(API)
    assert record["json"]["scene"] == 3


async def test_without_a_miniprogram_openid_v1_is_used(resources: Resources, sim: Sim, oa_author) -> None:
    clean = await check(resources, oa_author, "公众号留言：企业反映办事顺利")
    risky = await check(resources, None, "热线记录：违禁词测试")  # no WeChat author at all
    review = await check(resources, oa_author, "sim_review")  # v1 knows no review
    assert clean.status is CheckStatus.passed and clean.detail["version"] == 1
    assert risky.status is CheckStatus.risky and risky.label is None and risky.detail["version"] == 1
    assert review.status is CheckStatus.passed
    records = await sim.records(API)
    assert [r["json"] for r in records] == [
        {"content": "公众号留言：企业反映办事顺利"}, {"content": "热线记录：违禁词测试"}, {"content": "sim_review"}
    ]
    assert {r["appid"] for r in records} == {TEST_MP_APPID}


async def test_refused_openid_falls_back_to_v1(resources: Resources, sim: Sim, mp_author) -> None:
    await sim.config(strict_openids=True)  # the author's openid is unknown to WeChat: 40003
    result = await check(resources, mp_author, "违禁词测试")
    assert result.status is CheckStatus.risky
    assert result.detail["fallback"] == {"version": 1, "errcode": 40003}
    assert [r["json"].get("version") for r in await sim.records(API)] == [2, None]


async def test_wechat_failure_is_stored_as_error_and_held(resources: Resources, sim: Sim, mp_author) -> None:
    await sim.fault(api=API, kind="errcode", errcode=45009, times=None)
    result = await check(resources, mp_author, "正常的诉求内容")
    assert result.status is CheckStatus.error
    assert service.needs_review(result) and not service.is_cleared(result)
    assert result.detail["error"]["errcode"] == 45009
    assert result.excerpt == "正常的诉求内容"
    assert await ContentCheck.filter(status=CheckStatus.error).count() == 1


async def test_network_failure_is_stored_as_error(resources: Resources, redis, mp_author) -> None:
    unreachable = WeChatClient(
        appid=TEST_MP_APPID, secret=TEST_MP_SECRET, redis=redis,
        api_base=f"http://127.0.0.1:{free_port()}", max_attempts=1, timeout=2,
    )
    try:
        result = await service.check_text(
            miniprogram=unreachable, user=mp_author, text="正常内容", subject_type="appeal", subject_id=8
        )
    finally:
        await unreachable.aclose()
    assert result.status is CheckStatus.error and service.needs_review(result)
    assert result.detail["error"]["type"] == "WeChatTransientError"


async def test_long_text_is_checked_in_chunks_and_the_worst_wins(resources: Resources, sim: Sim, mp_author) -> None:
    text = "企业经营情况良好。" * 666 + "sim_review"  # 6,004 characters; review only in the last chunk
    assert len(text) > 6000
    result = await check(resources, mp_author, text)
    assert result.status is CheckStatus.review and result.label == 21000
    records = await sim.records(API)
    assert [len(r["json"]["content"]) for r in records] == [2500, 2500, len(text) - 4900]
    assert "".join(r["json"]["content"][50 if i else 0 :] for i, r in enumerate(records)) == text
    assert [c["status"] for c in result.detail["chunks"]] == ["pass", "pass", "review"]


async def test_a_word_cut_by_a_chunk_boundary_is_still_found_and_risky_stops(
    resources: Resources, sim: Sim, mp_author
) -> None:
    text = "好" * 2497 + "违禁词测试" + "好" * 3500  # the word is at 2497-2501: cut by the first chunk's end
    result = await check(resources, mp_author, text)
    assert result.status is CheckStatus.risky
    assert len(await sim.records(API)) == 2  # the third chunk is not worth checking
    assert result.detail["unchecked_from"] == 4950


async def test_empty_text_needs_no_call(resources: Resources, sim: Sim, mp_author) -> None:
    result = await check(resources, mp_author, "   ")
    assert result.status is CheckStatus.passed and result.detail == {"skipped": "empty"}
    assert await sim.records(API) == []


async def test_programming_errors_raise(resources: Resources, mp_author) -> None:
    with pytest.raises(ValueError):
        await check(resources, mp_author, "x", scene=5)
    with pytest.raises(ValueError):
        await service.check_text(
            miniprogram=resources.miniprogram, user=None, text="x", subject_type="", subject_id=1
        )


async def test_a_blank_chunk_is_not_sent(resources: Resources, sim: Sim, mp_author) -> None:
    result = await check(resources, mp_author, "企业诉求" + " " * 3000)
    assert result.status is CheckStatus.passed
    assert len(await sim.records(API)) == 1
    assert result.detail["chunks"][1]["skipped"] == "blank"
