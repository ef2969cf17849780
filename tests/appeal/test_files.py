"""Signed links to appeal files (`GET /files/appeal/<id>?expires=&sig=`, app/files.py): the
link is the permission, so a bad or old one is refused before anything is looked up."""

from __future__ import annotations

import time

import pytest

from app.appeal import storage
from app.appeal.models import AppealAttachment, AppealChannel
from app.appeal.service import IncomingFile

from .factories import file_appeal, make_cast

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(48))
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n%%EOF\n"


@pytest.fixture
async def attachment(db, settings) -> AppealAttachment:
    cast = await make_cast()
    appeal = await file_appeal(cast, settings, files=[IncomingFile(data=PNG, filename="现场照片.png")])
    return await AppealAttachment.get(appeal_id=appeal.id)


async def fetch(http, url: str):
    async with http.get(url, allow_redirects=False) as response:
        return response.status, dict(response.headers), await response.read()


async def test_a_valid_link_serves_the_file_with_its_stored_type(server, http, settings, attachment) -> None:
    status, headers, body = await fetch(http, server + storage.signed_url(attachment.id, settings=settings))

    assert status == 200
    assert body == PNG
    assert headers["Content-Type"] == "image/png"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Content-Disposition"].startswith("inline; filename*=UTF-8''%E7%8E%B0")
    assert headers["Cache-Control"].startswith("private, max-age=")


async def test_a_pdf_is_served_as_a_pdf(server, http, settings, db) -> None:
    cast = await make_cast()
    staff_upload = await file_appeal(cast, settings, staff=cast.dispatcher, channel=AppealChannel.walk_in,
                                     files=[IncomingFile(data=PDF, filename="营业执照.pdf")])
    pdf = await AppealAttachment.get(appeal_id=staff_upload.id)

    status, headers, body = await fetch(http, server + storage.signed_url(pdf.id, settings=settings))

    assert (status, headers["Content-Type"], body) == (200, "application/pdf", PDF)


async def test_a_tampered_signature_is_forbidden(server, http, settings, attachment) -> None:
    url = storage.signed_url(attachment.id, settings=settings)
    tampered = url[:-1] + ("0" if url[-1] != "0" else "1")

    status, headers, body = await fetch(http, server + tampered)

    assert status == 403
    assert "链接无效或已过期" in body.decode()
    assert headers["Cache-Control"] == "no-store"


async def test_a_signature_is_for_one_attachment_and_one_expiry(server, http, settings, attachment) -> None:
    url = storage.signed_url(attachment.id, settings=settings)
    query = url.split("?", 1)[1]
    expires = int(query.split("expires=")[1].split("&")[0])

    other_id = await fetch(http, f"{server}/files/appeal/{attachment.id + 1}?{query}")
    later = await fetch(http, server + url.replace(f"expires={expires}", f"expires={expires + 3600}"))
    unsigned = await fetch(http, f"{server}/files/appeal/{attachment.id}")

    assert [other_id[0], later[0], unsigned[0]] == [403, 403, 403]


async def test_an_expired_link_is_forbidden(server, http, settings, attachment) -> None:
    expires = int(time.time()) - 1
    sig = storage.sign(attachment.id, expires, settings=settings)

    status, _, _ = await fetch(http, f"{server}/files/appeal/{attachment.id}?expires={expires}&sig={sig}")

    assert status == 403


async def test_a_valid_link_to_something_gone_is_not_found(server, http, settings, attachment) -> None:
    missing_file = await AppealAttachment.create(
        appeal_id=attachment.appeal_id, filename="gone.png", content_type="image/png", size=1,
        storage_key="appeal/00/0000000000000000000000000000000000000000000000000000000000000000.png",
    )

    no_row = await fetch(http, server + storage.signed_url(missing_file.id + 100, settings=settings))
    no_file = await fetch(http, server + storage.signed_url(missing_file.id, settings=settings))

    assert no_row[0] == 404 and no_file[0] == 404
    assert "未找到该附件" in no_file[2].decode()


async def test_a_chat_photo_link_leads_to_wechat(server, http, settings, attachment) -> None:
    chat_photo = await AppealAttachment.create(
        appeal_id=attachment.appeal_id, filename="chat-photo.jpg", content_type="image/jpeg", size=0,
        storage_key="url:https://mmbiz.qpic.cn/mmbiz_jpg/abc/0", check_result="pass",
    )

    status, headers, _ = await fetch(http, server + storage.signed_url(chat_photo.id, settings=settings))

    assert status == 302
    assert headers["Location"] == "https://mmbiz.qpic.cn/mmbiz_jpg/abc/0"
