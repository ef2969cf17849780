from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from app.appeal.models import AppealStatus, CloseReason, ContactPreference, SupervisionStage
from app.content_check.models import CheckKind, CheckStatus, ReviewDecision
from app.enterprise.reference import District
from app.outbox.models import OutboxStatus
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('qiyun', '0008_staff_password_change')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AppealRoutingRule',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('category', fields.CharField(default='', description='empty: any category', max_length=32)),
                ('district', fields.CharEnumField(null=True, description='null: any district', enum_type=District, max_length=6)),
                ('keywords', fields.CharField(default='', description='separated by 、 or commas, any one matches', max_length=300)),
                ('organisation', fields.ForeignKeyField('qiyun.Organisation', source_field='organisation_id', db_constraint=True, to_field='id', related_name='routing_rules', on_delete=OnDelete.CASCADE)),
                ('priority', fields.IntField(default=0)),
                ('is_active', fields.BooleanField(default=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'appeal_routing_rule', 'app': 'qiyun', 'pk_attr': 'id', 'table_description': 'Dispatch help, rules first: category and/or district and/or keywords -> organisation.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AppealSupervision',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('appeal', fields.ForeignKeyField('qiyun.Appeal', source_field='appeal_id', db_constraint=True, to_field='id', related_name='supervisions', on_delete=OnDelete.CASCADE)),
                ('stage', fields.CharEnumField(description='accept: accept\nrespond: respond\nresolve: resolve\nconfirm: confirm', enum_type=SupervisionStage, max_length=8)),
                ('level', fields.SmallIntField()),
                ('round', fields.SmallIntField(default=0, description="the appeal's dispatch_count when it fell due")),
                ('organisation', fields.ForeignKeyField('qiyun.Organisation', source_field='organisation_id', null=True, db_constraint=True, to_field='id', related_name='supervisions', on_delete=OnDelete.SET_NULL)),
                ('due_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'appeal_supervision', 'app': 'qiyun', 'unique_together': (('appeal_id', 'stage', 'level', 'round'),), 'indexes': [Index(fields=['organisation_id', 'created_at'])], 'pk_attr': 'id', 'table_description': 'One reminder or supervision notice (督办) for one deadline of one round of an appeal.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ContentCheck',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('subject_type', fields.CharField(max_length=32)),
                ('subject_id', fields.BigIntField()),
                ('kind', fields.CharEnumField(description='text: text\nimage: image', enum_type=CheckKind, max_length=8)),
                ('trace_id', fields.CharField(null=True, unique=True, max_length=64)),
                ('status', fields.CharEnumField(default=CheckStatus.pending, description='pending: pending\npassed: pass\nreview: review\nrisky: risky\nerror: error', enum_type=CheckStatus, max_length=8)),
                ('label', fields.IntField(null=True, description="WeChat's label, e.g. 20001 politics, 100 normal")),
                ('detail', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('excerpt', fields.CharField(default='', description='the start of the checked text, for the reviewer', max_length=200)),
                ('decision', fields.CharEnumField(null=True, description='approved: approved\nrejected: rejected', enum_type=ReviewDecision, max_length=8)),
                ('reviewed_by', fields.ForeignKeyField('qiyun.Staff', source_field='reviewed_by_id', null=True, db_constraint=True, to_field='id', related_name='content_reviews', on_delete=OnDelete.SET_NULL)),
                ('reviewed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('review_note', fields.CharField(default='', max_length=300)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'content_check', 'app': 'qiyun', 'indexes': [Index(fields=['subject_type', 'subject_id']), Index(fields=['status', 'created_at'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OutboxMessage',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('topic', fields.CharField(description='the registered handler, e.g. appeal.notify_enterprise', max_length=64)),
                ('dedupe_key', fields.CharField(unique=True, max_length=200)),
                ('payload', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('status', fields.CharEnumField(default=OutboxStatus.pending, description='pending: pending\nsending: sending\nsent: sent\nfailed: failed\nskipped: skipped', enum_type=OutboxStatus, max_length=8)),
                ('attempts', fields.SmallIntField(default=0)),
                ('available_at', fields.DatetimeField(description='not before this time (retries back off)', auto_now=False, auto_now_add=False)),
                ('lease_until', fields.DatetimeField(null=True, description='a worker holds the row until then', auto_now=False, auto_now_add=False)),
                ('result', fields.CharField(default='', description='what happened, e.g. sent:template or skipped:no_channel', max_length=300)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'outbox_message', 'app': 'qiyun', 'indexes': [Index(fields=['status', 'available_at'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.AlterField(
            model_name='Appeal',
            name='status',
            field=fields.CharEnumField(default=AppealStatus.submitted, description='submitted: submitted\nheld: held\naccepted: accepted\ndeclined: declined\ndispatched: dispatched\nin_progress: in_progress\nreplied: replied\nclosed: closed', enum_type=AppealStatus, max_length=16),
        ),
        ops.AddField(
            model_name='Appeal',
            name='address',
            field=fields.CharField(default='', max_length=200),
        ),
        ops.AddField(
            model_name='Appeal',
            name='close_reason',
            field=fields.CharEnumField(null=True, description='resolved: resolved\nunresolved: unresolved\nunrated: unrated\nmerged: merged', enum_type=CloseReason, max_length=16),
        ),
        ops.AddField(
            model_name='Appeal',
            name='confirm_due_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Appeal',
            name='contact_preference',
            field=fields.CharEnumField(default=ContactPreference.wechat, description='wechat: wechat\nphone: phone\nnone: none', enum_type=ContactPreference, max_length=8),
        ),
        ops.AddField(
            model_name='Appeal',
            name='decline_reason',
            field=fields.TextField(default='', description='shown to the enterprise', unique=False),
        ),
        ops.AddField(
            model_name='Appeal',
            name='dispatch_count',
            field=fields.IntField(default=0, description='dispatches so far (dispatch, redispatch, escalate): the supervision round'),
        ),
        ops.AddField(
            model_name='Appeal',
            name='dispatched_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Appeal',
            name='enterprise_name',
            field=fields.CharField(default='', description='as given, when not in the register', max_length=200),
        ),
        ops.AddField(
            model_name='Appeal',
            name='escalated_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Appeal',
            name='flag',
            field=fields.CharField(default='', description='what awaits whom besides the status: transfer_requested, info_requested, supplemented, returned', max_length=24),
        ),
        ops.AddField(
            model_name='Appeal',
            name='hold_reason',
            field=fields.CharField(default='', description='why the content check held it', max_length=200),
        ),
        ops.AddField(
            model_name='Appeal',
            name='latitude',
            field=fields.FloatField(null=True),
        ),
        ops.AddField(
            model_name='Appeal',
            name='longitude',
            field=fields.FloatField(null=True),
        ),
        ops.AddField(
            model_name='Appeal',
            name='owner_organisation',
            field=fields.ForeignKeyField('qiyun.Organisation', source_field='owner_organisation_id', null=True, description='the dispatching organisation (coordination office, or a district for its own intake)', db_constraint=True, to_field='id', related_name='owned_appeals', on_delete=OnDelete.RESTRICT),
        ),
        ops.AddField(
            model_name='Appeal',
            name='satisfaction_comment',
            field=fields.TextField(default='', unique=False),
        ),
        ops.AddField(
            model_name='Appeal',
            name='source_client',
            field=fields.CharField(default='', description='Open311 client or forwarding system', max_length=64),
        ),
        ops.AddField(
            model_name='Appeal',
            name='version',
            field=fields.IntField(default=0, description='optimistic lock: every transition bumps it'),
        ),
        ops.AddIndex(
            model_name='Appeal',
            index=Index(fields=['submitter_id', 'created_at']),
        ),
        ops.AddIndex(
            model_name='Appeal',
            index=Index(fields=['enterprise_id', 'created_at']),
        ),
        ops.AlterField(
            model_name='AppealAttachment',
            name='check_result',
            field=fields.CharField(default='', description='pending, pass, review, risky', max_length=16),
        ),
        ops.AddField(
            model_name='AppealAttachment',
            name='sha256',
            field=fields.CharField(default='', max_length=64),
        ),
        ops.AlterField(
            model_name='AppealEvent',
            name='from_status',
            field=fields.CharEnumField(null=True, description='submitted: submitted\nheld: held\naccepted: accepted\ndeclined: declined\ndispatched: dispatched\nin_progress: in_progress\nreplied: replied\nclosed: closed', enum_type=AppealStatus, max_length=16),
        ),
        ops.AlterField(
            model_name='AppealEvent',
            name='to_status',
            field=fields.CharEnumField(null=True, description='submitted: submitted\nheld: held\naccepted: accepted\ndeclined: declined\ndispatched: dispatched\nin_progress: in_progress\nreplied: replied\nclosed: closed', enum_type=AppealStatus, max_length=16),
        ),
    ]
