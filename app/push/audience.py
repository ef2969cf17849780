"""Who a campaign reaches: an audience spec turned into one SQL query over followers,
counted for the preview and materialised into the delivery ledger in one statement.

Kinds (`AudienceSpec.kind`):

* `policy_match` — the enterprises the policy's targeting selects (`app.policy.targeting.
  enterprise_query`), their active bindings (`EnterpriseBinding.revoked_at IS NULL`), the
  people bound, and those people's official-account followers;
* `district` — the same chain for the enterprises registered in one district;
* `tag` — either an enterprise tag of the register (`tag`, e.g. 专精特新: the same chain
  again) or a follower tag of the official account (`wechat_tag_id`, mirrored in
  `Follower.wechat_tag_ids`). The register tag is the default because policies are written
  for enterprises; the WeChat tag is for lists staff curate by hand;
* `everyone` — every follower;
* `test_list` — the followers with the given openids (staff's own phones, before the real send).

Every kind keeps only followers who still follow (`subscribed`) and were not found
unreachable by an earlier push (`unreachable_reason`, set on 43004 / 40003). A person
bound to two matching enterprises is one recipient (the query is over followers, `IN`
removes duplicates).

Materialising is one `INSERT ... SELECT ... ON CONFLICT DO NOTHING` on both backends: a
100,000-follower audience never travels through Python, and running it twice adds
nothing (unique campaign + follower). Followers who muted the policy's support type (退订)
get a `skipped`/`muted` row in the same statement, so the ledger says why they got nothing.
"""

from __future__ import annotations

from datetime import date
from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from tortoise import connections, timezone
from tortoise.expressions import Subquery
from tortoise.queryset import QuerySet

from app.enterprise.models import Enterprise
from app.enterprise.reference import District
from app.identity.models import EnterpriseBinding, Follower
from app.push.models import DeliveryReason, DeliveryStatus, MuteScope

__all__ = [
    "MAX_TEST_OPENIDS",
    "AudienceKind",
    "AudienceSpec",
    "AudienceError",
    "count_audience",
    "count_muted",
    "count_already_received",
    "describe_audience",
    "follower_sql",
    "materialise",
    "missing_test_openids",
]

MAX_TEST_OPENIDS = 50


class AudienceError(ValueError):
    """The audience cannot be resolved (message in Chinese, for staff)."""


class AudienceKind(str, Enum):
    policy_match = "policy_match"
    district = "district"
    tag = "tag"
    everyone = "everyone"
    test_list = "test_list"


AUDIENCE_LABELS: dict[AudienceKind, str] = {
    AudienceKind.policy_match: "政策匹配企业的绑定粉丝",
    AudienceKind.district: "某区企业的绑定粉丝",
    AudienceKind.tag: "按标签",
    AudienceKind.everyone: "全部粉丝",
    AudienceKind.test_list: "测试名单",
}


class AudienceSpec(BaseModel):
    """How a campaign's recipients are chosen; stored in `PushCampaign.audience`."""

    model_config = ConfigDict(extra="forbid")

    kind: AudienceKind
    district: District | None = None
    tag: str | None = Field(default=None, description="an enterprise tag of the register, e.g. 专精特新")
    wechat_tag_id: int | None = Field(default=None, description="a follower tag of the official account")
    openids: list[str] = []

    @field_validator("tag")
    @classmethod
    def _tag(cls, value: str | None) -> str | None:
        value = (value or "").strip()
        return value or None

    @field_validator("openids")
    @classmethod
    def _openids(cls, values: list[str]) -> list[str]:
        return list(dict.fromkeys(v.strip() for v in values if v and v.strip()))

    @model_validator(mode="after")
    def _complete(self) -> "AudienceSpec":
        if self.kind is AudienceKind.district and self.district is None:
            raise ValueError("按区推送需要选择一个区")
        if self.kind is AudienceKind.tag and (self.tag is None) == (self.wechat_tag_id is None):
            raise ValueError("按标签推送需要且只能选择一个企业标签或一个粉丝标签")
        if self.kind is AudienceKind.test_list:
            if not self.openids:
                raise ValueError("测试名单至少需要一个 openid")
            if len(self.openids) > MAX_TEST_OPENIDS:
                raise ValueError(f"测试名单最多 {MAX_TEST_OPENIDS} 个 openid")
        return self

    @classmethod
    def from_stored(cls, value: Any) -> "AudienceSpec":
        return cls.model_validate(value or {})


