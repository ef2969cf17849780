from tortoise import migrations
from tortoise.migrations import operations as ops
from app.provider.models import MemberRole
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('qiyun', '0010_appeal_sqlite_restore')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ProviderMember',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('provider', fields.ForeignKeyField('qiyun.Provider', source_field='provider_id', db_constraint=True, to_field='id', related_name='members', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('qiyun.WeChatUser', source_field='user_id', db_constraint=True, to_field='id', related_name='provider_memberships', on_delete=OnDelete.CASCADE)),
                ('role', fields.CharEnumField(default=MemberRole.agent, description='owner: owner\nagent: agent', enum_type=MemberRole, max_length=16)),
                ('joined_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'provider_member', 'app': 'qiyun', 'unique_together': (('provider', 'user'),), 'pk_attr': 'id', 'table_description': 'A person (by WeChat) who acts for a provider: its applicant, or someone who joined by'},
            bases=['Model'],
        ),
    ]
