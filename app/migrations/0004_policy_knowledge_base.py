from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index



async def backfill_enterprise_tags(apps, schema_editor) -> None:
    """One enterprise_tag row per tag already in enterprise.tags (registers imported before the table existed)."""
    client = schema_editor.client
    if client.capabilities.dialect == "postgres":
        sql = (
            "INSERT INTO enterprise_tag (enterprise_id, tag) "
            "SELECT DISTINCT e.id, left(t.tag, 30) FROM enterprise e "
            "CROSS JOIN LATERAL jsonb_array_elements_text(CASE WHEN jsonb_typeof(e.tags::jsonb) = 'array' "
            "THEN e.tags::jsonb ELSE '[]'::jsonb END) AS t(tag) "
            "WHERE t.tag <> '' ON CONFLICT DO NOTHING"
        )
    else:
        sql = (
            "INSERT OR IGNORE INTO enterprise_tag (enterprise_id, tag) "
            "SELECT DISTINCT e.id, substr(j.value, 1, 30) FROM enterprise e, json_each(e.tags) j "
            "WHERE json_valid(e.tags) AND json_type(e.tags) = 'array' AND j.value <> ''"
        )
    await client.execute_script(sql)


class Migration(migrations.Migration):
    dependencies = [('qiyun', '0003_admin')]

    initial = False

    operations = [
        ops.CreateModel(
            name='EnterpriseTag',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('enterprise', fields.ForeignKeyField('qiyun.Enterprise', source_field='enterprise_id', db_constraint=True, to_field='id', related_name='tag_rows', on_delete=OnDelete.CASCADE)),
                ('tag', fields.CharField(max_length=30)),
            ],
            options={'table': 'enterprise_tag', 'app': 'qiyun', 'unique_together': (('enterprise', 'tag'),), 'indexes': [Index(fields=['tag', 'enterprise_id'])], 'pk_attr': 'id', 'table_description': 'One tag of one enterprise: `Enterprise.tags` as rows, so "any of these tags" is an indexed'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PolicyFavourite',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('qiyun.WeChatUser', source_field='user_id', db_constraint=True, to_field='id', related_name='policy_favourites', on_delete=OnDelete.CASCADE)),
                ('policy', fields.ForeignKeyField('qiyun.Policy', source_field='policy_id', db_constraint=True, to_field='id', related_name='favourites', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'policy_favourite', 'app': 'qiyun', 'unique_together': (('user', 'policy'),), 'indexes': [Index(fields=['user_id', 'created_at'])], 'pk_attr': 'id', 'table_description': "A person's favourite (收藏) policy, per WeChat user so the mini-program and H5 pages agree."},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Policy',
            name='organisation',
            field=fields.ForeignKeyField('qiyun.Organisation', source_field='organisation_id', null=True, description='the organisation whose staff maintain the entry (staff scope), not the issuer', db_constraint=True, to_field='id', related_name='owned_policies', on_delete=OnDelete.SET_NULL),
        ),
        ops.AddIndex(
            model_name='Policy',
            index=Index(fields=['status', 'publish_date']),
        ),
        ops.AddIndex(
            model_name='Policy',
            index=Index(fields=['organisation_id', 'status']),
        ),
        ops.AlterModelOptions(
            name='PolicyEvent',
            options={'table': 'policy_event', 'app': 'qiyun', 'indexes': [Index(fields=['policy_id', 'id'])], 'pk_attr': 'id', 'table_description': 'A lifecycle step of a policy: who moved it, from what, to what (creation has no from_status).'},
        ),
        ops.AddIndex(
            model_name='PolicyEvent',
            index=Index(fields=['policy_id', 'id']),
        ),
        ops.RunPython(backfill_enterprise_tags, ops.RunPython.noop),
    ]