def describe_audience(spec: AudienceSpec) -> str:
    """One line for staff, e.g. "某区企业的绑定粉丝：浦东新区"."""
    label = AUDIENCE_LABELS[spec.kind]
    if spec.kind is AudienceKind.district and spec.district is not None:
        return f"{label}：{spec.district.label}"
    if spec.kind is AudienceKind.tag:
        return f"企业标签：{spec.tag}" if spec.tag else f"粉丝标签：{spec.wechat_tag_id}"
    if spec.kind is AudienceKind.test_list:
        return f"{label}（{len(spec.openids)} 人）"
    return label


# -- the follower query -----------------------------------------------------------------


def _reachable() -> QuerySet[Follower]:
    return Follower.filter(subscribed=True, unreachable_reason="")


def _bound_followers(enterprises: QuerySet[Enterprise]) -> QuerySet[Follower]:
    """Followers of the people with an active binding to one of `enterprises`."""
    people = EnterpriseBinding.filter(
        revoked_at__isnull=True, enterprise_id__in=Subquery(enterprises.values("id"))
    ).values("user_id")
    return _reachable().filter(user_id__in=Subquery(people))


def _targeting_followers(targeting: Any, *, today: date) -> QuerySet[Follower]:
    from app.policy.targeting import enterprise_query

    return _bound_followers(enterprise_query(targeting, today=today))


def _orm_sql(query: QuerySet[Follower]) -> tuple[str, list[Any]]:
    """`SELECT id, openid FROM follower WHERE ...` with the backend's placeholders."""
    values = query.values("id", "openid")
    values._choose_db_if_not_chosen()
    values._make_query()
    sql, params = values.query.get_parameterized_sql()
    return sql, list(params)


def _dialect() -> str:
    return connections.get("default").capabilities.dialect


def follower_sql(spec: AudienceSpec, *, policy: Any | None, today: date) -> tuple[str, list[Any]]:
    """The audience as `SELECT id, openid FROM follower ...` (SQL, parameters).

    `policy` is needed for `policy_match` (its stored targeting)."""
    from app.policy.targeting import Targeting

    kind = spec.kind
    if kind is AudienceKind.policy_match:
        if policy is None:
            raise AudienceError("“政策匹配”需要先选择一条政策")
        return _orm_sql(_targeting_followers(Targeting.from_stored(policy.targeting), today=today))
    if kind is AudienceKind.district:
        return _orm_sql(_targeting_followers(Targeting(districts=[spec.district]), today=today))
    if kind is AudienceKind.tag and spec.tag is not None:
        return _orm_sql(_targeting_followers(Targeting(tags=[spec.tag]), today=today))
    if kind is AudienceKind.tag:
        return _wechat_tag_sql(int(spec.wechat_tag_id or 0))
    if kind is AudienceKind.everyone:
        return _orm_sql(_reachable())
    if kind is AudienceKind.test_list:
        return _orm_sql(_reachable().filter(openid__in=spec.openids))
    raise AudienceError(f"unknown audience kind {kind!r}")  # pragma: no cover - the enum is closed


def _wechat_tag_sql(tag_id: int) -> tuple[str, list[Any]]:
    """Followers carrying an official-account tag (a JSON array column: no portable ORM filter)."""
    base = "SELECT f.id, f.openid FROM follower f WHERE f.subscribed = TRUE AND f.unreachable_reason = ''"
    if _dialect() == "postgres":
        return f"{base} AND f.wechat_tag_ids::jsonb @> jsonb_build_array($1::int)", [tag_id]
    return f"{base} AND EXISTS (SELECT 1 FROM json_each(f.wechat_tag_ids) t WHERE t.value = ?)", [tag_id]


def _mute_scopes(support_type: str) -> list[str]:
    scopes = [MuteScope.all.value]
    if support_type and support_type in MuteScope._value2member_map_:
        scopes.append(support_type)
    return scopes


def _muted_condition(alias: str, support_type: str) -> str:
    # Scope values come from the MuteScope enum (never from input), so they are inlined:
    # a parameter here would have to be numbered after the audience query's on PostgreSQL.
    scopes = ", ".join(f"'{scope}'" for scope in _mute_scopes(support_type))
    return f"EXISTS (SELECT 1 FROM push_mute m WHERE m.follower_id = {alias}.id AND m.scope IN ({scopes}))"


