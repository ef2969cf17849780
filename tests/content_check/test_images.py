"""Images: `submit_image`, WeChat's `wxa_media_check` event through the mini-program's real
message push (`/wechat/miniprogram`, the mini-program's token and key), and verdicts applied
exactly once."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from app.content_check import service
from app.content_check.models import CheckKind, CheckStatus, ContentCheck
from app.content_check.registry import verdict_callbacks
from app.content_check.verdicts import MediaVerdict
from app.identity.models import Follower
from app.messagelog.models import MessageChannel, MessageLog
from app.resources import Resources
from tests.content_check.conftest import MP_OPENID, Sim

SUBJECT = "test_attachment"
API = "/wxa/media_check_async"


@pytest.fixture
def verdicts() -> Iterator[list[tuple[int, CheckStatus]]]:
    """What the subject's owner heard: (check id, status) per verdict callback."""
    heard: list[tuple[int, CheckStatus]] = []

    @service.on_verdict(SUBJECT)
    async def listen(check: ContentCheck) -> None:
        heard.append((check.id, CheckStatus(check.status)))

    yield heard
    verdict_callbacks.unregister(listen)


async def submit(resources: Resources, user, url: str, **kwargs) -> ContentCheck:
    return await service.submit_image(
        miniprogram=resources.miniprogram, user=user, media_url=url, subject_type=SUBJECT, subject_id=40, **kwargs
    )


async def settled(check_id: int) -> ContentCheck:
    for _ in range(100):
        check = await ContentCheck.get(id=check_id)
        if check.status is not CheckStatus.pending:
            return check
        await asyncio.sleep(0.05)
    raise AssertionError("no verdict arrived")


def event_of(trace_id: str, suggest: str = "risky", label: int = 20006) -> dict:
    return {
        "type": "event",
        "event": "wxa_media_check",
        "extra": {
            "appid": "wx_mp", "trace_id": trace_id, "version": 2,
            "detail": {"strategy": "content_model", "errcode": 0, "suggest": suggest, "label": label, "prob": 90},
            "errcode": 0, "errmsg": "ok", "result": {"suggest": suggest, "label": label},
        },
    }


async def test_round_trip_through_the_miniprogram_push_applies_the_verdict_once(
    resources: Resources, sim_with_callback: Sim, redis, mp_author, verdicts
) -> None:
    sim = sim_with_callback
    followers_before = await Follower.all().count()
    check = await submit(resources, mp_author, "https://files.example.com/u/sim_risky.jpg")
    assert (check.kind, check.status) == (CheckKind.image, CheckStatus.pending)
    assert check.trace_id and check.detail["media_url"].endswith("sim_risky.jpg")
    [record] = await sim.records(API)
    assert record["json"]["openid"] == MP_OPENID and record["json"]["media_type"] == 2

    await sim.drain_events()
    done = await settled(check.id)
    assert (done.status, done.label) == (CheckStatus.risky, 20006)
    assert done.detail["verdict"]["suggest"] == "risky" and done.detail["media_url"]
    assert service.needs_review(done)
    assert verdicts == [(check.id, CheckStatus.risky)]
    # The push is logged as the mini-program's; the mini-program user is no follower.
    [logged] = await MessageLog.filter(channel=MessageChannel.miniprogram)
    assert (logged.openid, logged.kind, logged.follower_id) == (MP_OPENID, "event", None)
    assert logged.payload["trace_id"] == check.trace_id
    assert await Follower.all().count() == followers_before
    assert await Follower.filter(openid=MP_OPENID).count() == 0

    # WeChat delivers it again: the push's de-duplication answers the retry ...
    again = await sim.push_to_miniprogram(MP_OPENID, **event_of(check.trace_id, "pass", 100))
    assert again["status"] == 200 and again["reply_raw"] == "success" and again["reply_error"] is None
    # ... and once that claim has expired, the handler itself changes nothing.
    await redis.delete(f"qiyun:wx:claim:mp:trace:{check.trace_id}")
    later = await sim.push_to_miniprogram(MP_OPENID, **event_of(check.trace_id, "pass", 100))
    assert later["status"] == 200 and later["reply_raw"] == "success"
    final = await ContentCheck.get(id=check.id)
    assert (final.status, final.label, final.detail) == (CheckStatus.risky, 20006, done.detail)
    assert verdicts == [(check.id, CheckStatus.risky)]
    assert await Follower.all().count() == followers_before


async def test_clean_image_passes(resources: Resources, sim_with_callback: Sim, mp_author, verdicts) -> None:
    check = await submit(resources, mp_author, "https://files.example.com/u/photo.jpg")
    await sim_with_callback.drain_events()
    done = await settled(check.id)
    assert done.status is CheckStatus.passed and service.is_cleared(done)
    assert verdicts == [(check.id, CheckStatus.passed)]


async def test_the_json_data_format_works_too(
    resources: Resources, sim_with_callback: Sim, mp_author, verdicts
) -> None:
    """JSON is the other data format the mini-program's console offers (safe mode here too)."""
    await sim_with_callback.config(miniprogram_data_format="json")
    check = await submit(resources, mp_author, "https://files.example.com/u/sim_review.jpg")
    await sim_with_callback.drain_events()
    done = await settled(check.id)
    assert (done.status, done.label) == (CheckStatus.review, 21000)
    assert done.detail["verdict"]["strategies"][0]["strategy"] == "content_model"
    assert verdicts == [(check.id, CheckStatus.review)]


