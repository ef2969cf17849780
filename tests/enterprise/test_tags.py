"""Enterprise tags as rows (`enterprise_tag`), kept in step with `Enterprise.tags` by every writer."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.enterprise.models import Enterprise, EnterpriseTag
from app.enterprise.register_import import import_register
from app.enterprise.service import rebuild_enterprise_tags, set_enterprise_tags

from .factories import credit_code, register_row, write_csv

pytestmark = pytest.mark.usefixtures("db")


async def tag_rows() -> dict[str, set[str]]:
    rows: dict[str, set[str]] = {}
    for code, tag in await EnterpriseTag.all().values_list("enterprise__credit_code", "tag"):
        rows.setdefault(code, set()).add(tag)
    return rows


async def test_an_import_writes_tag_rows_and_a_reimport_replaces_them(tmp_path: Path) -> None:
    first, second = credit_code(), credit_code()
    await import_register(path=write_csv(tmp_path / "a.csv", [
        register_row(code=first, 标签="高新技术企业；专精特新"),
        register_row(code=second, 标签=""),
    ]))
    assert await tag_rows() == {first: {"高新技术企业", "专精特新"}}

    await import_register(path=write_csv(tmp_path / "b.csv", [
        register_row(code=first, 标签="专精特新小巨人"),
        register_row(code=second, 标签="科技型中小企业"),
    ]))
    assert await tag_rows() == {first: {"专精特新小巨人"}, second: {"科技型中小企业"}}
    assert (await Enterprise.get(credit_code=first)).tags == ["专精特新小巨人"]


async def test_setting_tags_writes_the_list_and_the_rows_together(tmp_path: Path) -> None:
    code = credit_code()
    await import_register(path=write_csv(tmp_path / "a.csv", [register_row(code=code, 标签="高新技术企业")]))
    enterprise = await Enterprise.get(credit_code=code)
    assert await set_enterprise_tags(enterprise_id=enterprise.id, tags=[" 专精特新 ", "专精特新", ""]) == ["专精特新"]
    assert (await Enterprise.get(id=enterprise.id)).tags == ["专精特新"]
    assert await tag_rows() == {code: {"专精特新"}}
    with pytest.raises(ValueError):
        await set_enterprise_tags(enterprise_id=enterprise.id + 1000, tags=["x"])


async def test_the_rows_can_be_rebuilt_from_the_lists(tmp_path: Path) -> None:
    code = credit_code()
    await import_register(path=write_csv(tmp_path / "a.csv", [register_row(code=code, 标签="高新技术企业；专精特新")]))
    await EnterpriseTag.all().delete()
    assert await rebuild_enterprise_tags() == 2
    assert await tag_rows() == {code: {"高新技术企业", "专精特新"}}
