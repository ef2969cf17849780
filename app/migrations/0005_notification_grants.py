from tortoise import migrations
from tortoise.migrations import operations as ops
from app.notification.models import GrantChannel
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('qiyun', '0004_policy_knowledge_base')]

    initial = False

    operations = [
        ops.CreateModel(
            name='SubscribeGrant',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('channel', fields.CharEnumField(description='official_account: official_account\nminiprogram: miniprogram', enum_type=GrantChannel, max_length=24)),
                ('openid', fields.CharField(max_length=64)),
                ('template_id', fields.CharField(max_length=128)),
                ('remaining', fields.IntField(default=0, description='one-time grants not used yet')),
                ('long_term', fields.BooleanField(default=False, description='a long-term subscription in force (never used up)')),
                ('last_decision', fields.CharField(default='', description='accept, reject, ban, filter', max_length=16)),
                ('granted_total', fields.IntField(default=0)),
                ('spent_total', fields.IntField(default=0)),
                ('last_granted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_spent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'subscribe_grant', 'app': 'qiyun', 'unique_together': (('channel', 'openid', 'template_id'),), 'pk_attr': 'id', 'table_description': "One user's grants for one template: openids differ per app, so the channel is part of the key."},
            bases=['Model'],
        ),
    ]
