from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from app.push.models import DeliveryStatus, MuteScope
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index


# SQLite cannot alter a column in place: tortoise rebuilds `push_delivery` for the status
# change below, and the rebuilt table loses the UNIQUE (campaign_id, follower_id) constraint
# and the wechat_msgid index of 0001. Both matter (the ledger's one-row-per-recipient rule,
# the delivery-report lookup), so they are recreated as indexes. PostgreSQL alters in place
# and keeps them.
SQLITE_RESTORE = (
    "CREATE UNIQUE INDEX IF NOT EXISTS uid_push_delivery_campaign_follower ON push_delivery (campaign_id, follower_id)",
    "CREATE INDEX IF NOT EXISTS idx_push_delivery_wechat_msgid ON push_delivery (wechat_msgid)",
)


async def restore_sqlite_constraints(apps, schema_editor) -> None:
    if schema_editor.client.capabilities.dialect != "sqlite":
        return
    for statement in SQLITE_RESTORE:
        if schema_editor.collect_sql:
            schema_editor.collected_sql.append(statement)
        else:
            await schema_editor.client.execute_query(statement)


class Migration(migrations.Migration):
    dependencies = [('qiyun', '0006_policy_search')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PushMute',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('follower', fields.ForeignKeyField('qiyun.Follower', source_field='follower_id', db_constraint=True, to_field='id', related_name='push_mutes', on_delete=OnDelete.CASCADE)),
                ('scope', fields.CharEnumField(description='all: all\nsubsidy: subsidy\ntax: tax\nqualification: qualification\nfinancing: financing\ntalent: talent\npremises: premises\nother: other', enum_type=MuteScope, max_length=24)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'push_mute', 'app': 'qiyun', 'unique_together': (('follower', 'scope'),), 'pk_attr': 'id', 'table_description': '退订 by a follower: one support type, or `all`. Rows exist only while muted.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='PushCampaign',
            name='frequency_capped',
            field=fields.BooleanField(default=True, description='counts toward the per-follower weekly cap'),
        ),
        ops.AddField(
            model_name='PushCampaign',
            name='message',
            field=fields.JSONField(null=True, description='the rendered message, fixed when the campaign starts', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='PushCampaign',
            name='pause_code',
            field=fields.CharField(default='', description='staff, 45009, quota, token, template ...', max_length=32),
        ),
        ops.AddField(
            model_name='PushCampaign',
            name='support_type',
            field=fields.CharField(default='', description='support type of the policy, for mutes (empty: none)', max_length=24),
        ),
        ops.AddField(
            model_name='PushCampaign',
            name='template_values',
            field=fields.JSONField(default=dict, description='template context beyond the values of the policy', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='PushCampaign',
            name='updated_at',
            field=fields.DatetimeField(auto_now=True, auto_now_add=False),
        ),
        ops.AddIndex(
            model_name='PushCampaign',
            index=Index(fields=['status', 'scheduled_at']),
        ),
        ops.RemoveIndex(
            model_name='PushDelivery',
            name=None,
            fields=['campaign_id', 'status'],
        ),
        ops.AlterField(
            model_name='PushDelivery',
            name='status',
            field=fields.CharEnumField(default=DeliveryStatus.queued, description='queued: queued\nsending: sending\nsent: sent\ndelivered: delivered\nfailed: failed\nskipped: skipped', enum_type=DeliveryStatus, max_length=16),
        ),
        ops.AddField(
            model_name='PushDelivery',
            name='claimed_by',
            field=fields.CharField(null=True, description='the worker holding the row', max_length=64),
        ),
        ops.AddField(
            model_name='PushDelivery',
            name='first_attempt_at',
            field=fields.BigIntField(null=True, description='epoch ms of the first claim (dedup window)'),
        ),
        ops.AddField(
            model_name='PushDelivery',
            name='lease_until',
            field=fields.BigIntField(null=True, description='epoch ms the claim expires'),
        ),
        ops.AddField(
            model_name='PushDelivery',
            name='reason',
            field=fields.CharField(default='', description='DeliveryReason code when skipped or failed', max_length=32),
        ),
        ops.AddField(
            model_name='PushDelivery',
            name='retry_at',
            field=fields.BigIntField(null=True, description='epoch ms before which a queued retry waits'),
        ),
        ops.AddField(
            model_name='PushDelivery',
            name='uncertain',
            field=fields.BooleanField(default=False, description='an attempt may have reached WeChat unanswered'),
        ),
        ops.AddIndex(
            model_name='PushDelivery',
            index=Index(fields=['campaign_id', 'status', 'id']),
        ),
        ops.AddIndex(
            model_name='PushDelivery',
            index=Index(fields=['follower_id', 'sent_at']),
        ),
        ops.RunPython(restore_sqlite_constraints, ops.RunPython.noop),
    ]
