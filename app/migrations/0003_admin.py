from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from app.autoreply.models import MatchKind, ReplyKind
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('qiyun', '0002_callback')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AuditLog',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('staff', fields.ForeignKeyField('qiyun.Staff', source_field='staff_id', null=True, db_constraint=True, to_field='id', related_name='audit_entries', on_delete=OnDelete.SET_NULL)),
                ('username', fields.CharField(default='', description='as typed for a failed sign-in', max_length=64)),
                ('organisation', fields.ForeignKeyField('qiyun.Organisation', source_field='organisation_id', null=True, db_constraint=True, to_field='id', related_name='audit_entries', on_delete=OnDelete.SET_NULL)),
                ('action', fields.CharField(description='e.g. auth.sign_in, staff.create, menu.save', max_length=64)),
                ('target_type', fields.CharField(default='', max_length=32)),
                ('target_id', fields.CharField(default='', max_length=64)),
                ('detail', fields.JSONField(default=dict, description='what changed (never passwords or tokens)', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('ip', fields.CharField(default='', max_length=45)),
                ('request_id', fields.CharField(default='', max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'audit_log', 'app': 'qiyun', 'indexes': [Index(fields=['created_at']), Index(fields=['staff_id', 'created_at']), Index(fields=['target_type', 'target_id']), Index(fields=['organisation_id', 'created_at'])], 'pk_attr': 'id', 'table_description': 'An action by a staff member (or an attempt by someone unknown, e.g. a failed sign-in).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AutoReplyRule',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(description='for staff: what the rule is for', max_length=50)),
                ('match_kind', fields.CharEnumField(description='contains: contains\nexact: exact\nregex: regex', enum_type=MatchKind, max_length=16)),
                ('pattern', fields.CharField(max_length=200)),
                ('reply_kind', fields.CharEnumField(description='text: text\nnews: news\nflow: flow', enum_type=ReplyKind, max_length=16)),
                ('reply_text', fields.TextField(default='', unique=False)),
                ('news_title', fields.CharField(default='', max_length=64)),
                ('news_description', fields.CharField(default='', max_length=120)),
                ('news_url', fields.CharField(default='', max_length=1024)),
                ('news_picurl', fields.CharField(default='', max_length=1024)),
                ('flow_name', fields.CharField(default='', max_length=64)),
                ('enabled', fields.BooleanField(default=True)),
                ('priority', fields.IntField(default=0)),
                ('updated_by', fields.ForeignKeyField('qiyun.Staff', source_field='updated_by_id', null=True, db_constraint=True, to_field='id', related_name='autoreply_rules', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'autoreply_rule', 'app': 'qiyun', 'indexes': [Index(fields=['enabled', 'priority'])], 'pk_attr': 'id', 'table_description': 'When the text a follower sends matches `pattern`, answer with a text, an article or a flow.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AutoReplyText',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('key', fields.CharField(unique=True, max_length=32)),
                ('text', fields.TextField(unique=False)),
                ('updated_by', fields.ForeignKeyField('qiyun.Staff', source_field='updated_by_id', null=True, db_constraint=True, to_field='id', related_name='autoreply_texts', on_delete=OnDelete.SET_NULL)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'autoreply_text', 'app': 'qiyun', 'pk_attr': 'id', 'table_description': 'A named reply text staff edit (`welcome`: the answer to a new follower).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='MenuVersion',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('menu', fields.JSONField(description='the menu JSON, placeholders unfilled', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('note', fields.CharField(default='', max_length=200)),
                ('created_by', fields.ForeignKeyField('qiyun.Staff', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='menu_versions', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('uploaded_at', fields.DatetimeField(null=True, description='last time this version was sent to WeChat', auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'menu_version', 'app': 'qiyun', 'pk_attr': 'id', 'table_description': 'One saved menu, as staff wrote it (placeholders such as `{public_base_url}` kept).'},
            bases=['Model'],
        ),
    ]
