"""Writing enterprises to the register in bulk.

The register is refreshed from exports of the legal-person database, tens of thousands
of rows at a time. A refresh must be all or nothing: a register that is half old and
half new would target policies at a mixture nobody can reason about. So every batch of
an import is written in one transaction, and a failure in any batch rolls back them all.

Tags are stored twice: `Enterprise.tags` (the list, as the register states it) and one
`EnterpriseTag` row per tag (what policy targeting queries, indexed). Every function here
that writes tags writes both in the same transaction, so they never disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from tortoise.transactions import in_transaction

from app.enterprise.models import Enterprise, EnterpriseTag
from app.enterprise.reference import District, LifecycleStage, Ownership, SizeClass


class EnterpriseRecord(NamedTuple):
    """One validated register row, in the model's terms: compact enough to hold 100,000 of."""

    credit_code: str
    name: str
    legal_representative: str
    district: District
    industry_section: str
    industry_division: str
    size_class: SizeClass
    ownership: Ownership
    registered_capital: Decimal
    established_on: date
    lifecycle_stage: LifecycleStage
    tags: tuple[str, ...]
    address: str
    contact_phone: str


# Every column the register supplies is refreshed on re-import; `created_at` keeps the first import's time.
UPDATE_FIELDS: tuple[str, ...] = (*EnterpriseRecord._fields[1:], "updated_at")


@dataclass(frozen=True)
class UpsertCounts:
    created: int
    updated: int


async def upsert_enterprises(
    *,
    records: Sequence[EnterpriseRecord],
    batch_size: int = 2000,
    progress: Callable[[int], None] | None = None,
) -> UpsertCounts:
    """Insert or update (by credit code, distinct among `records`) every record in ONE transaction, `batch_size` rows per
    statement batch; any error rolls back all of them. `progress(n)` is called after each batch
    with the number of records written in it.

    Which rows are new is asked per batch before writing, so the counts are exact even though
    the upsert itself does not say whether a row was inserted or updated."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    if len({record.credit_code for record in records}) != len(records):
        # Two rows for one enterprise would make the counts lie and the result depend on order.
        raise ValueError("records must have distinct credit codes")
    created = 0
    async with in_transaction() as connection:
        for start in range(0, len(records), batch_size):
            batch = records[start : start + batch_size]
            codes = [record.credit_code for record in batch]
            existing = await (
                Enterprise.filter(credit_code__in=codes).using_db(connection).values_list("credit_code", flat=True)
            )
            created += len(batch) - len(existing)
            await Enterprise.bulk_create(
                [_model(record) for record in batch],
                batch_size=batch_size,
                on_conflict=["credit_code"],
                update_fields=UPDATE_FIELDS,
                using_db=connection,
            )
            await _replace_tag_rows(batch, connection=connection, batch_size=batch_size)
            if progress is not None:
                progress(len(batch))
    return UpsertCounts(created=created, updated=len(records) - created)


async def set_enterprise_tags(*, enterprise_id: int, tags: Sequence[str]) -> list[str]:
    """Replace one enterprise's tags (the list and its rows, together); returns the stored list.

    Tags are stripped and de-duplicated in order; an empty tag is dropped."""
    cleaned = list(dict.fromkeys(tag.strip() for tag in tags if tag.strip()))
    async with in_transaction() as connection:
        updated = await Enterprise.filter(id=enterprise_id).using_db(connection).update(tags=cleaned)
        if not updated:
            raise ValueError(f"no enterprise with id {enterprise_id}")
        await EnterpriseTag.filter(enterprise_id=enterprise_id).using_db(connection).delete()
        await EnterpriseTag.bulk_create(
            [EnterpriseTag(enterprise_id=enterprise_id, tag=tag) for tag in cleaned], using_db=connection
        )
    return cleaned


async def rebuild_enterprise_tags(*, batch_size: int = 5000) -> int:
    """Rewrite every `EnterpriseTag` row from `Enterprise.tags` (for a register written before the
    rows existed, or by hand); returns the number of tag rows. One transaction."""
    written = 0
    async with in_transaction() as connection:
        await EnterpriseTag.all().using_db(connection).delete()
        last_id = 0
        while True:
            rows = await (
                Enterprise.filter(id__gt=last_id)
                .using_db(connection)
                .order_by("id")
                .limit(batch_size)
                .values_list("id", "tags")
            )
            if not rows:
                break
            last_id = rows[-1][0]
            tag_rows = [
                EnterpriseTag(enterprise_id=enterprise_id, tag=tag)
                for enterprise_id, tags in rows
                for tag in dict.fromkeys(tags or ())
            ]
            await EnterpriseTag.bulk_create(tag_rows, batch_size=batch_size, using_db=connection)
            written += len(tag_rows)
    return written


async def _replace_tag_rows(batch: Sequence[EnterpriseRecord], *, connection, batch_size: int) -> None:
    """Make the tag rows of the enterprises in `batch` what their records say."""
    ids = dict(
        await Enterprise.filter(credit_code__in=[record.credit_code for record in batch])
        .using_db(connection)
        .values_list("credit_code", "id")
    )
    await EnterpriseTag.filter(enterprise_id__in=list(ids.values()) or [-1]).using_db(connection).delete()
    rows = [
        EnterpriseTag(enterprise_id=ids[record.credit_code], tag=tag)
        for record in batch
        for tag in dict.fromkeys(record.tags)
    ]
    if rows:
        await EnterpriseTag.bulk_create(rows, batch_size=batch_size, using_db=connection)


def _model(record: EnterpriseRecord) -> Enterprise:
    return Enterprise(
        credit_code=record.credit_code,
        name=record.name,
        legal_representative=record.legal_representative,
        district=record.district,
        industry_section=record.industry_section,
        industry_division=record.industry_division,
        size_class=record.size_class,
        ownership=record.ownership,
        registered_capital=record.registered_capital,
        established_on=record.established_on,
        lifecycle_stage=record.lifecycle_stage,
        tags=list(record.tags),
        address=record.address,
        contact_phone=record.contact_phone,
    )