def _received_condition(alias: str, spec: AudienceSpec, policy: Any | None, campaign_id: int | None) -> str | None:
    """Followers who already got this policy from another campaign: a second campaign for the
    same policy (a wider audience, a re-run after a fix) reaches only those who have not.
    A test list always sends: that is what it is for."""
    if policy is None or spec.kind is AudienceKind.test_list:
        return None
    # Inlined values are ints and enum constants, never user input.
    other = f" AND r.campaign_id <> {int(campaign_id)}" if campaign_id is not None else ""
    reached = (DeliveryStatus.sending, DeliveryStatus.sent, DeliveryStatus.delivered)
    done = ", ".join(f"'{status.value}'" for status in reached)
    return (
        "EXISTS (SELECT 1 FROM push_delivery r JOIN push_campaign c ON c.id = r.campaign_id "
        f"WHERE r.follower_id = {alias}.id AND c.policy_id = {int(policy.id)} AND r.status IN ({done}){other})"
    )


async def count_audience(spec: AudienceSpec, *, policy: Any | None, today: date) -> int:
    """How many followers the campaign would address (muted ones included: they get a skipped row)."""
    sql, params = follower_sql(spec, policy=policy, today=today)
    _, rows = await connections.get("default").execute_query(f"SELECT COUNT(*) AS n FROM ({sql}) a", params)
    return int(dict(rows[0])["n"])


async def count_muted(spec: AudienceSpec, *, policy: Any | None, support_type: str, today: date) -> int:
    """How many of them muted this support type or all pushes (they will be skipped)."""
    sql, params = follower_sql(spec, policy=policy, today=today)
    query = f"SELECT COUNT(*) AS n FROM ({sql}) a WHERE {_muted_condition('a', support_type)}"
    _, rows = await connections.get("default").execute_query(query, params)
    return int(dict(rows[0])["n"])


async def count_already_received(spec: AudienceSpec, *, policy: Any | None, support_type: str, today: date) -> int:
    """How many of them (not muted) already received this policy from another campaign (they will be skipped)."""
    received = _received_condition("a", spec, policy, None)
    if received is None:
        return 0
    sql, params = follower_sql(spec, policy=policy, today=today)
    query = f"SELECT COUNT(*) AS n FROM ({sql}) a WHERE {received} AND NOT {_muted_condition('a', support_type)}"
    _, rows = await connections.get("default").execute_query(query, params)
    return int(dict(rows[0])["n"])


async def missing_test_openids(spec: AudienceSpec) -> list[str]:
    """The test-list openids that are not reachable followers (a typo, or someone who left)."""
    if spec.kind is not AudienceKind.test_list:
        return []
    found = set(await _reachable().filter(openid__in=spec.openids).values_list("openid", flat=True))
    return [openid for openid in spec.openids if openid not in found]


async def materialise(
    *, campaign_id: int, spec: AudienceSpec, policy: Any | None, support_type: str, today: date
) -> int:
    """Write one ledger row per recipient (idempotent); returns the campaign's row count.

    One statement: followers who muted the support type get `skipped`/`muted`, those who
    already received the policy from another campaign `skipped`/`already_received`, the
    rest `queued`. Rows already present (a retried start) are left alone.
    """
    sql, params = follower_sql(spec, policy=policy, today=today)
    connection = connections.get("default")
    muted = _muted_condition("a", support_type)
    received = _received_condition("a", spec, policy, campaign_id) or "FALSE"
    # Inlined values are an int and constants of this module, never user input.
    queued_at = f"'{timezone.localtime().isoformat(' ')}'"
    if _dialect() == "postgres":
        queued_at += "::timestamptz"
    insert = (
        "INSERT INTO push_delivery "
        "(campaign_id, follower_id, openid, status, reason, error, attempts, uncertain, queued_at) "
        f"SELECT {int(campaign_id)}, a.id, a.openid, "
        f"CASE WHEN {muted} OR {received} THEN '{DeliveryStatus.skipped.value}' "
        f"ELSE '{DeliveryStatus.queued.value}' END, "
        f"CASE WHEN {muted} THEN '{DeliveryReason.muted.value}' "
        f"WHEN {received} THEN '{DeliveryReason.already_received.value}' ELSE '' END, "
        f"'', 0, FALSE, {queued_at} "
        f"FROM ({sql}) a WHERE 1 = 1 "
        "ON CONFLICT (campaign_id, follower_id) DO NOTHING"
    )
    await connection.execute_query(insert, params)
    _, rows = await connection.execute_query(
        f"SELECT COUNT(*) AS n FROM push_delivery WHERE campaign_id = {int(campaign_id)}"
    )
    return int(dict(rows[0])["n"])