async def test_without_a_miniprogram_push_url_nothing_is_delivered(
    resources: Resources, sim: Sim, server: str, mp_author, verdicts
) -> None:
    """Not to the official account's callback either: the verdict waits, the check stays pending."""
    await sim.config(callback_url=f"{server}/wechat/callback", media_check_delay_ms=20)
    followers_before = await Follower.all().count()
    check = await submit(resources, mp_author, "https://files.example.com/u/photo.jpg")
    drained = await sim.drain_events()
    assert drained["callback_events"] == {"skipped": 1}
    assert (await ContentCheck.get(id=check.id)).status is CheckStatus.pending
    assert verdicts == [] and await MessageLog.all().count() == 0
    assert await Follower.all().count() == followers_before


async def test_unknown_trace_id_is_ignored(
    resources: Resources, sim_with_callback: Sim, mp_author, verdicts, monkeypatch, caplog
) -> None:
    monkeypatch.setattr(service, "UNKNOWN_TRACE_GRACE_S", 0.1)
    pending = await ContentCheck.create(subject_type=SUBJECT, subject_id=5, kind=CheckKind.image, trace_id="known-1")
    answer = await sim_with_callback.push_to_miniprogram(MP_OPENID, **event_of("0000-no-such-trace"))
    assert answer["status"] == 200 and answer["reply_raw"] == "success" and answer["reply_error"] is None
    assert (await ContentCheck.get(id=pending.id)).status is CheckStatus.pending
    assert verdicts == []
    assert any("unknown trace_id" in r.getMessage() for r in caplog.records)


async def test_verdict_is_applied_once_even_when_raced(db, verdicts) -> None:
    check = await ContentCheck.create(
        subject_type=SUBJECT, subject_id=1, kind=CheckKind.image, trace_id="trace-race", detail={"media_url": "u"}
    )
    verdict = MediaVerdict("trace-race", CheckStatus.review, 21000, {"suggest": "review"})
    outcomes = await asyncio.gather(*(service.apply_media_verdict(verdict=verdict) for _ in range(3)))
    assert sorted(o.result for o in outcomes) == ["applied", "duplicate", "duplicate"]
    assert verdicts == [(check.id, CheckStatus.review)]
    again = await service.apply_media_verdict(verdict=MediaVerdict("trace-race", CheckStatus.passed, 100))
    assert again.result == "duplicate" and again.check.status is CheckStatus.review


async def test_verdict_that_overtakes_the_trace_id_waits_for_it(db, verdicts) -> None:
    check = await ContentCheck.create(subject_type=SUBJECT, subject_id=2, kind=CheckKind.image)
    verdict = MediaVerdict("trace-early", CheckStatus.passed, 100)
    applying = asyncio.create_task(service.apply_media_verdict(verdict=verdict, grace_s=2.0))
    await asyncio.sleep(0.2)
    await ContentCheck.filter(id=check.id).update(trace_id="trace-early")
    outcome = await applying
    assert outcome.result == "applied" and verdicts == [(check.id, CheckStatus.passed)]


async def test_a_failing_callback_does_not_undo_the_verdict(db, verdicts) -> None:
    @service.on_verdict(SUBJECT)
    async def broken(check: ContentCheck) -> None:
        raise RuntimeError("the subject's owner fell over")

    try:
        check = await ContentCheck.create(subject_type=SUBJECT, subject_id=3, kind=CheckKind.image, trace_id="t-b")
        outcome = await service.apply_media_verdict(verdict=MediaVerdict("t-b", CheckStatus.risky, 20006))
    finally:
        verdict_callbacks.unregister(broken)
    assert outcome.result == "applied"
    assert (await ContentCheck.get(id=check.id)).status is CheckStatus.risky
    assert verdicts == [(check.id, CheckStatus.risky)]


async def test_without_a_miniprogram_openid(resources: Resources, sim: Sim, oa_author) -> None:
    chat_photo = await submit(resources, oa_author, "http://mmbiz.qpic.cn/sim/0", checked_by_wechat=True)
    assert chat_photo.status is CheckStatus.passed and chat_photo.detail["skipped"] == "checked_by_wechat"
    upload = await submit(resources, oa_author, "https://files.example.com/h5/b.jpg")
    assert upload.status is CheckStatus.review and upload.detail["skipped"] == "no_miniprogram_openid"
    assert service.needs_review(upload)
    assert await sim.records(API) == []


async def test_submission_failure_is_stored_as_error(resources: Resources, sim: Sim, mp_author) -> None:
    await sim.fault(api=API, kind="errcode", errcode=45009, times=None)
    check = await submit(resources, mp_author, "https://files.example.com/u/c.jpg")
    assert check.status is CheckStatus.error and check.trace_id is None
    assert check.detail["error"]["errcode"] == 45009 and service.needs_review(check)
    assert (await ContentCheck.get(id=check.id)).status is CheckStatus.error


async def test_media_url_must_be_fetchable(resources: Resources, mp_author) -> None:
    with pytest.raises(ValueError):
        await submit(resources, mp_author, "file:///etc/passwd")

