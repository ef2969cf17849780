"""Writing enterprises to the register in bulk.

The register is refreshed from exports of the legal-person database, tens of thousands
of rows at a time. A refresh must be all or nothing: a register that is half old and
half new would target policies at a mixture nobody can reason about. So every batch of
an import is written in one transaction, and a failure in any batch rolls back them all.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from tortoise.transactions import in_transaction

from app.enterprise.models import Enterprise
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
            if progress is not None:
                progress(len(batch))
    return UpsertCounts(created=created, updated=len(records) - created)


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
